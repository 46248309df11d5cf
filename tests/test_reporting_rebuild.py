"""``python -m reporting rebuild --chunk-size N``: the log read in chunks of their own
transactions gives the same read models as the live path, shows its progress, and misses no
fact whose transaction was still open while its chunk was read."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import uuid

import asyncpg

from reporting import demo
from reporting.rebuild import rebuild_in_chunks
from shared.db import Database
from shared.progress import steps
from shared.testing.platform import TestPlatform
from tests.test_reporting_flow import publish_events, read_tables, wait_for_facts

REGISTERED_TYPE = "%matching.volunteer.registered%"


async def registered_count(platform: TestPlatform) -> int:
    return int(await platform.fetchval("SELECT registered FROM reporting.volunteer_totals") or 0)


async def test_a_chunked_rebuild_gives_the_live_read_models_and_shows_progress(
    platform: TestPlatform,
) -> None:
    scenario = demo.scenario()
    async with platform.running("reporting"):
        await publish_events(platform, scenario)
        await wait_for_facts(platform, len(scenario))
    live = await read_tables(platform)
    assert all(live.values())

    env = {**os.environ, **platform.env("reporting")}
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "reporting", "rebuild", "--chunk-size", "7"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"from {len(scenario)} facts" in done.stdout
    # Not a terminal: a line per chunk of 7 on stderr, the last one at the total.
    lines = [line for line in done.stderr.splitlines() if line.startswith("facts replayed: ")]
    assert len(lines) == -(-len(scenario) // 7)
    assert lines[0] == f"facts replayed: 7/{len(scenario)}"
    assert lines[-1] == f"facts replayed: {len(scenario)}/{len(scenario)}"
    assert await read_tables(platform) == live

    refused = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "reporting", "rebuild", "--chunk-size", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2 and "--chunk-size" in refused.stderr


async def test_a_fact_committed_late_below_a_read_chunk_is_not_missed(
    platform: TestPlatform,
) -> None:
    scenario = demo.scenario()
    async with platform.running("reporting"):
        await publish_events(platform, scenario)
        await wait_for_facts(platform, len(scenario))
    before = await registered_count(platform)

    url = platform.database_url("reporting").replace("+asyncpg", "")
    late, on_time = await asyncpg.connect(url), await asyncpg.connect(url)
    database = Database(platform.database_url("reporting"), "reporting")
    try:
        template = await late.fetchrow(
            "SELECT event_source, event_type, occurred_at, data FROM reporting.facts "
            "WHERE event_type LIKE $1 LIMIT 1",
            REGISTERED_TYPE,
        )
        assert template is not None

        async def insert(connection: asyncpg.Connection) -> int:
            data = {**json.loads(template["data"]), "volunteer_id": str(uuid.uuid4())}
            seq: int = await connection.fetchval(
                "INSERT INTO reporting.facts "
                "(event_id, event_source, event_type, occurred_at, recorded_at, data) "
                "VALUES ($1, $2, $3, $4, now(), $5::jsonb) RETURNING seq",
                str(uuid.uuid4()),
                template["event_source"],
                template["event_type"],
                template["occurred_at"],
                json.dumps(data),
            )
            return seq

        # A consumer's transaction takes a number and stays open; a later one commits.
        held = late.transaction()
        await held.start()
        late_seq = await insert(late)
        on_time_seq = await insert(on_time)
        assert on_time_seq > late_seq

        reads: list[int] = []

        async def after_chunk(last: int) -> None:
            reads.append(last)
            # The reader went past the open fact's number: now it commits.
            if last >= on_time_seq and held is not None and not committed:
                await held.commit()
                committed.append(True)

        committed: list[bool] = []
        shown = io.StringIO()
        with steps("facts replayed", stream=shown) as progress:
            replayed = await rebuild_in_chunks(
                database, chunk_size=5, progress=progress, after_chunk=after_chunk
            )
        assert committed, f"the reader never passed {on_time_seq}: {reads}"
        assert replayed == len(scenario) + 2
        assert await registered_count(platform) == before + 2
        assert shown.getvalue().splitlines()[-1] == f"facts replayed: {replayed}/{replayed}"
    finally:
        await database.dispose()
        await late.close()
        await on_time.close()
