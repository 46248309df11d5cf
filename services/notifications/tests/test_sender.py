"""The sender driven from outside, as the benchmark does: many reminders, each once."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from notifications.app import NotificationsService
from notifications.clock import FileClock
from notifications.testing import MailCatcher, seed_shift_reminders
from shared.testing.platform import TestPlatform

NOW = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)


async def test_drained_reminders_go_once_each(
    platform: TestPlatform, smtp: MailCatcher, tmp_path: Path
) -> None:
    clock = FileClock(tmp_path / "now")
    clock.set(NOW)
    async with platform.running(
        "notifications", smtp_port=smtp.port, clock_file=tmp_path / "now", sender_enabled="false"
    ) as (service,):
        assert isinstance(service, NotificationsService)
        await seed_shift_reminders(service, 300, starts_at=NOW + timedelta(days=2))
        assert await service.sender.drain() == 0  # nothing is due yet
        clock.set(NOW + timedelta(days=1, minutes=1))
        await service.sender.drain()
    received = Counter(mail.message_id for mail in smtp.received)
    assert len(received) == 300 and max(received.values()) == 1
    assert all(mail.subject.startswith("Przypomnienie") for mail in smtp.received)
    sent = await platform.fetchval(
        "SELECT count(*) FROM notifications.messages WHERE channel = 'email' AND status = 'sent'"
    )
    assert sent == 300


async def test_a_reminder_that_raises_does_not_block_the_others_of_its_batch(
    platform: TestPlatform, smtp: MailCatcher, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    clock = FileClock(tmp_path / "now")
    clock.set(NOW)
    async with platform.running(
        "notifications", smtp_port=smtp.port, clock_file=tmp_path / "now", sender_enabled="false"
    ) as (service,):
        assert isinstance(service, NotificationsService)
        await seed_shift_reminders(service, 3, starts_at=NOW + timedelta(days=2))
        # A follow-up whose payload lost its trainer: firing it raises (KeyError). It sorts
        # first in the batch (no person), so without a savepoint it takes the others down.
        broken = uuid.uuid4()
        await platform.fetch(
            "INSERT INTO notifications.reminders (key, kind, due_at, status, subject_id, payload)"
            " VALUES ($1, 'follow_up_due', $2, 'pending', $3, '{}'::jsonb)",
            f"follow_up_due:{broken}",
            NOW + timedelta(hours=1),
            broken,
        )
        clock.set(NOW + timedelta(days=1, minutes=1))
        await service.sender.drain()
    assert len(smtp.received) == 3
    statuses = await platform.fetch(
        "SELECT kind, status FROM notifications.reminders ORDER BY kind, status"
    )
    assert [(r["kind"], r["status"]) for r in statuses] == [
        ("follow_up_due", "failed"),
        *[("shift_reminder", "done")] * 3,
    ]
    logged = [line for line in capfd.readouterr().out.splitlines() if "reminder failed" in line]
    assert logged and "KeyError" in logged[0] and str(broken) in logged[0]
