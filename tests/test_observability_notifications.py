"""Notifications' own metrics: messages sent and failed per channel, how late reminders fire."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from notifications.app import NotificationsService
from notifications.clock import FileClock
from notifications.testing import MailCatcher, seed_shift_reminders
from shared.testing.platform import TestPlatform, free_port

NOW = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)


@pytest.fixture
def smtp() -> Iterator[MailCatcher]:
    catcher = MailCatcher(free_port()).start()
    yield catcher
    catcher.stop()


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_sent_and_failed_messages_and_reminder_lag_are_counted(
    platform: TestPlatform, smtp: MailCatcher, tmp_path: Path
) -> None:
    sent_before = sample("notifications_messages_sent_total", channel="email")
    failed_before = sample(
        "notifications_delivery_failures_total", channel="email", outcome="failed"
    )
    lag_count_before = sample("notifications_reminder_lag_seconds_count")
    lag_sum_before = sample("notifications_reminder_lag_seconds_sum")
    late_before = sample("notifications_reminder_lag_seconds_bucket", le="30.0")
    smtp.reject("v0@metrics.test")  # a permanent refusal: failed at once, no retry
    clock = FileClock(tmp_path / "now")
    clock.set(NOW)
    async with platform.running(
        "notifications", smtp_port=smtp.port, clock_file=tmp_path / "now", sender_enabled="false"
    ) as (service,):
        assert isinstance(service, NotificationsService)
        await seed_shift_reminders(
            service, 3, starts_at=NOW + timedelta(days=2), domain="metrics.test"
        )
        due_at = (
            NOW
            + timedelta(days=2)
            - timedelta(hours=service.notifications_settings.reminder_hours_before)
        )
        clock.set(due_at + timedelta(minutes=2))  # the sender comes two minutes late
        await service.sender.drain()

    assert sample("notifications_messages_sent_total", channel="email") == sent_before + 2
    assert (
        sample("notifications_delivery_failures_total", channel="email", outcome="failed")
        == failed_before + 1
    )
    assert sample("notifications_reminder_lag_seconds_count") == lag_count_before + 3
    assert sample("notifications_reminder_lag_seconds_sum") - lag_sum_before == pytest.approx(360)
    # Two minutes late is past the 30 s bucket: none of the three lands there.
    assert sample("notifications_reminder_lag_seconds_bucket", le="30.0") == late_before
