"""Deliveries applied in batches, on the real broker and database.

A batch is one transaction (inbox rows, effects, outbox rows) acked with one frame; a batch
that fails keeps nothing and its events are applied one at a time, so a poisoned message is
dead-lettered alone. Matching's schema serves as the service's schema, with handlers of the
test's own; the relay does not run, so every emitted event stays in the outbox to be counted.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from typing import ClassVar
from urllib.parse import quote, urlsplit, urlunsplit

import aio_pika
import httpx
import pytest
from aio_pika.abc import AbstractIncomingMessage
from pydantic import BaseModel, field_validator

from shared.cloudevents import CloudEvent
from shared.consumer import (
    EventConsumer,
    EventHandlers,
    QueueConsumer,
    RejectMessage,
    RetryPolicy,
)
from shared.db import Database
from shared.events import IntegrationEvent
from shared.publisher import BrokerPublisher
from shared.testing.infrastructure import Infrastructure
from shared.testing.platform import TestPlatform, cloud_event, eventually
from shared.topology import INBOUND_EXCHANGE, Binding, ServiceTopology, declare_service_topology
from shared.unit_of_work import Messaging, UnitOfWork, messaging_transaction

SERVICE = "matching"
NOTED = "pl.waw.test.noted.v1"
PREFETCH = 16


class Note(BaseModel):
    number: int
    poisoned: bool = False

    @field_validator("number")
    @classmethod
    def _unlucky(cls, number: int) -> int:
        if number == 113:
            raise TypeError("a data model that fails other than by validation")
        return number


class Noted(IntegrationEvent):
    fact: ClassVar[str] = "test.noted.v1"
    number: int


handlers = EventHandlers()


@handlers.on(NOTED, Note)
async def on_noted(uow: UnitOfWork, event: CloudEvent, data: Note) -> None:
    if data.poisoned:
        raise RejectMessage("invalid-data", f"note {data.number} can never be applied")
    await uow.emit(Noted(number=data.number), subject=str(data.number))


class RecordingConsumer(EventConsumer):
    """The shared consumer, noting the size of every batch it is handed."""

    batch_sizes: list[int]

    async def handle_batch(self, messages: Sequence[AbstractIncomingMessage]) -> None:
        self.batch_sizes.append(len(messages))
        await super().handle_batch(messages)


class Rig:
    def __init__(self, platform: TestPlatform) -> None:
        self.platform = platform
        self.topology = ServiceTopology(
            SERVICE, bindings=(Binding(INBOUND_EXCHANGE, "pl.waw.test.#"),)
        )
        self.database = Database(platform.database_url(SERVICE), SERVICE)
        self.messaging = Messaging(SERVICE)
        self.publisher = BrokerPublisher(platform.amqp_url, app_id=SERVICE)
        self.consumer = RecordingConsumer(
            topology=self.topology,
            database=self.database,
            messaging=self.messaging,
            handlers=handlers,
            publisher=self.publisher,
            retry=RetryPolicy(transient_window_s=5, transient_max_delay_s=0.5),
        )
        self.consumer.batch_sizes = []

    @contextlib.asynccontextmanager
    async def consuming(self) -> AsyncIterator[None]:
        queue = QueueConsumer(
            amqp_url=self.platform.amqp_url,
            app_id=SERVICE,
            queue=self.topology.queue,
            prefetch=PREFETCH,
            consumer=self.consumer,
        )
        await queue.start()
        try:
            yield
        finally:
            await queue.stop()

    async def publish(self, events: Sequence[dict[str, object]]) -> None:
        connection = await aio_pika.connect(self.platform.amqp_url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(INBOUND_EXCHANGE, ensure=False)
            for event in events:
                await exchange.publish(
                    aio_pika.Message(
                        json.dumps(event).encode(),
                        content_type="application/cloudevents+json",
                        message_id=str(event["id"]),
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    routing_key=NOTED,
                )

    async def waiting_in_queue(self) -> int:
        connection = await aio_pika.connect(self.platform.amqp_url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(self.topology.queue, passive=True)
            return int(queue.declaration_result.message_count or 0)

    async def count(self, table: str) -> int:
        return int(await self.platform.fetchval(f"SELECT count(*) FROM {SERVICE}.{table}"))

    async def wait_for_outbox(self, expected: int) -> None:
        async def reached() -> bool:
            return await self.count("outbox") >= expected

        await eventually(reached, message=f"{expected} events in the outbox")


@pytest.fixture
async def rig(platform: TestPlatform) -> AsyncIterator[Rig]:
    rig = Rig(platform)
    await rig.publisher.connect()
    await declare_service_topology(rig.publisher.channel, rig.topology)
    try:
        yield rig
    finally:
        await rig.publisher.close()
        await rig.database.dispose()


def notes(numbers: range, *, poisoned: int | None = None) -> list[dict[str, object]]:
    return [
        cloud_event(NOTED, {"number": n, "poisoned": n == poisoned}, id=f"note-{n}")
        for n in numbers
    ]


async def test_a_backlog_is_applied_in_batches_each_event_once_with_its_cause(rig: Rig) -> None:
    events = notes(range(40))
    await rig.publish([*events, events[3]])  # one event twice: once is enough

    async with rig.consuming():
        await rig.wait_for_outbox(40)

    assert max(rig.consumer.batch_sizes) > 1, "the backlog came in batches"
    assert await rig.count("inbox") == 40
    rows = await rig.platform.fetch(f"SELECT body FROM {SERVICE}.outbox ORDER BY seq")
    emitted = [json.loads(row["body"]) for row in rows]
    assert [event["data"]["number"] for event in emitted] == list(range(40)), "in queue order"
    assert [event["causationid"] for event in emitted] == [f"note-{n}" for n in range(40)]
    assert await rig.waiting_in_queue() == 0, "every delivery was acked"


async def test_a_poisoned_message_in_a_batch_is_dead_lettered_alone_and_the_rest_apply(
    rig: Rig,
) -> None:
    await rig.publish(notes(range(20), poisoned=7))

    async with rig.consuming():
        await rig.wait_for_outbox(19)

        async def dead_lettered() -> int:
            return len(await rig.platform.dead_letters(SERVICE))

        await eventually(dead_lettered, message="the poisoned note dead-lettered")

    assert max(rig.consumer.batch_sizes) > 1
    letters = await rig.platform.dead_letters(SERVICE)
    assert [(letter.message_id, letter.reason) for letter in letters] == [
        ("note-7", "invalid-data")
    ]
    # The failed batch kept nothing, its inbox rows included: each event applied afterwards.
    assert await rig.count("inbox") == 19
    assert await rig.count("outbox") == 19
    assert await rig.waiting_in_queue() == 0


async def test_a_redelivered_batch_changes_nothing(rig: Rig) -> None:
    events = notes(range(12))
    await rig.publish(events)
    async with rig.consuming():
        await rig.wait_for_outbox(12)

    await rig.publish(events)  # the whole batch again, as after a lost ack
    async with rig.consuming():

        async def drained() -> bool:
            return await rig.waiting_in_queue() == 0 and sum(rig.consumer.batch_sizes) >= 24

        await eventually(drained, message="the redelivered batch consumed")

    assert await rig.count("inbox") == 12
    assert await rig.count("outbox") == 12
    assert await rig.waiting_in_queue() == 0


async def test_inbox_claims_roll_back_with_the_transaction(rig: Rig) -> None:
    event = CloudEvent.model_validate(cloud_event(NOTED, {"number": 1}, id="note-1"))

    with pytest.raises(RuntimeError):
        async with messaging_transaction(rig.database, rig.messaging) as transaction:
            assert await transaction.claim_inbox([event]) == {(event.source, event.id)}
            raise RuntimeError("the handler failed after the claim")

    assert await rig.count("inbox") == 0
    async with messaging_transaction(rig.database, rig.messaging) as transaction:
        assert await transaction.claim_inbox([event, event]) == {(event.source, event.id)}
    assert await rig.count("inbox") == 1


async def close_connections(management_url: str, vhost: str, connection_name: str) -> int:
    """Have the broker close the named client connections of ``vhost``, as a broker restart
    or a network failure would; return how many it closed."""
    parts = urlsplit(management_url)
    api = urlunsplit((parts.scheme, f"{parts.hostname}:{parts.port}", "/api", "", ""))
    auth = (parts.username or "guest", parts.password or "guest")
    async with httpx.AsyncClient(auth=auth, timeout=5) as client:
        response = await client.get(f"{api}/vhosts/{quote(vhost, safe='')}/connections")
        response.raise_for_status()
        names = [
            connection["name"]
            for connection in response.json()
            if connection.get("client_properties", {}).get("connection_name") == connection_name
        ]
        for name in names:
            closed = await client.delete(f"{api}/connections/{quote(name, safe='')}")
            closed.raise_for_status()
    return len(names)


async def test_the_consumer_consumes_again_after_the_broker_drops_its_connection(
    rig: Rig, infrastructure: Infrastructure
) -> None:
    await rig.publish(notes(range(10)))
    async with rig.consuming():
        await rig.wait_for_outbox(10)

        async def dropped() -> int:
            return await close_connections(
                infrastructure.management_url, rig.platform.vhost, f"{SERVICE}-consumer"
            )

        await eventually(dropped, timeout=30, message="the consumer's connection closed")
        await rig.publish(notes(range(10, 30)))
        await rig.wait_for_outbox(30)

    assert await rig.count("inbox") == 30
    assert await rig.waiting_in_queue() == 0


async def test_data_that_breaks_its_model_is_dead_lettered_and_the_batch_goes_on(rig: Rig) -> None:
    await rig.publish(notes(range(110, 120)))

    async with rig.consuming():
        await rig.wait_for_outbox(9)

        async def dead_lettered() -> int:
            return len(await rig.platform.dead_letters(SERVICE))

        await eventually(dead_lettered, message="note 113 dead-lettered")

    letters = await rig.platform.dead_letters(SERVICE)
    assert [(letter.message_id, letter.reason) for letter in letters] == [
        ("note-113", "handler-error")
    ]
    assert "TypeError" in letters[0].detail
    assert await rig.count("inbox") == 9
    assert await rig.waiting_in_queue() == 0
