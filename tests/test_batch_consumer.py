"""The batching consumer: the deliveries at hand in one transaction, one multiple ack.

1. A poisoned message among many is rolled back with its batch, and then dead-lettered
   alone while the others apply.
2. One inbox claim for a batch: an event twice in it, or applied before, is applied once.
3. The outbox rows of a batch are written before a delivery of another type: an erasure
   after its person's registration in the same batch purges the registration's rows.
4. A run of registrations in one statement keeps each person's latest profile.
5. Restarting the broker again and again under a stream: consuming resumes every time,
   nothing is lost, nothing applied twice. The broker restarted is a node of this test's
   own (``shared.testing.rabbit_cluster``), never the machine's shared one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from shared.testing.databases import Databases
from shared.testing.infrastructure import Infrastructure
from shared.testing.platform import TestPlatform, eventually
from shared.testing.rabbit_cluster import ClusterUnavailable, RabbitCluster
from tests.portal import erasure_requested, registered
from tests.test_guarantees import (
    publish_all,
    registered_in_reporting,
    wait_for_reporting_count,
    where_events_stand,
)

MATCHING = "pl.waw.volunteering.matching"


async def test_a_poisoned_message_in_a_batch_is_dead_lettered_alone(
    platform: TestPlatform,
) -> None:
    async with platform.running("matching", "reporting"):
        pass  # their queues now exist: what follows waits there, to arrive as one batch
    good = [registered(f"batch-{n}") for n in range(60)]
    # Under 18 on the day and no guardian: the handler refuses it inside the transaction.
    poisoned = registered("batch-poisoned", birth_date=date.today().replace(year=2015).isoformat())
    await publish_all(platform, [*good[:30], poisoned, *good[30:]])
    async with platform.running("matching", "reporting"):
        await wait_for_reporting_count(platform, len(good))
        letters = await platform.dead_letters("matching")
    assert [letter.message_id for letter in letters] == [poisoned["id"]]
    assert letters[0].reason == "invalid-data"
    assert "guardian" in letters[0].detail
    assert await platform.fetchval("SELECT count(*) FROM matching.volunteers") == len(good)
    assert await platform.fetchval("SELECT count(*) FROM matching.inbox") == len(good)


async def test_a_batch_applies_an_event_once_however_often_it_comes(
    platform: TestPlatform,
) -> None:
    async with platform.running("matching"):
        pass
    earlier = registered("once-earlier")
    await publish_all(platform, [earlier])
    async with platform.running("matching"):
        await eventually(
            lambda: _count(platform, "SELECT count(*) FROM matching.volunteers", 1),
            message="the first registration was not applied",
        )
    events = [registered(f"once-{n}") for n in range(20)]
    await publish_all(platform, [events[0], *events, events[5], earlier])
    async with platform.running("matching"):
        await eventually(
            lambda: _count(platform, "SELECT count(*) FROM matching.inbox", 21),
            message="the batch was not applied",
        )
        await asyncio.sleep(1.0)
    assert await platform.fetchval("SELECT count(*) FROM matching.volunteers") == 21
    assert await platform.fetchval("SELECT count(*) FROM matching.inbox") == 21
    # Two events per registration (the facts and the contact), each with its own cause.
    rows = await platform.fetch("SELECT body FROM matching.outbox")
    causes = [json.loads(body)["causationid"] for (body,) in rows]
    assert sorted(causes) == sorted(event["id"] for event in [earlier, *events] * 2)
    assert await platform.dead_letters("matching") == []


async def test_an_erasure_in_a_batch_purges_what_its_registration_wrote_in_it(
    platform: TestPlatform,
) -> None:
    async with platform.running("matching"):
        pass
    others = [registered(f"kept-{n}") for n in range(10)]
    await publish_all(platform, [*others, registered("gone-soon"), erasure_requested("gone-soon")])
    async with platform.running("matching"):
        await eventually(
            lambda: _count(platform, "SELECT count(*) FROM matching.inbox", 12),
            message="the batch was not applied",
        )
    mentioning = (
        "SELECT count(*) FROM matching.outbox WHERE strpos(convert_from(body, 'UTF8'), $1) > 0"
    )
    assert await platform.fetchval(mentioning, "gone-soon@example.pl") == 0
    assert await platform.fetchval(mentioning, "kept-3@example.pl") == 1


async def test_a_run_of_registrations_keeps_each_persons_latest_profile(
    platform: TestPlatform,
) -> None:
    """Registrations at hand go in as one run (one statement per stretch in which each
    person comes once): a person registered again later is updated, an older profile
    after a newer one and a profile from before the person's erasure change nothing."""
    async with platform.running("matching"):
        pass
    await publish_all(platform, [erasure_requested("run-erased")])
    async with platform.running("matching"):
        await eventually(
            lambda: _count(platform, "SELECT count(*) FROM matching.inbox", 1),
            message="the erasure was not applied",
        )
    now = datetime.now(UTC)
    first = registered("run-twice", first_name="Anna", time=now - timedelta(minutes=2))
    again = registered("run-twice", first_name="Ania", time=now - timedelta(minutes=1))
    stale = registered("run-twice", first_name="Stara", time=now - timedelta(minutes=3))
    erased = registered("run-erased", time=now - timedelta(hours=1))
    others = [registered(f"run-{n}") for n in range(8)]
    await publish_all(platform, [*others[:4], first, again, erased, stale, *others[4:]])
    async with platform.running("matching"):
        await eventually(
            lambda: _count(platform, "SELECT count(*) FROM matching.inbox", 13),
            message="the run was not applied",
        )
    assert (
        await platform.fetchval(
            "SELECT first_name FROM matching.volunteers WHERE portal_id = 'run-twice'"
        )
        == "Ania"
    )
    assert (
        await platform.fetchval(
            "SELECT count(*) FROM matching.volunteers WHERE portal_id = 'run-erased'"
        )
        == 0
    )
    assert await platform.fetchval("SELECT count(*) FROM matching.volunteers") == 9
    rows = await platform.fetch("SELECT body FROM matching.outbox")
    facts = {
        (body["causationid"], body["type"])
        for body in (json.loads(raw) for (raw,) in rows)
        if "contact" not in body["type"]
    }
    assert facts == {
        *((event["id"], f"{MATCHING}.volunteer.registered.v1") for event in [*others, first]),
        (again["id"], f"{MATCHING}.volunteer.updated.v1"),
    }
    assert await platform.dead_letters("matching") == []


async def _count(platform: TestPlatform, query: str, expected: int) -> bool:
    return bool(await platform.fetchval(query) == expected)


@pytest_asyncio.fixture
async def private_broker(tmp_path: Path) -> AsyncIterator[RabbitCluster]:
    """One RabbitMQ node of this test's own: its own node name, ports and data."""
    node = RabbitCluster(tmp_path / "rabbitmq", size=1)
    try:
        await asyncio.to_thread(node.start)
    except ClusterUnavailable as unavailable:
        await asyncio.to_thread(node.close)
        pytest.fail(f"the test's own RabbitMQ node did not start: {unavailable}", pytrace=False)
    yield node
    await asyncio.to_thread(node.close)


@pytest_asyncio.fixture
async def private_platform(
    infrastructure: Infrastructure, databases: Databases, private_broker: RabbitCluster
) -> AsyncIterator[TestPlatform]:
    (node,) = private_broker.nodes

    async def restart() -> None:
        await asyncio.to_thread(private_broker.stop_app, node)
        await asyncio.to_thread(private_broker.start_app, node)

    database = await databases.create()
    platform = TestPlatform(
        admin_url=infrastructure.postgres_admin_url,
        database=database,
        amqp_url=private_broker.amqp_url("/"),
        vhost="/",
        restart_broker=restart,
    )
    try:
        yield platform
    finally:
        await platform.close()
        await databases.drop(database)


async def test_consuming_resumes_after_every_broker_restart_under_the_batching_consumer(
    private_platform: TestPlatform,
) -> None:
    platform = private_platform
    assert platform.restart_broker is not None
    total = 1500
    events = [registered(f"restart-{n}") for n in range(total)]
    async with platform.running("matching", "reporting"):
        publishing = asyncio.create_task(publish_all(platform, events))
        for threshold in (150, 500, 850):

            async def under_way(at_least: int = threshold) -> bool:
                return await registered_in_reporting(platform) >= at_least

            await eventually(
                under_way,
                timeout=120,
                message=f"consuming did not resume to {threshold} after a restart",
            )
            await platform.restart_broker()
        await publishing
        try:
            await wait_for_reporting_count(platform, total, timeout=240)
        except AssertionError as error:
            raise AssertionError(f"{error}; {await where_events_stand(platform)}") from None
        assert await platform.dead_letters("matching") == []
        assert await platform.dead_letters("reporting") == []
    assert await platform.fetchval("SELECT count(*) FROM matching.volunteers") == total
    assert (
        await platform.fetchval("SELECT count(DISTINCT volunteer_id) FROM reporting.volunteers")
        == total
    )
    assert await platform.fetchval("SELECT count(*) FROM reporting.volunteers") == total
    assert (
        await platform.fetchval("SELECT count(*) FROM matching.outbox WHERE published_at IS NULL")
        == 0
    )
