"""The services on a three-node RabbitMQ cluster: a node goes away mid-stream, nothing is lost.

A stream of portal registrations flows through matching (volunteers, outbox) to reporting
(totals) while

1. the node that leads the services' quorum queues stops (``rabbitmqctl stop_app``) and comes
   back, then another node is killed (SIGKILL) and started again;
2. the services' database connection is cut for a few seconds (a proxy between the services
   and Postgres: the machine's Postgres serves other tests, so it is not restarted).

Each time: every registration counted once (0 lost, 0 applied twice) and every service ready
again within 30 s. The stream is 1,500 registrations, not 5,000: the services, the three
nodes and the test share this machine's two cores, and the larger stream only takes longer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Coroutine, Sequence
from typing import Any

import aio_pika
import asyncpg
import sqlalchemy as sa

from shared.service import Service
from shared.testing.platform import TestPlatform, eventually
from shared.testing.proxy import CuttableProxy
from tests.cluster.rabbitmq import Node, RabbitCluster
from tests.portal import registered

SERVICES = ("registry", "matching", "reporting")
STREAM = 1500
PER_SECOND = 50
READY_WITHIN_S = 30.0
# Few messages in flight, so few database connections: the machine's Postgres (100
# connections) is shared with every other test that runs meanwhile.
QUIET = {"consumer_prefetch": "4"}


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
                    await asyncio.sleep(0.1)
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
    await wait_for_reporting_count(platform, total, timeout=240)
    counts = {
        "volunteers": "SELECT count(*) FROM matching.volunteers",
        "counted": "SELECT count(DISTINCT volunteer_id) FROM reporting.volunteers",
        "unpublished": "SELECT count(*) FROM matching.outbox WHERE published_at IS NULL",
    }
    found = {name: await patient_fetchval(platform, query) for name, query in counts.items()}
    assert found == {"volunteers": total, "counted": total, "unpublished": 0}


async def queue_leaders(
    cluster: RabbitCluster, vhost: str, *, skip: Node | None = None
) -> set[str]:
    return {await cluster.leader(vhost, name, skip=skip) for name in SERVICES}


async def test_the_queue_leader_stops_and_another_node_dies_mid_stream(
    rabbit_cluster: RabbitCluster, cluster_platform: TestPlatform
) -> None:
    cluster, platform = rabbit_cluster, cluster_platform
    events = [registered(f"cluster-{n}") for n in range(STREAM)]
    addresses = ",".join(cluster.addresses)
    async with (
        platform.running(*SERVICES, amqp_addresses=addresses, **QUIET) as services,
        streaming(publish_stream(cluster, platform.vhost, events)) as publishing,
    ):
        await counted_progress(platform, STREAM // 10)

        # 1. The node leading the services' queues stops, as in a rolling upgrade.
        (leader_name,) = await queue_leaders(cluster, platform.vhost)
        leader = cluster.node_named(leader_name)
        started = time.monotonic()
        stopping = asyncio.create_task(cluster.run(cluster.stop_app, leader))
        recovery = await ready_again_after(services, started)
        print(f"leader {leader_name} stopped: every service ready again after {recovery:.1f}s")
        await stopping
        assert recovery <= READY_WITHIN_S, f"ready again after {recovery:.1f}s"
        assert leader_name not in await queue_leaders(cluster, platform.vhost, skip=leader)
        counted = await counted_progress(platform, await registered_in_reporting(platform))

        # 2. It comes back mid-stream; then another node dies without a word.
        await cluster.run(cluster.start_app, leader)
        assert await registered_in_reporting(platform) < STREAM, "the stream ended already"
        victim = next(node for node in cluster.nodes if node is not leader)
        started = time.monotonic()
        await cluster.run(cluster.kill, victim)
        recovery = await ready_again_after(services, started)
        print(f"{victim.name} killed: every service ready again after {recovery:.1f}s")
        assert recovery <= READY_WITHIN_S, f"ready again after {recovery:.1f}s"
        await counted_progress(platform, max(counted, await registered_in_reporting(platform)))
        await cluster.run(cluster.restart_killed, victim)

        connections = await publishing
        assert connections > 1, "the portal's connection never went away: nothing was tested"
        await assert_every_registration_once(platform, STREAM)


async def test_a_database_cut_mid_stream_on_the_cluster(
    rabbit_cluster: RabbitCluster, cluster_platform: TestPlatform
) -> None:
    cluster, platform = rabbit_cluster, cluster_platform
    total = 400
    events = [registered(f"cut-{n}") for n in range(total)]
    postgres = sa.make_url(platform.admin_url)
    proxies = {}
    for service in SERVICES:
        proxy = CuttableProxy(postgres.host or "127.0.0.1", postgres.port or 5432)
        await proxy.start()
        proxies[service] = proxy
    try:
        async with contextlib.AsyncExitStack() as stack:
            started_lists = [
                await stack.enter_async_context(
                    platform.running(
                        service,
                        amqp_addresses=",".join(cluster.addresses),
                        database_url=platform.database_url(service, port=proxies[service].port),
                        **QUIET,
                    )
                )
                for service in SERVICES
            ]
            services = [started for (started,) in started_lists]
            publishing = await stack.enter_async_context(
                streaming(publish_stream(cluster, platform.vhost, events))
            )
            await counted_progress(platform, total // 10)
            started = time.monotonic()
            for proxy in proxies.values():
                proxy.cut()
            await asyncio.sleep(5)
            for proxy in proxies.values():
                proxy.restore()
            recovery = await ready_again_after(services, started)
            print(f"database cut for 5 s: every service ready again after {recovery:.1f}s")
            assert recovery <= READY_WITHIN_S, f"ready again after {recovery:.1f}s"
            await publishing
            await assert_every_registration_once(platform, total)
    finally:
        for proxy in proxies.values():
            await proxy.close()
