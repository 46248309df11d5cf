"""The outbox relay when the broker's confirms do not come: bounded wait, nothing lost."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from shared.db import asyncpg_dsn
from shared.relay import OutboxRelay
from shared.testing.platform import TestPlatform, eventually
from tests.portal import registered


class SilentBroker:
    """A publisher whose connection looks up but whose confirms never arrive."""

    is_connected = True

    def __init__(self) -> None:
        self.attempts = 0

    async def publish(self, **_: Any) -> None:
        self.attempts += 1
        await asyncio.Event().wait()


async def pending(platform: TestPlatform) -> int:
    count = await platform.fetchval(
        "SELECT count(*) FROM matching.outbox WHERE published_at IS NULL"
    )
    return int(count)


async def test_confirms_that_never_come_release_the_rows_for_the_next_attempt(
    platform: TestPlatform,
) -> None:
    async with platform.running("matching", relay_enabled="false"):
        await platform.publish_event(registered("silent-1"))

        async def committed() -> bool:
            return await pending(platform) == 2

        await eventually(committed)

    broker = SilentBroker()
    relay = OutboxRelay(
        dsn=asyncpg_dsn(platform.database_url("matching")),
        schema="matching",
        publisher=broker,  # type: ignore[arg-type]
        confirm_timeout_s=0.5,
    )
    pool = await asyncpg.create_pool(
        asyncpg_dsn(platform.database_url("matching")), min_size=1, max_size=2
    )
    try:
        with pytest.raises(TimeoutError):
            await relay.publish_pending(pool)
        assert broker.attempts == 2
        # The claim was rolled back: the rows are pending again, and not locked.
        assert await pending(platform) == 2
        with pytest.raises(TimeoutError):
            await relay.publish_pending(pool)
        assert broker.attempts == 4
    finally:
        await pool.close()

    # The real relay, on the real broker, then publishes them.
    async with platform.running("matching", "reporting"):

        async def published() -> bool:
            return await pending(platform) == 0

        await eventually(published, timeout=30)
