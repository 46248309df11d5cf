"""On the real broker: every change others care about leaves through the outbox, once."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aio_pika
import httpx

from registry.testing import Registry
from shared.testing.platform import TestPlatform, eventually
from shared.topology import EVENTS_EXCHANGE

PREFIX = "pl.waw.volunteering.registry."


async def test_the_outbox_delivers_each_event_once_even_with_two_relays(
    platform: TestPlatform,
) -> None:
    # Two replicas: both relays claim rows from the same outbox.
    async with platform.running("registry", "registry") as (first, second):
        connection = await aio_pika.connect(platform.amqp_url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(exclusive=True)
            await queue.bind(EVENTS_EXCHANGE, routing_key=PREFIX + "#")
            received: list[aio_pika.abc.AbstractIncomingMessage] = []

            async def collect(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                received.append(message)
                await message.ack()

            await queue.consume(collect)

            transport = httpx.ASGITransport(app=first.http)
            async with httpx.AsyncClient(transport=transport, base_url="http://r") as client:
                registry = Registry(platform, first, client)
                await _changes_others_care_about(registry)
            # Half the work through the other replica's API, too.
            transport = httpx.ASGITransport(app=second.http)
            async with httpx.AsyncClient(transport=transport, base_url="http://r") as client:
                registry = Registry(platform, second, client)
                await registry.branch("mokotow-7")

            outbox = await platform.fetch("SELECT event_id, event_type FROM registry.outbox")
            assert len(outbox) == 10

            async def all_arrived() -> bool:
                return len(received) >= len(outbox)

            await eventually(all_arrived, message="every outbox event on the broker")
            # Longer than several relay polls: a duplicate would have arrived by now.
            await asyncio.sleep(2.0)

    ids = [message.message_id for message in received]
    assert len(ids) == len(set(ids)), "an event was delivered twice"
    assert set(ids) == {row["event_id"] for row in outbox}
    for message in received:
        body: dict[str, Any] = json.loads(message.body)
        assert body["id"] == message.message_id
        assert message.routing_key == body["type"]
        assert message.content_type == "application/cloudevents+json"
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert sorted({message.routing_key or "" for message in received}) == sorted(
        PREFIX + fact
        for fact in (
            "edition.opened.v1",
            "edition.closed.v1",
            "branch.registered.v1",
            "branch.updated.v1",
            "branch.enrolled.v1",
            "branch.withdrawn.v1",
        )
    )
    unpublished = await platform.fetchval(
        "SELECT count(*) FROM registry.outbox WHERE published_at IS NULL"
    )
    assert unpublished == 0


async def _changes_others_care_about(registry: Registry) -> None:
    edition = await registry.edition(2019)  # opened: 1
    for code in ("wola-12", "wola-13", "bielany-1"):  # registered: 3
        await registry.branch(code)
    await registry.call("PATCH", "/v1/branches/wola-12", json={"volunteer_spaces": 3})  # 1
    first = await registry.enrol(edition, "wola-12")  # enrolled: 2
    await registry.enrol(edition, "wola-13")
    await registry.call(
        "POST", f"/v1/enrolments/{first['id']}/withdraw", json={"reason": "Remont budynku"}
    )  # withdrawn: 1
    await registry.call("POST", f"/v1/editions/{edition['id']}/close")  # closed: 1
