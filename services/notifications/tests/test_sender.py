"""The sender driven from outside, as the benchmark does: many reminders, each once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
