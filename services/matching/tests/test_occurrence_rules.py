"""The pure rules of shifts by date: a task's dates, the typed code, the hours a check-in
and check-out make, and when a date can be given up or marked."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from matching.domain.occurrences import (
    CODE_ALPHABET,
    can_excuse,
    can_mark,
    new_code,
    normalise_code,
    task_dates,
    worked_hours,
)
from matching.domain.schedule import Schedule, ScheduleKind

AT = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def test_a_recurring_task_has_one_date_per_shift_in_warsaw_days() -> None:
    # 23:00-01:00 Warsaw crosses midnight: the date is the day the shift starts.
    schedule = Schedule(
        kind=ScheduleKind.RECURRING,
        first_day=date(2026, 3, 27),
        start=time(23, 0),
        end=time(1, 0),
        rrule="FREQ=WEEKLY;COUNT=2",
    )
    dates = task_dates("recurring", schedule.occurrences(), schedule.first_day, None)
    assert [(d.day, d.until) for d in dates] == [
        (date(2026, 3, 27), date(2026, 3, 27)),
        (date(2026, 4, 3), date(2026, 4, 3)),
    ]
    # Across the spring change the wall-clock time stays: 22:00 UTC, then 21:00 UTC.
    assert [d.starts_at.hour for d in dates if d.starts_at] == [22, 21]


def test_a_flexible_task_is_one_date_for_its_period_without_a_time() -> None:
    [only] = task_dates("flexible", [], date(2026, 12, 1), date(2026, 12, 31))
    assert (only.day, only.until, only.starts_at, only.ends_at) == (
        date(2026, 12, 1),
        date(2026, 12, 31),
        None,
        None,
    )


def test_codes_are_six_unambiguous_characters_typed_any_way() -> None:
    code = new_code()
    assert len(code) == 6 and set(code) <= set(CODE_ALPHABET)
    assert not set("01OIL") & set(CODE_ALPHABET)
    assert normalise_code(" k7m-2pq ") == "K7M2PQ"
    assert normalise_code("K7M2P") is None
    assert normalise_code("K7M2P0") is None  # zero is never in a code


def test_hours_are_rounded_to_a_quarter_and_never_zero() -> None:
    assert worked_hours(AT, AT + timedelta(hours=2, minutes=7)) == Decimal("2.00")
    assert worked_hours(AT, AT + timedelta(hours=2, minutes=8)) == Decimal("2.25")
    assert worked_hours(AT, AT + timedelta(minutes=1)) == Decimal("0.25")
    assert worked_hours(AT, AT - timedelta(minutes=5)) == Decimal("0.25")


def test_a_date_is_given_up_before_it_passes_and_marked_from_its_day() -> None:
    today = date(2026, 12, 5)
    assert can_excuse("planned", today, today)
    assert not can_excuse("planned", today - timedelta(days=1), today)
    assert not can_excuse("excused", today, today)
    assert can_mark(today, today) and not can_mark(today + timedelta(days=1), today)
