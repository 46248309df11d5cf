"""Age on a given day, minors, and what Polish law asks of their guardians."""

from __future__ import annotations

from datetime import date

from matching.domain.people import GuardianRole, age_on, guardian_role, is_minor

BORN = date(2008, 3, 15)
LEAP_DAY = date(2008, 2, 29)


def test_age_the_day_before_the_birthday_is_not_yet_reached() -> None:
    assert age_on(BORN, date(2026, 3, 14)) == 17


def test_age_on_the_birthday_is_reached() -> None:
    assert age_on(BORN, date(2026, 3, 15)) == 18


def test_age_the_day_after_the_birthday() -> None:
    assert age_on(BORN, date(2026, 3, 16)) == 18


def test_age_is_counted_in_completed_years_across_new_year() -> None:
    assert age_on(date(2008, 12, 31), date(2026, 1, 1)) == 17


def test_age_on_the_day_of_birth_is_zero() -> None:
    assert age_on(BORN, BORN) == 0


def test_leap_day_birthday_is_celebrated_on_29_february_in_a_leap_year() -> None:
    assert age_on(LEAP_DAY, date(2028, 2, 28)) == 19
    assert age_on(LEAP_DAY, date(2028, 2, 29)) == 20


def test_leap_day_birthday_is_not_reached_on_27_february_in_a_non_leap_year() -> None:
    assert age_on(LEAP_DAY, date(2026, 2, 27)) == 17


def test_leap_day_birthday_is_reached_on_28_february_in_a_non_leap_year() -> None:
    # Kodeks cywilny art. 112: a term in years with no matching day in its last month ends
    # on that month's last day, and for a person's age it ends at the start of that day.
    assert age_on(LEAP_DAY, date(2026, 2, 28)) == 18


def test_leap_day_birthday_is_reached_by_1_march_in_a_non_leap_year() -> None:
    assert age_on(LEAP_DAY, date(2026, 3, 1)) == 18


def test_leap_day_child_is_an_adult_on_28_february_in_a_non_leap_year() -> None:
    assert not is_minor(LEAP_DAY, date(2026, 2, 28))


def test_minor_the_day_before_turning_18() -> None:
    assert is_minor(BORN, date(2026, 3, 14))


def test_not_a_minor_at_exactly_18() -> None:
    assert not is_minor(BORN, date(2026, 3, 15))


def test_guardian_concludes_the_agreement_the_day_before_turning_13() -> None:
    assert guardian_role(BORN, date(2021, 3, 14)) is GuardianRole.CONCLUDES_AGREEMENT


def test_guardian_gives_written_consent_from_13() -> None:
    assert guardian_role(BORN, date(2021, 3, 15)) is GuardianRole.WRITTEN_CONSENT


def test_guardian_gives_written_consent_the_day_before_turning_18() -> None:
    assert guardian_role(BORN, date(2026, 3, 14)) is GuardianRole.WRITTEN_CONSENT


def test_no_guardian_role_from_18() -> None:
    assert guardian_role(BORN, date(2026, 3, 15)) is GuardianRole.NONE


def test_guardian_concludes_the_agreement_for_a_young_child() -> None:
    assert guardian_role(BORN, date(2015, 6, 1)) is GuardianRole.CONCLUDES_AGREEMENT
