"""Who may take a task: the rules no score can outweigh.

``hard_blockers`` holds for every way into a task (applying, being proposed, promotion from
the waitlist); the matching engine adds district and availability on top of it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from matching.domain.people import age_on

# How long a child-protection check opens work with children unless the service is told
# otherwise (``MATCHING_CHILD_PROTECTION_VALID_MONTHS``): then it must be renewed.
DEFAULT_VALID_MONTHS = 12


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day when it has no such day
    (Kodeks cywilny art. 112: 31 January + 1 month is 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def check_expires_on(
    register_checked_on: date, criminal_record_on: date | None, valid_months: int
) -> date:
    """The first day a check no longer holds: a check is as old as its oldest evidence."""
    oldest = min(d for d in (register_checked_on, criminal_record_on) if d is not None)
    return add_months(oldest, valid_months)


@dataclass(frozen=True)
class ChildProtection:
    """Ustawa Kamilka: the register check and the criminal-record certificate, both dated,
    and the day the check expires (as recorded; by default 12 months after the older date)."""

    register_checked_on: date | None
    criminal_record_on: date | None
    expires_on: date | None = None

    def expiry(self) -> date | None:
        if self.register_checked_on is None:
            return None
        if self.expires_on is not None:
            return self.expires_on
        return check_expires_on(
            self.register_checked_on, self.criminal_record_on, DEFAULT_VALID_MONTHS
        )

    def valid_on(self, day: date) -> bool:
        """Both recorded, neither dated after ``day``, and not yet expired on ``day``."""
        expiry = self.expiry()
        return (
            self.register_checked_on is not None
            and self.criminal_record_on is not None
            and expiry is not None
            and self.register_checked_on <= day
            and self.criminal_record_on <= day
            and day < expiry
        )


def check_day(task_day: date, today: date | None) -> date:
    """The day a check must hold on: the task's first day, or today once the task is under
    way (a check that expired since the task began no longer opens it)."""
    return task_day if today is None else max(task_day, today)


def hard_blockers(
    *,
    birth_date: date | None,
    checks: ChildProtection,
    task_day: date,
    today: date,
    min_age: int | None,
    with_children: bool,
) -> list[str]:
    """Why a person may not take a task (empty when they may), in words a coordinator reads;
    ``today`` is the current Warsaw date (a check must still hold for a task under way)."""
    reasons: list[str] = []
    if birth_date is None:
        return ["the volunteer's profile was erased"]
    if min_age is not None and age_on(birth_date, task_day) < min_age:
        reasons.append(
            f"age {age_on(birth_date, task_day)} on {task_day.isoformat()} is below the"
            f" task's minimum age {min_age}"
        )
    on = check_day(task_day, today)
    if with_children and not checks.valid_on(on):
        expiry = checks.expiry()
        if checks.criminal_record_on is not None and expiry is not None and expiry <= on:
            tense = "expired" if expiry <= today else "expires"
            reasons.append(
                f"the child-protection check {tense} on {expiry.isoformat()}: work with"
                f" children on {on.isoformat()} needs it renewed"
            )
        else:
            reasons.append(
                "work with children needs a child-protection check (register check and"
                " criminal-record certificate) recorded before the task's date"
            )
    return reasons
