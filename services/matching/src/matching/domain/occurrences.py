"""A task's dates and a volunteer's state on each of them (pure rules, no I/O).

Every date of a task's series is an occurrence: a one-off task has one, a recurring task one
per shift of its RRULE, a flexible task one for its whole period (dated its first day, with
no time: it is worked on any day of the period, and gets no reminder at a made-up hour).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from matching.domain.schedule import WARSAW, Interval


class ShiftState(StrEnum):
    PLANNED = "planned"
    DECLINED = "declined"
    EXCUSED = "excused"
    ATTENDED = "attended"
    ABSENT = "absent"
    CANCELLED = "cancelled"


# A state that holds one of the date's places.
HOLDS_PLACE = (ShiftState.PLANNED, ShiftState.ATTENDED, ShiftState.ABSENT)
# What a coordinator may mark once the date has begun.
MARKABLE = (ShiftState.ATTENDED, ShiftState.ABSENT, ShiftState.EXCUSED)

# Six characters people type at the desk: no 0/O, 1/I/L that are read one for another.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


@dataclass(frozen=True)
class TaskDate:
    """One date of a task: its Warsaw day and, unless flexible, its shift in UTC."""

    day: date
    starts_at: datetime | None
    ends_at: datetime | None
    # The last day the occurrence can be worked on (a flexible task: its period's end).
    until: date


def task_dates(
    kind: str, shifts: list[Interval], first_day: date, last_day: date | None
) -> list[TaskDate]:
    """The occurrences of a task from its shifts (one-off, recurring) or its period."""
    if kind == "flexible":
        return [TaskDate(first_day, None, None, last_day or first_day)]
    dates: list[TaskDate] = []
    for shift in shifts:
        day = shift.starts_at.astimezone(WARSAW).date()
        dates.append(TaskDate(day, shift.starts_at, shift.ends_at, day))
    return dates


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str | None:
    """A typed code as stored (upper case, no spaces or dashes), or None if it cannot be one."""
    code = typed.replace(" ", "").replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in code):
        return None
    return code


def worked_hours(checked_in: datetime, checked_out: datetime) -> Decimal:
    """Hours between check-in and check-out, to the nearest quarter hour (at least one
    quarter: a person who came and went still has a draft to correct)."""
    seconds = max((checked_out - checked_in).total_seconds(), 0)
    quarters = (Decimal(seconds) / Decimal(900)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(quarters, Decimal(1)) * Decimal("0.25")


def can_excuse(state: str, day: date, today: date) -> bool:
    """ "I can't come this time": a planned date that has not passed."""
    return state == ShiftState.PLANNED and day >= today


def can_mark(day: date, today: date) -> bool:
    """Attendance is marked from the date itself on, never ahead."""
    return day <= today
