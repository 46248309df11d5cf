"""Migration 0013 moves existing assignments into occurrences, one per date of their task."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from alembic import command

from shared.migrations import alembic_config
from shared.testing.databases import migrations_dir
from shared.testing.platform import TestPlatform

TASK = (
    "INSERT INTO matching.tasks (id, branch_id, branch_code, type, title, schedule_kind,"
    ' first_day, last_day, start, "end", rrule, hours, starts_at, ends_at, places, skills,'
    " with_children, status, source_time, created_at)"
    " VALUES ($1, $2, 'b-1', 'reading_help', $3, $4, $5::text::date, $6::text::date,"
    " $7::text::time, $8::text::time, $9, $10::text::numeric, $11, $12, 3, '{}',"
    " false, 'published', now(), now())"
)
ASSIGNMENT = (
    "INSERT INTO matching.assignments (id, task_id, volunteer_id, status, created_at,"
    " changed_at) VALUES ($1, $2, $3, $4, now(), now())"
)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


async def _migrate(platform: TestPlatform, revision: str, *, down: bool) -> None:
    config = alembic_config(
        platform.database_url("matching", owner=True), migrations_dir("matching")
    )
    move = command.downgrade if down else command.upgrade
    await asyncio.to_thread(move, config, revision)


async def test_assignments_become_one_occurrence_per_date(platform: TestPlatform) -> None:
    await _migrate(platform, "0012", down=True)
    branch = uuid.uuid4()
    one_off, weekly, flexible = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    # 2026-11-20 10:00-12:00 Warsaw; every Tuesday from 2026-11-03, three times; 15 h in Dec.
    await platform.fetch(
        TASK,
        one_off,
        branch,
        "Jednorazowe",
        "one_off",
        "2026-11-20",
        None,
        "10:00",
        "12:00",
        None,
        None,
        _at("2026-11-20T10:00+01:00"),
        _at("2026-11-20T12:00+01:00"),
    )
    await platform.fetch(
        TASK,
        weekly,
        branch,
        "Co tydzień",
        "recurring",
        "2026-11-03",
        None,
        "16:00",
        "18:00",
        "FREQ=WEEKLY;BYDAY=TU;COUNT=3",
        None,
        _at("2026-11-03T16:00+01:00"),
        _at("2026-11-17T18:00+01:00"),
    )
    await platform.fetch(
        TASK,
        flexible,
        branch,
        "Elastyczne",
        "flexible",
        "2026-12-01",
        "2026-12-31",
        None,
        None,
        None,
        "15",
        _at("2026-12-01T00:00+01:00"),
        _at("2027-01-01T00:00+01:00"),
    )
    people = [uuid.uuid4() for _ in range(5)]
    rows = [
        (uuid.uuid4(), one_off, people[0], "completed"),
        (uuid.uuid4(), weekly, people[1], "confirmed"),
        (uuid.uuid4(), weekly, people[2], "no_show"),
        (uuid.uuid4(), weekly, people[3], "cancelled"),
        (uuid.uuid4(), flexible, people[4], "confirmed"),
    ]
    for row in rows:
        await platform.fetch(ASSIGNMENT, *row)

    await _migrate(platform, "head", down=False)

    found = await platform.fetch(
        "SELECT assignment_id, occurrence_date::text AS day, starts_at, ends_at, until::text,"
        " state, code FROM matching.occurrences ORDER BY volunteer_id, occurrence_date"
    )
    by_assignment: dict[uuid.UUID, list[tuple[str, str]]] = {}
    for row in found:
        by_assignment.setdefault(row["assignment_id"], []).append((row["day"], row["state"]))
    assert by_assignment[rows[0][0]] == [("2026-11-20", "attended")]
    assert by_assignment[rows[1][0]] == [
        ("2026-11-03", "planned"),
        ("2026-11-10", "planned"),
        ("2026-11-17", "planned"),
    ]
    assert [state for _, state in by_assignment[rows[2][0]]] == ["absent"] * 3
    assert rows[3][0] not in by_assignment  # a cancelled place has no dates
    flexible_rows = [row for row in found if row["assignment_id"] == rows[4][0]]
    assert [(r["day"], r["until"], r["starts_at"]) for r in flexible_rows] == [
        ("2026-12-01", "2026-12-31", None)
    ]
    weekly_starts = [r["starts_at"] for r in found if r["assignment_id"] == rows[1][0]]
    assert weekly_starts[1] == _at("2026-11-10T16:00+01:00")
    codes = [row["code"] for row in found]
    assert len(set(codes)) == len(codes) == 8
    assert all(len(code) == 6 and code.isalnum() and code.isupper() for code in codes)
    series = await platform.fetch("SELECT DISTINCT whole_series FROM matching.assignments")
    assert [row["whole_series"] for row in series] == [True]
