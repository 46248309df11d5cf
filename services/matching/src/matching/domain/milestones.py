"""Milestones of a volunteer's path (pure rules): the first shift, 10, 25, 50 and 100
approved hours, and a year since the first shift. Each is reached once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from matching.domain.eligibility import add_months

FIRST_SHIFT = "first_shift"
ONE_YEAR = "one_year"
HOURS = {
    "hours_10": Decimal(10),
    "hours_25": Decimal(25),
    "hours_50": Decimal(50),
    "hours_100": Decimal(100),
}
ALL = (FIRST_SHIFT, *HOURS, ONE_YEAR)


@dataclass(frozen=True)
class Record:
    """What the milestones are read from."""

    approved_hours: Decimal
    # The first day the person was there: a date marked attended or with approved hours.
    first_day: date | None


def reached(record: Record, today: date) -> list[str]:
    """Every milestone the record has reached by ``today``, in the order of ``ALL``."""
    found: list[str] = []
    if record.first_day is not None:
        found.append(FIRST_SHIFT)
    found.extend(name for name, needed in HOURS.items() if record.approved_hours >= needed)
    if record.first_day is not None and add_months(record.first_day, 12) <= today:
        found.append(ONE_YEAR)
    return found
