"""The seed: a 2019-like edition through the use cases, and nothing doubled when run again."""

from __future__ import annotations

import asyncio
import os
import sys

from registry.seed import APPLICANTS, BRANCHES, seed
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
    "application_calls",
    "applications",
    "review_comments",
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
    assert summary.applications == BRANCHES + APPLICANTS == 60
    first = await _counts(platform)
    assert first["branches"] == 60 and first["enrolments"] == 45
    # Every enrolment came from an accepted application; the others were rejected or wait.
    decisions = {
        row["status"]: row["n"]
        for row in await platform.fetch(
            "SELECT status, count(*) AS n FROM registry.applications GROUP BY status"
        )
    }
    assert decisions == {"accepted": 45, "rejected": 13, "submitted": 2}
    granted = await platform.fetchval("SELECT sum(funding_pln) FROM registry.enrolments")
    assert (
        0 < granted <= await platform.fetchval("SELECT budget_pln FROM registry.application_calls")
    )
    # Programmes in different states, the forum's notes, a few reports.
    programme_states = {
        row["status"]
        for row in await platform.fetch("SELECT DISTINCT status FROM registry.programmes")
    }
    assert programme_states == {"draft", "submitted", "accepted"}
    assert first["review_comments"] > 0 and first["annual_reports"] > 0
    assert (
        await platform.fetchval(
            "SELECT count(*) FROM registry.training_sessions WHERE notes IS NOT NULL"
        )
        == 1
    )
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
        "--chunk-size",
        "20",
        env={**os.environ, **platform.env("registry")},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    assert "45 branches, 45 enrolled, 60 applications" in output.decode()
    # Three transactions of at most 20 branches, each shown as it is done.
    shown = [line for line in output.decode().splitlines() if line.startswith("registry seed: b")]
    assert shown == [f"registry seed: branches: {n}/45" for n in (20, 40, 45)]
    assert await _counts(platform) == first
