"""Gauges a service computes when it is scraped: its outbox backlog and its readiness.

Read from the outbox table at scrape time (one indexed query over the pending rows), so
every replica reports the same backlog, and a relay that is stuck, or not running at all,
shows as a growing age rather than as silence.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import sqlalchemy as sa
from prometheus_client import Gauge

from shared.db import Database
from shared.logging import get_logger

log = get_logger(__name__)

OUTBOX_PENDING = Gauge(
    "outbox_pending_events", "Outbox events committed and not yet confirmed by the broker",
    ["service"],
)  # fmt: skip
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_pending_age_seconds",
    "Age of the oldest outbox event not yet published (0 when none waits)",
    ["service"],
)
SERVICE_READY = Gauge(
    "service_ready",
    "1 when the dependency check passes (database, migrations, broker), else 0",
    ["service", "check"],
)
SERVICE_ALIVE = Gauge(
    "service_alive",
    "1 when the liveness check passes (broker, relay), else 0: the reason is in /health/live",
    ["service", "check"],
)
SCRAPE_QUERY_SECONDS = 2.0


async def pending_outbox_events(database: Database, schema: str) -> int | None:
    """How many outbox events wait; None when the database does not answer in time."""
    query = sa.text(f'SELECT count(*) FROM "{schema}".outbox WHERE published_at IS NULL')
    try:
        async with asyncio.timeout(SCRAPE_QUERY_SECONDS), database.engine.connect() as connection:
            return int((await connection.execute(query)).scalar_one())
    except Exception:
        return None


async def refresh_outbox_gauges(database: Database, schema: str) -> None:
    """Count the pending rows and measure the oldest, by the database's clock."""
    query = sa.text(
        f"SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0) "
        f'FROM "{schema}".outbox WHERE published_at IS NULL'
    )
    try:
        async with asyncio.timeout(SCRAPE_QUERY_SECONDS), database.engine.connect() as connection:
            pending, oldest = (await connection.execute(query)).one()
    except Exception as error:
        # The gauges keep their last values; readiness reports the database as down.
        log.warning("outbox gauges not refreshed", error=repr(error))
        return
    OUTBOX_PENDING.labels(schema).set(int(pending))
    OUTBOX_OLDEST_AGE.labels(schema).set(float(oldest))


def record_readiness(service: str, checks: Mapping[str, str]) -> None:
    for check, state in checks.items():
        SERVICE_READY.labels(service, check).set(1 if state == "ok" else 0)


def record_liveness(service: str, alive: Mapping[str, bool]) -> None:
    """Each liveness check (``Service.liveness``) and whether its state keeps a replica alive."""
    for check, passes in alive.items():
        SERVICE_ALIVE.labels(service, check).set(1 if passes else 0)
