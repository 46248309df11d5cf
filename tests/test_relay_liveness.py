"""A replica's liveness speaks for its relay: a relay task that ended, or one that hangs
while events wait, makes ``/health/live`` answer 503 with the reason (and the metric
``service_alive`` 0), so that Kubernetes restarts the pod. A relay that merely has nothing to
do, or waits for its broker, keeps the replica alive. A cancellation that comes up from the
broker's client (a channel closed under a publish) no longer ends the relay.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
from prometheus_client import REGISTRY

from shared.db import asyncpg_dsn
from shared.relay import OutboxRelay
from shared.service import Service
from shared.testing.platform import TestPlatform, eventually
from shared.topology import EVENTS_EXCHANGE

STALL_GRACE_S = 2.0


def client_of(service: Service) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=service.http), base_url="http://s")


def alive_metric(check: str) -> float | None:
    return REGISTRY.get_sample_value("service_alive", {"service": "reporting", "check": check})


async def write_pending(platform: TestPlatform, count: int, prefix: str) -> None:
    for n in range(count):
        await platform.fetch(
            "INSERT INTO reporting.outbox (event_id, event_type, exchange, routing_key, body)"
            " VALUES ($1, 't', $2, 'pl.waw.test.liveness.v1', '\\x7b7d')",
            f"{prefix}-{n}",
            EVENTS_EXCHANGE,
        )


async def pending(platform: TestPlatform) -> int:
    return int(
        await platform.fetchval("SELECT count(*) FROM reporting.outbox WHERE published_at IS NULL")
    )


async def test_a_relay_that_hangs_while_events_wait_is_not_alive_until_it_moves_again(
    platform: TestPlatform,
) -> None:
    await write_pending(platform, 3, "hang")
    # A lock that lets the backlog be counted but keeps the relay's claim (an UPDATE)
    # waiting: the relay hangs on it as on a connection that never answers.
    holder = await asyncpg.connect(asyncpg_dsn(platform.database_url("reporting", owner=True)))
    locked = holder.transaction()
    await locked.start()
    await holder.execute("LOCK TABLE reporting.outbox IN SHARE MODE")
    try:
        async with (
            platform.running("reporting", relay_stall_grace_s=str(STALL_GRACE_S)) as (reporting,),
            client_of(reporting) as client,
        ):
            live = await client.get("/health/live")
            assert live.status_code == 200, live.text
            assert live.json() == {"status": "ok", "broker": "ok", "relay": "ok"}

            await asyncio.sleep(STALL_GRACE_S + 0.5)
            dead = await client.get("/health/live")
            assert dead.status_code == 503, dead.text
            relay = dead.json()["checks"]["relay"]
            assert relay.startswith("stalled: no claim settled for"), relay
            assert relay.endswith("while 3 events wait")
            assert "relay: stalled" in dead.json()["detail"]
            assert dead.json()["checks"]["broker"] == "ok"
            await client.get("/metrics")
            assert alive_metric("relay") == 0
            assert alive_metric("broker") == 1
            # Not ready-related: the replica still serves and is ready.
            assert (await client.get("/health/ready")).status_code == 200
            # Had its broker been away, the broker's check (and its grace) would speak.
            assert (await reporting.liveness(broker_connected=False))["relay"] == (
                "waiting: for the broker"
            )

            await locked.rollback()

            async def moving_again() -> bool:
                live = await client.get("/health/live")
                return live.status_code == 200 and await pending(platform) == 0

            await eventually(moving_again, timeout=20, message="the relay did not move again")
            await client.get("/metrics")
            assert alive_metric("relay") == 1
    finally:
        if holder.is_in_transaction():
            await locked.rollback()
        await holder.close()


async def test_an_idle_relay_is_alive_however_long_it_had_nothing_to_claim(
    platform: TestPlatform,
) -> None:
    async with (
        platform.running("reporting", relay_stall_grace_s="0.5", relay_poll_interval_s="30") as (
            reporting,
        ),
        client_of(reporting) as client,
    ):
        await asyncio.sleep(1.0)  # no cycle completes while it waits for a notification
        live = await client.get("/health/live")
        assert live.status_code == 200, live.text
        assert live.json()["relay"] == "ok"


async def test_a_relay_task_that_ended_makes_the_replica_not_alive_at_once(
    platform: TestPlatform,
) -> None:
    async with (
        platform.running("reporting") as (reporting,),
        client_of(reporting) as client,
    ):
        assert (await client.get("/health/live")).status_code == 200
        task = reporting._relay_task
        assert task is not None
        task.cancel()  # as a stray cancellation or an error the loop did not catch would
        await asyncio.gather(task, return_exceptions=True)

        dead = await client.get("/health/live")
        assert dead.status_code == 503, dead.text
        assert dead.json()["checks"]["relay"] == "stopped: the relay task ended (cancelled)"
        await client.get("/metrics")
        assert alive_metric("relay") == 0


class ClosingChannel:
    """A publisher whose first publishes are cancelled as aiormq cancels the confirms of a
    channel that closes under them; later ones are confirmed."""

    is_connected = True

    def __init__(self, cancelled: int) -> None:
        self.cancelled = cancelled
        self.confirmed: list[str] = []

    async def publish(self, *, message_id: str, **_: Any) -> None:
        if self.cancelled > 0:
            self.cancelled -= 1
            raise asyncio.CancelledError
        self.confirmed.append(message_id)


async def test_a_publish_cancelled_with_its_channel_leaves_the_relay_running(
    platform: TestPlatform,
) -> None:
    await write_pending(platform, 4, "closing")
    broker = ClosingChannel(cancelled=2)
    relay = OutboxRelay(
        dsn=asyncpg_dsn(platform.database_url("reporting")),
        schema="reporting",
        publisher=broker,  # type: ignore[arg-type]
        poll_interval_s=0.1,
    )
    task = asyncio.create_task(relay.run())
    try:

        async def all_published() -> bool:
            assert not task.done(), task
            return await pending(platform) == 0

        await eventually(all_published, timeout=20, message="the relay did not publish")
        assert sorted(broker.confirmed) == [f"closing-{n}" for n in range(4)]
        attempts = await platform.fetch(
            "SELECT event_id, attempts, last_error FROM reporting.outbox ORDER BY event_id"
        )
        # The two cancelled publishes were attempts that failed, and went out again.
        assert sum(row["attempts"] for row in attempts) == 6
        assert any("channel closed" in (row["last_error"] or "") for row in attempts)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()  # its own cancellation still ends it
