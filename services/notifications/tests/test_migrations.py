"""The migrations build the tables their models describe."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

from alembic import command

from notifications.app import MIGRATIONS_DIR
from notifications.tables import metadata
from shared.migrations import alembic_config
from shared.testing.platform import TestPlatform
from shared.testing.schema import schema_differences


async def test_the_migrated_schema_matches_the_models(platform: TestPlatform) -> None:
    differences = await schema_differences(platform, "notifications", metadata)
    assert differences == [], "\n".join(map(str, differences))
    index = await platform.fetchval(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'notifications' "
        "AND indexname = 'ix_notifications_staff_subject'"
    )
    assert index is not None and "(subject)" in index


async def test_pending_reminders_of_assignments_become_reminders_of_their_date(
    platform: TestPlatform,
) -> None:
    """A shift reminder scheduled per assignment before 0007 gets what a date's reminder
    carries, so it fires and is cancelled like the new ones."""
    config = alembic_config(platform.database_url("notifications", owner=True), MIGRATIONS_DIR)
    await asyncio.to_thread(command.downgrade, config, "0006")
    assignment, task, volunteer = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    starts = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    await platform.fetch(
        "INSERT INTO notifications.assignments (assignment_id, task_id, volunteer_id, branch_id,"
        " branch_code, starts_at, ends_at, status, changed_at)"
        " VALUES ($1, $2, $3, $4, 'wola-12', $5, NULL, 'confirmed', now())",
        assignment, task, volunteer, uuid.uuid4(), starts,
    )  # fmt: skip
    await platform.fetch(
        "INSERT INTO notifications.reminders (key, kind, due_at, status, volunteer_id,"
        " subject_id, payload) VALUES ($1, 'shift_reminder', $2, 'pending', $3, $4, $5::jsonb)",
        f"shift_reminder:{assignment}", starts, volunteer, assignment,
        json.dumps({"starts_at": starts.isoformat()}),
    )  # fmt: skip
    await asyncio.to_thread(command.upgrade, config, "head")
    payload = json.loads(
        await platform.fetchval("SELECT payload::text FROM notifications.reminders")
    )
    assert payload["assignment_id"] == str(assignment) and payload["task_id"] == str(task)
    assert payload["branch_code"] == "wola-12" and payload["ends_at"] is None
    assert datetime.fromisoformat(payload["starts_at"]) == starts
