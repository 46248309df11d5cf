"""The services on a three-node RabbitMQ cluster: a node goes away mid-stream, nothing is lost.

A stream of portal registrations flows through matching (volunteers, outbox) to reporting
(totals) while

1. the node that leads the services' quorum queues goes away: ``rabbitmqctl stop_app`` on it
   (as in a rolling upgrade) in one run, a hard kill (SIGKILL, as when its machine dies) in
   another; each either stays away to the end of the stream or comes back mid-stream;
2. the services' Postgres restarts (a server of the tests' own: the machine's serves other
   tests).

Each time: every registration counted once (0 lost, 0 applied twice) and every service ready
again within 30 s. The stream's length is ``CLUSTER_STREAM``: 300 by default, and two of the
four ways a leader goes (stopped for good, killed and back mid-stream), so that `make test`
stays short on two cores; `make test-cluster` runs all four and Postgres's restart with
5,000 each (``CLUSTER_STREAM=5000 CLUSTER_FULL=1``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator, Coroutine, Sequence
from typing import Any

import aio_pika
import asyncpg
import pytest

from shared.service import Service
from shared.testing.platform import TestPlatform, eventually
from shared.testing.rabbit_cluster import Node, RabbitCluster
from tests.cluster.postgres import PrivatePostgres
from tests.portal import registered

SERVICES = ("registry", "matching", "reporting")
STREAM = int(os.environ.get("CLUSTER_STREAM", "300"))
# How the leader goes, and whether it comes back mid-stream.
FAILURES = [("stop_app", False), ("kill", True)]
if os.environ.get("CLUSTER_FULL") == "1":
    FAILURES += [("stop_app", True), ("kill", False)]
# The portal's pace: the stream lasts about a minute (at most 50 a second), long enough that
# a node goes away, comes back and the services recover while registrations still flow,
# however quickly the services keep up with it.
PER_SECOND = max(2, min(50, STREAM // 60))
READY_WITHIN_S = 30.0
# Few messages in flight, so few database connections: the machine's Postgres (100
# connections) is shared with every other test that runs meanwhile.
QUIET = {"consumer_prefetch": "4"}
# The stream takes about a fifth of a second per registration end to end on two busy cores.
STREAM_TIMEOUT_S = 180 + STREAM * 0.3


async def patient_fetchval(platform: TestPlatform, query: str) -> Any:
    """``platform.fetchval``, waiting for a free connection: the machine's Postgres is shared
    with every test that runs meanwhile, and a full server is not what is tested here."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return await platform.fetchval(query)
        except (asyncpg.TooManyConnectionsError, asyncpg.CannotConnectNowError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def registered_in_reporting(platform: TestPlatform) -> int:
    count = await patient_fetchval(platform, "SELECT registered FROM reporting.volunteer_totals")
    return int(count or 0)


async def wait_for_reporting_count(platform: TestPlatform, expected: int, timeout: float) -> None:
    async def reached() -> bool:
        return await registered_in_reporting(platform) >= expected

    await eventually(reached, timeout=timeout, message=f"reporting did not count {expected}")
    # Nothing more may arrive: a second application would push the count past `expected`.
    await asyncio.sleep(1.0)
    assert await registered_in_reporting(platform) == expected


async def publish_stream(
    cluster: RabbitCluster, vhost: str, events: Sequence[dict[str, Any]]
) -> int:
    """The portal as a careful publisher: about ``PER_SECOND`` events a second, each one
    confirmed; on a lost connection, the next node, and what was not confirmed sent again.
    Returns how many connections it needed."""
    pending = list(events)
    connections = 0
    batch_size = max(1, PER_SECOND // 10)
    pause = batch_size / PER_SECOND
    while pending:
        node = cluster.nodes[connections % len(cluster.nodes)]
        connections += 1
        try:
            connection = await aio_pika.connect(cluster.amqp_url(vhost, node), timeout=5)
            async with connection:
                channel = await connection.channel(publisher_confirms=True)
                exchange = await channel.get_exchange("city.inbound", ensure=False)
                while pending:
                    batch = pending[:batch_size]
                    await asyncio.gather(
                        *(
                            exchange.publish(
                                aio_pika.Message(
                                    json.dumps(event).encode(),
                                    message_id=event["id"],
                                    content_type="application/cloudevents+json",
                                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                ),
                                routing_key=event["type"],
                                timeout=10,
                            )
                            for event in batch
                        )
                    )
                    del pending[: len(batch)]
                    await asyncio.sleep(pause)
        except Exception:
            await asyncio.sleep(0.2)
    return connections


@contextlib.asynccontextmanager
async def streaming(publishing: Coroutine[Any, Any, int]) -> AsyncIterator[asyncio.Task[int]]:
    """The stream as a task, cancelled if the test ends before it does."""
    task = asyncio.create_task(publishing)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def not_ready(services: Sequence[Service]) -> dict[str, dict[str, str]]:
    """The services that are not ready, with their checks (empty: all ready)."""
    states = {}
    for service in services:
        checks = await service.readiness()
        if any(state != "ok" for state in checks.values()):
            states[service.name] = checks
    return states


async def ready_again_after(services: Sequence[Service], started: float) -> float:
    """Seconds from ``started`` until every service is ready and stays so for 2 s."""
    deadline = started + READY_WITHIN_S + 15
    ready_since: float | None = None
    last: dict[str, dict[str, str]] = {}
    while time.monotonic() < deadline:
        last = await not_ready(services)
        now = time.monotonic()
        if last:
            ready_since = None
        elif ready_since is None:
            ready_since = now
        elif now - ready_since >= 2:
            return ready_since - started
        await asyncio.sleep(0.25)
    raise AssertionError(f"not ready {deadline - started:.0f}s after the failure: {last}")


async def counted_progress(platform: TestPlatform, beyond: int, timeout: float = 90) -> int:
    async def grown() -> int:
        count = await registered_in_reporting(platform)
        return count if count > beyond else 0

    try:
        return await eventually(grown, timeout=timeout, message=f"reporting stuck at {beyond}")
    except AssertionError as error:
        volunteers = await patient_fetchval(platform, "SELECT count(*) FROM matching.volunteers")
        pending = await patient_fetchval(
            platform, "SELECT count(*) FROM matching.outbox WHERE published_at IS NULL"
        )
        raise AssertionError(
            f"{error}; matching has {volunteers} volunteers, {pending} events unpublished"
        ) from None


async def assert_every_registration_once(platform: TestPlatform, total: int) -> None:
    await wait_for_reporting_count(platform, total, timeout=STREAM_TIMEOUT_S)
    counts = {
        "volunteers": "SELECT count(*) FROM matching.volunteers",
        "counted": "SELECT count(DISTINCT volunteer_id) FROM reporting.volunteers",
        "unpublished": "SELECT count(*) FROM matching.outbox WHERE published_at IS NULL",
    }
    found = {name: await patient_fetchval(platform, query) for name, query in counts.items()}
    assert found == {"volunteers": total, "counted": total, "unpublished": 0}


async def queue_leaders(
    cluster: RabbitCluster, vhost: str, *, skip: Node | None = None
) -> dict[str, str]:
    return {name: await cluster.leader(vhost, name, skip=skip) for name in SERVICES}


@pytest.mark.timeout(STREAM_TIMEOUT_S + 120)
@pytest.mark.parametrize(
    ("failure", "back_mid_stream"),
    FAILURES,
    ids=[f"{how}-{'back-mid-stream' if back else 'stays-away'}" for how, back in FAILURES],
)
async def test_the_queue_leader_goes_away_mid_stream_and_nothing_is_lost(
    rabbit_cluster: RabbitCluster,
    cluster_platform: TestPlatform,
    failure: str,
    back_mid_stream: bool,
) -> None:
    cluster, platform = rabbit_cluster, cluster_platform
    events = [registered(f"cluster-{failure}-{back_mid_stream}-{n}") for n in range(STREAM)]
    addresses = ",".join(cluster.addresses)
    leader: Node | None = None
    try:
        async with (
            platform.running(*SERVICES, amqp_addresses=addresses, **QUIET) as services,
            streaming(publish_stream(cluster, platform.vhost, events)) as publishing,
        ):
            await counted_progress(platform, STREAM // 20)

            # The node leading the matching queue (the first node the services reached, so
            # most often every service queue's) goes away.
            leaders = await queue_leaders(cluster, platform.vhost)
            leader = cluster.node_named(leaders["matching"])
            started = time.monotonic()
            go_away = cluster.stop_app if failure == "stop_app" else cluster.kill
            going = asyncio.create_task(cluster.run(go_away, leader))
            recovery = await ready_again_after(services, started)
            await going
            print(
                f"{failure} of the leader {leader.name}: every service ready after {recovery:.1f}s"
            )
            assert recovery <= READY_WITHIN_S, f"ready again after {recovery:.1f}s"
            moved = await queue_leaders(cluster, platform.vhost, skip=leader)
            assert leader.name not in moved.values(), moved
            counted = await counted_progress(platform, await registered_in_reporting(platform))

            if back_mid_stream:
                come_back = cluster.start_app if failure == "stop_app" else cluster.restart_killed
                await cluster.run(come_back, leader)
                leader = None
                assert counted < STREAM, "the stream was over before the node came back"
                recovery = await ready_again_after(services, time.monotonic())
                assert recovery <= READY_WITHIN_S, f"ready again after {recovery:.1f}s"
                await counted_progress(platform, await registered_in_reporting(platform))

            connections = await publishing
            assert connections > 1, "the portal's connection never went away: nothing was tested"
            await assert_every_registration_once(platform, STREAM)
    finally:
        # The next test gets all three nodes again.
        if leader is not None:
            come_back = cluster.start_app if failure == "stop_app" else cluster.restart_killed
            await cluster.run(come_back, leader)


@pytest.mark.timeout(STREAM_TIMEOUT_S + 120)
async def test_postgres_restarts_mid_stream_and_nothing_is_lost(
    rabbit_cluster: RabbitCluster,
    private_postgres: PrivatePostgres,
    private_platform: TestPlatform,
) -> None:
    cluster, platform = rabbit_cluster, private_platform
    events = [registered(f"pg-restart-{n}") for n in range(STREAM)]
    addresses = ",".join(cluster.addresses)
    async with (
        platform.running(*SERVICES, amqp_addresses=addresses, **QUIET) as services,
        streaming(publish_stream(cluster, platform.vhost, events)) as publishing,
    ):
        await counted_progress(platform, STREAM // 10)
        started = time.monotonic()
        await asyncio.to_thread(private_postgres.restart)
        print(f"Postgres restarted in {time.monotonic() - started:.1f}s")
        recovery = await ready_again_after(services, started)
        print(f"Postgres restarted: every service ready again after {recovery:.1f}s")
        assert recovery <= READY_WITHIN_S, f"ready again after {recovery:.1f}s"
        counted = await counted_progress(platform, await registered_in_reporting(platform))
        assert counted < STREAM, "the stream was over before it was checked"
        await publishing
        await assert_every_registration_once(platform, STREAM)
