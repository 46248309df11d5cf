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
            assert len(outbox) == 21

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
            "coordinator.assigned.v1",
            "coordinator.unassigned.v1",
            "trainer.assigned.v1",
            "staff.subject.changed.v1",
            "trainer.subject.changed.v1",
            "stage.reached.v1",
            "programme.submitted.v1",
            "visit.recorded.v1",
            "report.submitted.v1",
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
    second = await registry.enrol(edition, "wola-13")
    # 3 coordinator, trainer, 2 user ids, 2 stages, 3 documents
    await _team_and_year(registry, second)
    await registry.call(
        "POST", f"/v1/enrolments/{first['id']}/withdraw", json={"reason": "Remont budynku"}
    )  # withdrawn: 1
    await registry.call("POST", f"/v1/editions/{edition['id']}/close")  # closed: 1


async def _team_and_year(registry: Registry, enrolment: dict[str, Any]) -> None:
    staff = await registry.call(
        "POST", "/v1/staff", expect=201, json={"name": "Anna Nowak", "email": "a@example.pl"}
    )
    trainer = await registry.call(
        "POST", "/v1/trainers", expect=201, json={"name": "Ewa Sadowska", "email": "e@ngo.pl"}
    )
    await registry.call("PATCH", f"/v1/staff/{staff['id']}", json={"subject": "kc-anna"})
    await registry.call("PATCH", f"/v1/trainers/{trainer['id']}", json={"subject": "kc-ewa"})
    coordinators = "/v1/branches/wola-13/coordinators"
    await registry.call("POST", coordinators, expect=201, json={"staff_id": staff["id"]})
    await registry.call("DELETE", f"{coordinators}/{staff['id']}", expect=204)
    await registry.call("POST", coordinators, expect=201, json={"staff_id": staff["id"]})
    path = f"/v1/enrolments/{enrolment['id']}"
    await registry.call("POST", f"{path}/trainers", expect=201, json={"trainer_id": trainer["id"]})
    await registry.call(
        "POST", f"{path}/stages", json={"stage": "trained", "reached_on": "2019-03-01"}
    )
    await registry.call(
        "PUT",
        f"{path}/programme",
        json={
            "spaces": "Czytelnia",
            "hours_available": "Wtorki",
            "task_types": ["reading_help"],
            "volunteer_profiles": "Licealiści",
            "welcome_and_care": "Opiekun",
        },
    )
    await registry.call("POST", f"{path}/programme/submit", json={"submitted_on": "2019-04-01"})
    await registry.call(
        "POST",
        f"{path}/visits",
        expect=201,
        json={"visited_on": "2019-04-02", "notes": "Wizyta", "trainer_id": trainer["id"]},
    )
    await registry.call(
        "PUT",
        f"{path}/report",
        json={"summary": "Rok pracy", "volunteers_count": 3, "volunteer_hours": "12.50"},
    )
    await registry.call("POST", f"{path}/report/submit", json={})
