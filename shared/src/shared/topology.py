"""Broker topology, declared idempotently by every service at start.

    city.inbound (topic) ──▶ <service> (quorum) ◀── volunteering.events (topic)
         │ unroutable                │             volunteering.contacts (topic)
         ▼                           │ rejected / over the delivery limit
    city.inbound.unrouted            ▼
                              volunteering.dead-letters (direct) ──▶ <service>.dead-letters

Every service queue dead-letters to one direct exchange with its own name as the routing
key, so each service has its own dead-letter queue that an operator can list and replay.

Events that carry a person's contact data travel on ``volunteering.contacts``, which only
notifications may read; everything else the services publish on ``volunteering.events``.
Each of the three topic exchanges has an unrouted queue of its own (``<exchange>.unrouted``)
for what no queue is bound to: ``city.inbound`` as its alternate exchange, the platform's
two by a broker policy (``shared.brokerpolicy``; an exchange's arguments cannot change
once it exists) and, should that be missing, by the relay itself (``shared.relay``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractQueue

INBOUND_EXCHANGE = "city.inbound"
EVENTS_EXCHANGE = "volunteering.events"
CONTACTS_EXCHANGE = "volunteering.contacts"
DEAD_LETTER_EXCHANGE = "volunteering.dead-letters"
UNROUTED_EXCHANGE = "city.inbound.unrouted"
UNROUTED_QUEUE = "city.inbound.unrouted"
# The event types whose data is a person's contact details (e-mail, phone): for
# notifications only. An event is published on the exchange its type names here.
CONTACT_EVENT_TYPES = frozenset({"pl.waw.volunteering.matching.volunteer.contact.changed.v1"})
# The services with a queue of their own (the console reads their APIs, it has none).
SERVICES = ("registry", "matching", "notifications", "reporting")
# Who may read the contacts exchange.
CONTACTS_READERS = ("notifications",)


def exchange_for(event_type: str) -> str:
    """The exchange an internal event type is published to."""
    return CONTACTS_EXCHANGE if event_type in CONTACT_EVENT_TYPES else EVENTS_EXCHANGE


def unrouted(exchange: str) -> str:
    """The fanout exchange, and its queue of the same name, that keep what ``exchange``
    could route nowhere."""
    return f"{exchange}.unrouted"


# Each topic exchange with the exchange (and queue) that keeps its unroutable messages.
UNROUTED = {
    INBOUND_EXCHANGE: UNROUTED_EXCHANGE,
    EVENTS_EXCHANGE: unrouted(EVENTS_EXCHANGE),
    CONTACTS_EXCHANGE: unrouted(CONTACTS_EXCHANGE),
}
UNROUTED_QUEUES = tuple(UNROUTED.values())


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
    for kept in UNROUTED_QUEUES:
        await channel.declare_exchange(kept, aio_pika.ExchangeType.FANOUT, durable=True)
        queue = await channel.declare_queue(
            kept, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.bind(kept, routing_key="")
    await channel.declare_exchange(
        INBOUND_EXCHANGE,
        aio_pika.ExchangeType.TOPIC,
        durable=True,
        arguments={"alternate-exchange": UNROUTED_EXCHANGE},
    )
    # No alternate-exchange argument here: these existed without one, and a declaration
    # with other arguments fails. A policy gives them theirs (shared.brokerpolicy).
    await channel.declare_exchange(EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
    await channel.declare_exchange(CONTACTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
    await channel.declare_exchange(DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True)


async def declare_service_topology(
    channel: AbstractChannel, topology: ServiceTopology, *, shared: bool = True
) -> AbstractQueue:
    """Declare the service's queue with its bindings and its dead letters, and the shared
    exchanges too unless ``shared`` is off (where the broker's definitions hold them and
    the service's user may not configure them)."""
    if shared:
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
