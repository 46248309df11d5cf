"""A child-protection check expires; an age band says only what deciding needs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from matching.domain.eligibility import (
    ChildProtection,
    add_months,
    check_expires_on,
    hard_blockers,
)
from matching.domain.matching import TaskSpec, VolunteerSpec, WeeklySlot, ineligibility, rank
from matching.domain.people import age_band
from matching.domain.schedule import shift_interval

SATURDAY = date(2026, 12, 5)


def test_months_end_on_the_last_day_of_a_shorter_month() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 1, 31), 13) == date(2028, 2, 29)
    assert add_months(date(2025, 12, 4), 12) == date(2026, 12, 4)


def test_a_check_is_as_old_as_its_oldest_evidence() -> None:
    assert check_expires_on(date(2026, 3, 1), date(2025, 11, 10), 12) == date(2026, 11, 10)
    assert check_expires_on(date(2026, 3, 1), None, 6) == date(2026, 9, 1)


def test_a_check_holds_until_the_day_it_expires() -> None:
    check = ChildProtection(date(2025, 12, 5), date(2025, 12, 1), date(2026, 12, 1))
    assert check.valid_on(date(2026, 11, 30))
    assert not check.valid_on(date(2026, 12, 1))
    assert not check.valid_on(date(2025, 12, 4))  # before the register was checked
    # Without a certificate the check is recorded but opens nothing.
    assert not ChildProtection(date(2026, 11, 1), None, date(2027, 11, 1)).valid_on(SATURDAY)


def test_an_expired_check_closes_a_task_under_way_and_says_so() -> None:
    check = ChildProtection(date(2025, 11, 1), date(2025, 11, 1), date(2026, 11, 1))

    def blockers(task_day: date, today: date) -> list[str]:
        return hard_blockers(
            birth_date=date(2000, 1, 1),
            checks=check,
            task_day=task_day,
            today=today,
            min_age=None,
            with_children=True,
        )

    began = date(2026, 10, 1)
    # Judged on the task's first day alone, the check held; today it no longer does.
    assert blockers(began, began) == []
    [reason] = blockers(began, date(2026, 12, 4))
    assert "expired on 2026-11-01" in reason
    [later] = blockers(SATURDAY, date(2026, 10, 1))
    assert "expires on 2026-11-01" in later and "2026-12-05" in later


def test_the_engine_leaves_out_volunteers_whose_check_has_expired() -> None:
    shift = shift_interval(SATURDAY, time(10), time(12))
    task = TaskSpec(
        id="t1", district="wola", day=SATURDAY, shifts=(shift,), places=2, with_children=True
    )

    def person(name: str, checks: ChildProtection) -> VolunteerSpec:
        return VolunteerSpec(
            id=name,
            birth_date=date(2000, 1, 1),
            districts=("wola",),
            availability=(WeeklySlot(6, "09:00", "13:00"),),
            checks=checks,
        )

    fresh = person("fresh", ChildProtection(date(2026, 11, 2), date(2026, 11, 1), None))
    stale = person("stale", ChildProtection(date(2025, 11, 2), date(2025, 11, 1), None))
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    assert [r.volunteer_id for r in rank(task, [fresh, stale], now)] == ["fresh"]
    assert ineligibility(task, stale, now.date()) == (
        "child-protection check not valid on 2026-12-05 (renewal needed)"
    )


def test_age_bands_follow_the_guardian_rules_and_say_no_more() -> None:
    day = date(2026, 12, 5)
    cases = {
        date(2014, 12, 6): "0-12",
        date(2013, 12, 5): "13-15",
        date(2010, 12, 6): "13-15",
        date(2010, 12, 5): "16-17",
        date(2008, 12, 5): "18-25",
        date(2000, 12, 6): "18-25",
        date(2000, 12, 5): "26-59",
        date(1966, 12, 5): "60+",
    }
    assert {birth: age_band(birth, day) for birth in cases} == cases
