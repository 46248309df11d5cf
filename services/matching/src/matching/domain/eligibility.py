"""Who may take a task: the rules no score can outweigh.

``hard_blockers`` holds for every way into a task (applying, being proposed, promotion from
the waitlist); the matching engine adds district and availability on top of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from matching.domain.people import age_on


@dataclass(frozen=True)
class ChildProtection:
    """Ustawa Kamilka: the register check and the criminal-record certificate, both dated."""

    register_checked_on: date | None
    criminal_record_on: date | None

    def valid_on(self, day: date) -> bool:
        """Both recorded, and neither dated after the day the work starts."""
        return (
            self.register_checked_on is not None
            and self.criminal_record_on is not None
            and self.register_checked_on <= day
            and self.criminal_record_on <= day
        )


def hard_blockers(
    *,
    birth_date: date | None,
    checks: ChildProtection,
    task_day: date,
    min_age: int | None,
    with_children: bool,
) -> list[str]:
    """Why a person may not take a task (empty when they may), in words a coordinator reads."""
    reasons: list[str] = []
    if birth_date is None:
        return ["the volunteer's profile was erased"]
    if min_age is not None and age_on(birth_date, task_day) < min_age:
        reasons.append(
            f"age {age_on(birth_date, task_day)} on {task_day.isoformat()} is below the"
            f" task's minimum age {min_age}"
        )
    if with_children and not checks.valid_on(task_day):
        reasons.append(
            "work with children needs a child-protection check (register check and"
            " criminal-record certificate) recorded before the task's date"
        )
    return reasons
