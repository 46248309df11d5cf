from __future__ import annotations

from datetime import UTC, datetime

from notifications.domain.rules import (
    end_of_quiet_hours,
    in_quiet_hours,
    message_id_header,
    reminder_due,
    retry_delay_s,
)


def test_quiet_hours_are_22_to_8_in_warsaw() -> None:
    # 20:59 UTC in November is 21:59 in Warsaw (CET, UTC+1).
    assert not in_quiet_hours(datetime(2026, 11, 24, 20, 59, tzinfo=UTC))
    assert in_quiet_hours(datetime(2026, 11, 24, 21, 0, tzinfo=UTC))
    assert in_quiet_hours(datetime(2026, 11, 25, 6, 59, tzinfo=UTC))
    assert not in_quiet_hours(datetime(2026, 11, 25, 7, 0, tzinfo=UTC))
    # Summer time (CEST, UTC+2): 06:00 UTC is already 08:00.
    assert not in_quiet_hours(datetime(2026, 7, 1, 6, 0, tzinfo=UTC))


def test_an_sms_held_at_night_goes_at_eight_in_the_morning() -> None:
    before_midnight = datetime(2026, 11, 24, 22, 30, tzinfo=UTC)  # 23:30 in Warsaw
    after_midnight = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 02:00 in Warsaw
    eight = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
    assert end_of_quiet_hours(before_midnight) == eight
    assert end_of_quiet_hours(after_midnight) == eight
    day = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert end_of_quiet_hours(day) == day


def test_back_off_doubles_up_to_the_cap() -> None:
    delays = [retry_delay_s(n, first_s=30, max_s=300) for n in range(1, 7)]
    assert delays == [30, 60, 120, 240, 300, 300]


def test_message_id_is_derived_from_the_key_only() -> None:
    first = message_id_header("event-1|volunteer:1|email", "example.org")
    assert first == message_id_header("event-1|volunteer:1|email", "example.org")
    assert first != message_id_header("event-1|guardian:1|email", "example.org")
    assert first.startswith("<") and first.endswith("@example.org>")


def test_reminder_is_due_the_chosen_hours_before_the_shift() -> None:
    starts = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert reminder_due(starts, 24) == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert reminder_due(starts, 2) == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
