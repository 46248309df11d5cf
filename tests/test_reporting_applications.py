"""Reporting counts the branches' applications on the real broker and database: registry's
events in (shuffled and partly duplicated), the applications report out per edition and
district, and a rebuild from the fact log writes the same rows."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from reporting import applications as a
from reporting import demo
from reporting.domain import facts as f
from shared.testing.platform import TestPlatform, cloud_event
from tests.test_reporting_flow import client_for, publish_events, wait_for_facts

FIRST, SECOND = uuid.uuid4(), uuid.uuid4()
BRANCHES = {"wola-12": uuid.uuid4(), "wola-20": uuid.uuid4(), "mokotow-3": uuid.uuid4()}
TABLES = {"branch_applications": "edition_id, branch_id", "application_branches": "branch_id"}


def scenario() -> list[dict[str, Any]]:
    """In the order registry would publish them, a minute apart."""
    start = datetime(2026, 2, 1, 9, tzinfo=UTC)
    steps: list[tuple[str, dict[str, Any]]] = [
        (f.BRANCH_REGISTERED, {"district": code.rsplit("-", 1)[0], "code": code,
                               "institution_type": "library_branch", "branch_id": str(branch)})
        for code, branch in BRANCHES.items()
    ]  # fmt: skip
    ids = {key: uuid.uuid4() for key in ("w12", "w20", "m3", "m3-second")}

    def step(kind: str, key: str, edition: uuid.UUID, code: str, **extra: Any) -> None:
        steps.append((kind, {"application_id": str(ids[key]), "edition_id": str(edition),
                             "branch_id": str(BRANCHES[code]), "code": code,
                             "decided_on": "2026-02-20", **extra}))  # fmt: skip

    step(a.APPLICATION_SUBMITTED, "w12", FIRST, "wola-12", task_types=["reading_help"])
    step(a.APPLICATION_SUBMITTED, "w20", FIRST, "wola-20", task_types=["reading_help"])
    step(a.APPLICATION_SUBMITTED, "m3", FIRST, "mokotow-3", task_types=["event_help"])
    step(a.APPLICATION_ACCEPTED, "w12", FIRST, "wola-12", funding_pln="5000.00",
         enrolment_id=str(uuid.uuid4()))  # fmt: skip
    step(a.APPLICATION_CHANGES_REQUESTED, "w20", FIRST, "wola-20", changes="Proszę dopisać")
    step(a.APPLICATION_SUBMITTED, "w20", FIRST, "wola-20", task_types=["reading_help"])
    step(a.APPLICATION_REJECTED, "w20", FIRST, "wola-20", reason="Brak miejsca")
    report = {
        "branch_id": str(BRANCHES["wola-12"]),
        "code": "wola-12",
        "edition_id": str(FIRST),
        "accepted_on": "2026-12-01",
        "funding_pln": "5000.00",
        "spent_pln": "4200.50",
    }
    steps.append((a.REPORT_ACCEPTED, report))
    step(a.APPLICATION_SUBMITTED, "m3-second", SECOND, "mokotow-3", task_types=["event_help"])
    step(a.APPLICATION_ACCEPTED, "m3-second", SECOND, "mokotow-3", funding_pln="3000.00",
         enrolment_id=str(uuid.uuid4()))  # fmt: skip
    return [
        cloud_event(kind, data, source=demo.REGISTRY, time=start + timedelta(minutes=n))
        for n, (kind, data) in enumerate(steps)
    ]


def figures(
    applications: int, accepted: int, rejected: int, waiting: int, rate: float | None,
    granted: str, settled: str,
) -> dict[str, Any]:  # fmt: skip
    return {"applications": applications, "accepted": accepted, "rejected": rejected,
            "waiting": waiting, "acceptance_rate": rate, "granted_pln": granted,
            "settled_pln": settled}  # fmt: skip


async def rows(platform: TestPlatform) -> dict[str, list[tuple[Any, ...]]]:
    found = {}
    for table, order in TABLES.items():
        query = f"SELECT * FROM reporting.{table} ORDER BY {order}"
        found[table] = [tuple(row) for row in await platform.fetch(query)]
    return found


async def test_applications_per_edition_and_district_and_the_rebuild_agrees(
    platform: TestPlatform,
) -> None:
    events = scenario()
    shuffled = [*events, *random.sample(events, 4)]
    random.shuffle(shuffled)
    async with platform.running("reporting") as (service,):
        await publish_events(platform, shuffled)
        await wait_for_facts(platform, len(events))
        async with client_for(service, platform, "city_admin") as client:
            answer = await client.get("/v1/reports/applications")
            only_second = await client.get(
                "/v1/reports/applications", params={"edition_id": str(SECOND)}
            )
        async with client_for(service, platform, "coordinator", subject="kc-anna") as client:
            refused = await client.get("/v1/reports/applications")
    assert answer.status_code == 200, answer.text
    editions = {e["edition_id"]: e for e in answer.json()["editions"]}
    first = editions[str(FIRST)]
    assert {k: first[k] for k in figures(0, 0, 0, 0, None, "", "")} == figures(
        3, 1, 1, 1, 0.5, "5000.00", "4200.50"
    )
    assert first["districts"] == [
        {"district": "mokotow", **figures(1, 0, 0, 1, None, "0", "0")},
        {"district": "wola", **figures(2, 1, 1, 0, 0.5, "5000.00", "4200.50")},
    ]
    assert only_second.json()["editions"] == [
        {"edition_id": str(SECOND), **figures(1, 1, 0, 0, 1.0, "3000.00", "0"),
         "districts": [{"district": "mokotow", **figures(1, 1, 0, 0, 1.0, "3000.00", "0")}]}
    ]  # fmt: skip
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"

    # The rebuild writes the same rows from the fact log alone.
    live = await rows(platform)
    assert len(live["branch_applications"]) == 4 and len(live["application_branches"]) == 3
    stored = {row[1]: row for row in live["branch_applications"] if row[0] == FIRST}
    assert stored[BRANCHES["wola-12"]][6] == Decimal("4200.50")
    for table in TABLES:
        await platform.fetchval(f"DELETE FROM reporting.{table}")
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "reporting", "rebuild", "--quiet"],
        env={**os.environ, **platform.env("reporting")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert await rows(platform) == live
