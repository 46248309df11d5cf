"""When a task happens: one-off shifts, recurring shifts (an RRULE) and flexible tasks.

Shifts are planned in Warsaw wall-clock time and stored in UTC. A shift whose end is not
after its start ends on the next day (it crosses midnight). On the spring daylight-saving
day a wall-clock time inside the gap (02:00-03:00) does not exist; like RFC 5545 we read it
with the offset before the gap, so 02:30 becomes 03:30 CEST. In the autumn an ambiguous
time is read as its first occurrence (still summer time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr  # type: ignore[import-untyped]

WARSAW = ZoneInfo("Europe/Warsaw")
MAX_OCCURRENCES = 366


class ScheduleError(ValueError):
    """A schedule that cannot be planned, with what a person must fix."""


class ScheduleKind(StrEnum):
    ONE_OFF = "one_off"
    RECURRING = "recurring"
    FLEXIBLE = "flexible"


@dataclass(frozen=True, order=True)
class Interval:
    """A half-open interval [starts_at, ends_at) in UTC."""

    starts_at: datetime
    ends_at: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


def warsaw_to_utc(day: date, at: time) -> datetime:
    """A Warsaw wall-clock time as a UTC instant (gap: offset before it; fold: the first)."""
    return datetime.combine(day, at, tzinfo=WARSAW).astimezone(UTC)


def shift_interval(day: date, start: time, end: time) -> Interval:
    """A shift starting on ``day`` at ``start``; an ``end`` not after ``start`` is the next day."""
    end_day = day if end > start else day + timedelta(days=1)
    return Interval(warsaw_to_utc(day, start), warsaw_to_utc(end_day, end))


@dataclass(frozen=True)
class Schedule:
    """A task's schedule. One-off and recurring shifts use ``first_day``, ``start``, ``end``
    (Warsaw wall-clock); recurring ones add an RRULE that must end (COUNT or UNTIL);
    flexible ones have ``hours`` to give between ``first_day`` and ``last_day``."""

    kind: ScheduleKind
    first_day: date
    start: time | None = None
    end: time | None = None
    rrule: str | None = None
    last_day: date | None = None
    hours: Decimal | None = None

    def validate(self) -> None:
        if self.kind is ScheduleKind.FLEXIBLE:
            if self.hours is None or self.hours <= 0:
                raise ScheduleError("hours: a flexible task needs a positive number of hours")
            if self.last_day is None or self.last_day < self.first_day:
                raise ScheduleError("last_day: must be on or after first_day")
            return
        if self.start is None or self.end is None:
            raise ScheduleError("start, end: a shift needs both (HH:MM, Warsaw time)")
        if self.start == self.end:
            raise ScheduleError("end: must differ from start")
        if self.kind is ScheduleKind.RECURRING:
            if not self.rrule:
                raise ScheduleError("rrule: a recurring task needs an RRULE")
            if "COUNT=" not in self.rrule.upper() and "UNTIL=" not in self.rrule.upper():
                raise ScheduleError("rrule: must end, with COUNT or UNTIL")
            self.local_starts()

    def local_starts(self) -> list[datetime]:
        """Wall-clock starts of each shift (naive, Warsaw)."""
        assert self.start is not None
        first = datetime.combine(self.first_day, self.start)
        if self.kind is ScheduleKind.ONE_OFF:
            return [first]
        try:
            rule = rrulestr(str(self.rrule).removeprefix("RRULE:"), dtstart=first)
        except (ValueError, TypeError) as error:
            raise ScheduleError(f"rrule: not a valid RRULE ({error})") from error
        starts: list[datetime] = []
        for occurrence in rule:
            starts.append(occurrence)
            if len(starts) > MAX_OCCURRENCES:
                raise ScheduleError(f"rrule: more than {MAX_OCCURRENCES} shifts")
        if not starts:
            raise ScheduleError("rrule: produces no shift")
        return starts

    def occurrences(self) -> list[Interval]:
        """Every shift in UTC; a flexible task has none (it has a period instead)."""
        if self.kind is ScheduleKind.FLEXIBLE:
            return []
        assert self.start is not None and self.end is not None
        return [shift_interval(s.date(), self.start, self.end) for s in self.local_starts()]

    def span(self) -> Interval:
        """From the first shift's start to the last one's end (a flexible task: its period)."""
        if self.kind is ScheduleKind.FLEXIBLE:
            assert self.last_day is not None
            return Interval(
                warsaw_to_utc(self.first_day, time(0)),
                warsaw_to_utc(self.last_day + timedelta(days=1), time(0)),
            )
        shifts = self.occurrences()
        return Interval(shifts[0].starts_at, shifts[-1].ends_at)


def first_clash(mine: list[Interval], theirs: list[Interval]) -> tuple[Interval, Interval] | None:
    """The first pair of overlapping shifts (sweep over both sorted lists), or None."""
    a, b = sorted(mine), sorted(theirs)
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i].overlaps(b[j]):
            return a[i], b[j]
        if a[i].ends_at <= b[j].ends_at:
            i += 1
        else:
            j += 1
    return None


def describe(interval: Interval) -> str:
    """A shift in Warsaw time, for messages people read."""
    start = interval.starts_at.astimezone(WARSAW)
    end = interval.ends_at.astimezone(WARSAW)
    return f"{start:%Y-%m-%d %H:%M}–{end:%Y-%m-%d %H:%M} (Europe/Warsaw)"
