"""Rules about people: age on a given day, minors and what their guardians must give."""

from __future__ import annotations

import calendar
from datetime import date
from enum import StrEnum

ADULT_AGE = 18
OWN_AGREEMENT_AGE = 13


class GuardianRole(StrEnum):
    """What Polish law asks of a guardian, by the volunteer's age."""

    NONE = "none"  # 18 or older: the volunteer concludes the agreement alone
    WRITTEN_CONSENT = "written_consent"  # 13-17: the guardian's written consent
    CONCLUDES_AGREEMENT = "concludes_agreement"  # under 13: the guardian concludes it


def age_on(birth_date: date, day: date) -> int:
    """Completed years on ``day``.

    Born on 29 February: in a year without one, the birthday is 28 February (Kodeks
    cywilny art. 112: a term with no matching day ends on the last day of the month).
    """
    birthday = (birth_date.month, birth_date.day)
    if birthday == (2, 29) and not calendar.isleap(day.year):
        birthday = (2, 28)
    had_birthday = (day.month, day.day) >= birthday
    return day.year - birth_date.year - (0 if had_birthday else 1)


def is_minor(birth_date: date, day: date) -> bool:
    return age_on(birth_date, day) < ADULT_AGE


def guardian_role(birth_date: date, day: date) -> GuardianRole:
    age = age_on(birth_date, day)
    if age >= ADULT_AGE:
        return GuardianRole.NONE
    if age >= OWN_AGREEMENT_AGE:
        return GuardianRole.WRITTEN_CONSENT
    return GuardianRole.CONCLUDES_AGREEMENT


# Age bands a coordinator sees before a volunteer is linked to their branch: the law's
# thresholds (under 13: the guardian concludes the agreement; 13-17: the guardian's written
# consent; 18: adult), 16 as the common minimum age of evening and event tasks, and broad
# adult bands that say nothing more precise than deciding needs.
AGE_BANDS: tuple[tuple[int, str], ...] = (
    (60, "60+"),
    (26, "26-59"),
    (18, "18-25"),
    (16, "16-17"),
    (13, "13-15"),
    (0, "0-12"),
)


def age_band(birth_date: date, day: date) -> str:
    """The band ("13-15", "18-25", ...) the person's age on ``day`` falls in."""
    age = age_on(birth_date, day)
    return next(label for lowest, label in AGE_BANDS if age >= lowest)
