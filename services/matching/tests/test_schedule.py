"""Shifts in Warsaw time, stored in UTC: daylight-saving days, midnight, recurring rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from matching.domain.schedule import (
    Interval,
    Schedule,
    ScheduleError,
    ScheduleKind,
    first_clash,
    shift_interval,
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_winter_shift_is_one_hour_behind_utc() -> None:
    shift = shift_interval(date(2026, 12, 5), time(10), time(12))
    assert shift == Interval(utc(2026, 12, 5, 9), utc(2026, 12, 5, 11))


def test_summer_shift_is_two_hours_behind_utc() -> None:
    shift = shift_interval(date(2026, 7, 5), time(10), time(12))
    assert shift == Interval(utc(2026, 7, 5, 8), utc(2026, 7, 5, 10))


def test_a_shift_crossing_midnight_ends_the_next_day() -> None:
    shift = shift_interval(date(2026, 12, 31), time(22), time(2))
    assert shift == Interval(utc(2026, 12, 31, 21), utc(2027, 1, 1, 1))


def test_night_shift_on_the_autumn_dst_day_lasts_an_hour_longer() -> None:
    # 25 October 2026: clocks go back from 03:00 CEST to 02:00 CET.
    shift = shift_interval(date(2026, 10, 24), time(22), time(6))
    assert shift.ends_at - shift.starts_at == timedelta(hours=9)


def test_night_shift_on_the_spring_dst_day_lasts_an_hour_shorter() -> None:
    # 29 March 2026: clocks go forward from 02:00 CET to 03:00 CEST.
    shift = shift_interval(date(2026, 3, 28), time(22), time(6))
    assert shift.ends_at - shift.starts_at == timedelta(hours=7)


def test_a_time_inside_the_spring_gap_is_read_with_the_offset_before_it() -> None:
    shift = shift_interval(date(2026, 3, 29), time(2, 30), time(4))
    assert shift.starts_at == utc(2026, 3, 29, 1, 30)  # 03:30 CEST


def test_recurring_shift_keeps_its_wall_clock_time_across_the_dst_change() -> None:
    schedule = Schedule(
        ScheduleKind.RECURRING,
        first_day=date(2026, 10, 20),
        start=time(16),
        end=time(18),
        rrule="FREQ=WEEKLY;COUNT=3",
    )
    schedule.validate()
    starts = [shift.starts_at for shift in schedule.occurrences()]
    assert starts == [utc(2026, 10, 20, 14), utc(2026, 10, 27, 15), utc(2026, 11, 3, 15)]


def test_recurring_rule_must_end() -> None:
    schedule = Schedule(
        ScheduleKind.RECURRING, date(2026, 1, 1), time(10), time(11), rrule="FREQ=DAILY"
    )
    with pytest.raises(ScheduleError, match="COUNT or UNTIL"):
        schedule.validate()


def test_invalid_rrule_is_named() -> None:
    schedule = Schedule(
        ScheduleKind.RECURRING, date(2026, 1, 1), time(10), time(11), rrule="FREQ=SOMETIMES;COUNT=2"
    )
    with pytest.raises(ScheduleError, match="rrule"):
        schedule.validate()


def test_flexible_task_spans_its_period_in_warsaw_days() -> None:
    schedule = Schedule(
        ScheduleKind.FLEXIBLE, date(2026, 12, 1), last_day=date(2026, 12, 31), hours=Decimal(15)
    )
    schedule.validate()
    assert schedule.occurrences() == []
    assert schedule.span() == Interval(utc(2026, 11, 30, 23), utc(2026, 12, 31, 23))


def test_flexible_task_needs_hours() -> None:
    schedule = Schedule(ScheduleKind.FLEXIBLE, date(2026, 12, 1), last_day=date(2026, 12, 31))
    with pytest.raises(ScheduleError, match="hours"):
        schedule.validate()


def test_clash_between_a_night_shift_and_an_early_morning_one() -> None:
    night = [shift_interval(date(2026, 12, 4), time(22), time(2))]
    morning = [shift_interval(date(2026, 12, 5), time(1), time(3))]
    assert first_clash(night, morning) == (night[0], morning[0])


def test_shifts_that_only_touch_do_not_clash() -> None:
    first = [shift_interval(date(2026, 12, 5), time(10), time(12))]
    second = [shift_interval(date(2026, 12, 5), time(12), time(14))]
    assert first_clash(first, second) is None


def test_clash_found_deep_in_recurring_series() -> None:
    weekly = Schedule(
        ScheduleKind.RECURRING, date(2026, 9, 1), time(16), time(18), rrule="FREQ=WEEKLY;COUNT=20"
    ).occurrences()
    once = [shift_interval(date(2026, 12, 8), time(17), time(19))]
    clash = first_clash(once, weekly)
    assert clash is not None and clash[1].starts_at == utc(2026, 12, 8, 15)
