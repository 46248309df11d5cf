"""Broker topology, declared idempotently by every service at start.

    city.inbound (topic) ──▶ <service> (quorum) ◀── volunteering.events (topic)
         │ unroutable                │ rejected / over the delivery limit
         ▼                           ▼
    city.inbound.unrouted     volunteering.dead-letters (direct) ──▶ <service>.dead-letters

Every service queue dead-letters to one direct exchange with its own name as the routing
key, so each service has its own dead-letter queue that an operator can list and replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractQueue

INBOUND_EXCHANGE = "city.inbound"
EVENTS_EXCHANGE = "volunteering.events"
DEAD_LETTER_EXCHANGE = "volunteering.dead-letters"
UNROUTED_EXCHANGE = "city.inbound.unrouted"
UNROUTED_QUEUE = "city.inbound.unrouted"


@dataclass(frozen=True)
class Binding:
    exchange: str
    routing_key: str


@dataclass(frozen=True)
class ServiceTopology:
    """The queues of one service and the routing keys it consumes."""

    service: str
    bindings: tuple[Binding, ...] = field(default_factory=tuple)
    delivery_limit: int = 20

    @property
    def queue(self) -> str:
        return self.service

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.service}.dead-letters"

    @property
    def dead_letter_routing_key(self) -> str:
        return self.service

    def queue_arguments(self) -> dict[str, Any]:
        return {
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            "x-dead-letter-routing-key": self.dead_letter_routing_key,
            "x-delivery-limit": self.delivery_limit,
        }


async def declare_exchanges(channel: AbstractChannel) -> None:
    """The exchanges every service shares; declaring them again is a no-op."""
    await channel.declare_exchange(UNROUTED_EXCHANGE, aio_pika.ExchangeType.FANOUT, durable=True)
    unrouted = await channel.declare_queue(
        UNROUTED_QUEUE, durable=True, arguments={"x-queue-type": "quorum"}
    )
    await unrouted.bind(UNROUTED_EXCHANGE, routing_key="")
    await channel.declare_exchange(
        INBOUND_EXCHANGE,
        aio_pika.ExchangeType.TOPIC,
        durable=True,
        arguments={"alternate-exchange": UNROUTED_EXCHANGE},
    )
    await channel.declare_exchange(EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
    await channel.declare_exchange(DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True)


async def declare_service_topology(
    channel: AbstractChannel, topology: ServiceTopology
) -> AbstractQueue:
    """Declare the shared exchanges, the service's queue with its bindings and its dead letters."""
    await declare_exchanges(channel)
    dead_letters = await channel.declare_queue(
        topology.dead_letter_queue, durable=True, arguments={"x-queue-type": "quorum"}
    )
    await dead_letters.bind(DEAD_LETTER_EXCHANGE, routing_key=topology.dead_letter_routing_key)
    queue = await channel.declare_queue(
        topology.queue, durable=True, arguments=topology.queue_arguments()
    )
    for binding in topology.bindings:
        await queue.bind(binding.exchange, routing_key=binding.routing_key)
    return queue
