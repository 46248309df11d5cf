"""The seed: a 2019-like edition through the use cases, and nothing doubled when run again."""

from __future__ import annotations

import asyncio
import os
import sys

from registry.seed import BRANCHES, seed
from shared.testing.platform import TestPlatform

TABLES = (
    "branches",
    "editions",
    "enrolments",
    "staff",
    "trainers",
    "coordinator_assignments",
    "trainer_assignments",
    "mentor_assignments",
    "training_modules",
    "training_sessions",
    "attendance",
    "stage_records",
    "programmes",
    "monitoring_visits",
    "annual_reports",
    "outbox",
)


async def _counts(platform: TestPlatform) -> dict[str, int]:
    return {
        table: int(await platform.fetchval(f"SELECT count(*) FROM registry.{table}"))
        for table in TABLES
    }


async def test_the_seed_creates_a_2019_edition_once(platform: TestPlatform) -> None:
    service = platform.build("registry")
    try:
        summary = await seed(service)
    finally:
        await service.database.dispose()
    assert (summary.branches, summary.enrolments) == (BRANCHES, BRANCHES)
    first = await _counts(platform)
    assert first["branches"] == 45 and first["enrolments"] == 45
    assert first["monitoring_visits"] > 0 and first["mentor_assignments"] == 2
    assert first["outbox"] > 45 * 4, "every change went out through the outbox"
    districts = await platform.fetchval("SELECT count(DISTINCT district) FROM registry.branches")
    assert districts == 18
    stages = {
        row["stage"]: row["n"]
        for row in await platform.fetch(
            "SELECT stage, count(*) AS n FROM registry.enrolments GROUP BY stage"
        )
    }
    assert set(stages) == {
        None,
        "trained",
        "programme_prepared",
        "recruiting",
        "volunteers_active",
        "evaluated",
    }
    names = {row["name"] for row in await platform.fetch("SELECT name FROM registry.branches")}
    assert "Wypożyczalnia dla Dorosłych i Młodzieży nr 1" in names
    assert any(name.startswith("Biblioteka dla Dzieci i Młodzieży nr ") for name in names)
    shared_coordinators = await platform.fetchval(
        "SELECT count(*) FROM (SELECT staff_id FROM registry.coordinator_assignments "
        "GROUP BY staff_id HAVING count(*) > 1) AS s"
    )
    assert shared_coordinators > 0, "some people coordinate more than one branch"

    # Again, through the command line this time: nothing new.
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "registry",
        "seed",
        env={**os.environ, **platform.env("registry")},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    assert "45 branches, 45 enrolled" in output.decode()
    assert await _counts(platform) == first
