"""Health that fits each kind of replica.

An API-only replica (no consumer, no relay) answers from its database: it starts, is ready
and stays alive with no broker at all. A consumer replica without its broker is not ready
(``broker: unreachable``), shows it in the ``broker_connected`` metric, and stops being
alive only when the broker stays away past ``BROKER_LIVENESS_GRACE_S``.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

import httpx

from shared.service import Service
from shared.testing.platform import TestPlatform, eventually, free_port
from shared.testing.proxy import CuttableProxy

# Long enough for the checks between the cut and the first liveness call on a busy machine
# (each readiness call waits up to 2 s for the broker's answer).
GRACE_S = 8.0


def client_of(service: Service) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=service.http), base_url="http://s")


def broker_connected_metric(text: str, service: str) -> float:
    for line in text.splitlines():
        if line.startswith(f'broker_connected{{service="{service}"}}'):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no broker_connected for {service} in the metrics")


async def test_an_api_only_replica_is_ready_and_alive_without_a_broker(
    platform: TestPlatform,
) -> None:
    nowhere = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    async with (
        platform.running(
            "reporting", consumer_enabled="false", relay_enabled="false", amqp_url=nowhere
        ) as (reporting,),
        client_of(reporting) as client,
    ):
        ready = await client.get("/health/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": "ok", "migrations": "ok"}
        assert (await client.get("/health/live")).status_code == 200
        # Its readiness is its database's: an old schema makes it not ready.
        await platform.fetch("UPDATE reporting.alembic_version SET version_num = 'old'")
        assert (await client.get("/health/ready")).status_code == 503


async def test_a_consumer_replica_reports_a_lost_broker_in_readiness_metrics_and_liveness(
    platform: TestPlatform,
) -> None:
    broker = urlsplit(platform.amqp_url)
    proxy = CuttableProxy(broker.hostname or "127.0.0.1", broker.port or 5672)
    await proxy.start()
    through_proxy = urlunsplit(
        (
            broker.scheme,
            f"{broker.username}:{broker.password}@127.0.0.1:{proxy.port}",
            broker.path,
            "",
            "",
        )
    )
    try:
        grace = {"broker_liveness_grace_s": str(GRACE_S)}
        async with (
            platform.running("reporting", amqp_url=through_proxy, **grace) as (reporting,),
            client_of(reporting) as client,
        ):
            assert (await client.get("/health/ready")).status_code == 200
            live = await client.get("/health/live")
            assert live.json() == {"status": "ok", "broker": "ok", "relay": "ok"}
            assert broker_connected_metric((await client.get("/metrics")).text, "reporting")

            proxy.cut()

            async def lost() -> bool:
                ready = await client.get("/health/ready")
                return ready.status_code == 503

            await eventually(lost, timeout=10)
            ready = await client.get("/health/ready")
            assert ready.json()["checks"]["broker"] == "unreachable"
            assert ready.json()["checks"]["database"] == "ok"
            metrics = (await client.get("/metrics")).text
            assert broker_connected_metric(metrics, "reporting") == 0
            # Within the grace the replica is alive (its connections are recovering)...
            recovering = await client.get("/health/live")
            assert recovering.status_code == 200, recovering.text
            await asyncio.sleep(GRACE_S + 0.5)
            # ...past it, not: a restart connects afresh.
            dead = await client.get("/health/live")
            assert dead.status_code == 503, dead.text
            assert dead.json()["checks"]["broker"].startswith("unreachable for")

            proxy.restore()

            async def back() -> bool:
                live = await client.get("/health/live")
                ready = await client.get("/health/ready")
                return live.status_code == 200 and ready.status_code == 200

            await eventually(back, timeout=30, message="the replica did not recover")
            metrics = (await client.get("/metrics")).text
            assert broker_connected_metric(metrics, "reporting") == 1
    finally:
        await proxy.close()
