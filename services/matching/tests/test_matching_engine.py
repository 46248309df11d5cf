"""The matching engine: eligibility, score with reasons, ranking and the optimal plan."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, time, timedelta

from matching.domain.batch_plan import eligible_pairs, plan
from matching.domain.eligibility import ChildProtection
from matching.domain.matching import (
    Reason,
    TaskSpec,
    VolunteerArrays,
    VolunteerSpec,
    WeeklySlot,
    ineligibility,
    points,
    rank,
    score,
)
from matching.domain.schedule import WARSAW, shift_interval

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
SATURDAY = date(2026, 12, 5)


def task(**changes: object) -> TaskSpec:
    values: dict[str, object] = {
        "id": "t1",
        "district": "wola",
        "day": SATURDAY,
        "shifts": (shift_interval(SATURDAY, time(10), time(12)),),
        "places": 1,
        "title": "Pomoc przy konkursie",
        "type": "contest",
    }
    values.update(changes)
    return TaskSpec(**values)  # type: ignore[arg-type]


def volunteer(**changes: object) -> VolunteerSpec:
    values: dict[str, object] = {
        "id": "v1",
        "birth_date": date(2000, 1, 1),
        "districts": ("wola",),
        "availability": (WeeklySlot(6, "09:00", "13:00"),),
    }
    values.update(changes)
    return VolunteerSpec(**values)  # type: ignore[arg-type]


# -- eligibility -------------------------------------------------------------------------


def test_eligible_when_district_age_time_and_checks_fit() -> None:
    assert ineligibility(task(), volunteer()) is None


def test_district_must_be_reachable() -> None:
    assert ineligibility(task(), volunteer(districts=("ursus",))) == "does not reach district wola"


def test_age_is_counted_on_the_tasks_date() -> None:
    sixteenth_birthday = volunteer(birth_date=date(2010, 12, 5))
    day_before = volunteer(birth_date=date(2010, 12, 6))
    assert ineligibility(task(min_age=16), sixteenth_birthday) is None
    assert ineligibility(task(min_age=16), day_before) == "under 16 on 2026-12-05"


def test_availability_must_cover_the_shift() -> None:
    late = volunteer(availability=(WeeklySlot(6, "11:00", "13:00"),))
    assert ineligibility(task(), late) == "not available at the task's time"
    assert ineligibility(task(), volunteer(availability=())) == "not available at the task's time"


def test_a_slot_crossing_midnight_covers_a_night_shift() -> None:
    night = task(shifts=(shift_interval(SATURDAY, time(23), time(1, 30)),))
    owl = volunteer(availability=(WeeklySlot(6, "22:00", "02:00"),))
    assert ineligibility(night, owl) is None


def test_sunday_night_slot_wraps_into_monday() -> None:
    sunday = date(2026, 12, 6)
    night = task(day=sunday, shifts=(shift_interval(sunday, time(23), time(1)),))
    owl = volunteer(availability=(WeeklySlot(7, "22:00", "00:00"), WeeklySlot(1, "00:00", "03:00")))
    assert ineligibility(night, owl) is None


def test_availability_is_wall_clock_on_a_dst_night() -> None:
    saturday = date(2026, 10, 24)  # clocks go back that night
    night = task(day=saturday, shifts=(shift_interval(saturday, time(22), time(6)),))
    owl = volunteer(availability=(WeeklySlot(6, "22:00", "06:00"),))
    assert ineligibility(night, owl) is None


def test_work_with_children_needs_the_check_before_the_task() -> None:
    with_children = task(with_children=True)
    assert ineligibility(with_children, volunteer()) == "no child-protection check"
    checked = ChildProtection(date(2026, 11, 1), date(2026, 11, 2))
    assert ineligibility(with_children, volunteer(checks=checked)) is None


def test_someone_already_booked_then_is_not_eligible() -> None:
    busy = (shift_interval(SATURDAY, time(11), time(15)),)
    assert ineligibility(task(), volunteer(busy=busy)) == "already booked then"
    assert ineligibility(task(), volunteer(taken=frozenset({"t1"}))) is not None


def test_flexible_task_needs_no_time_slot() -> None:
    assert ineligibility(task(shifts=()), volunteer(availability=())) is None


# -- score and rank ----------------------------------------------------------------------


def test_score_explains_each_point() -> None:
    keen = volunteer(
        skills=frozenset({"fotografia"}),
        interests=frozenset({"konkursie", "komiksy"}),
        languages=frozenset({"pl"}),
        last_engaged_at=NOW - timedelta(days=30),
    )
    result = score(task(skills=frozenset({"fotografia"})), keen, NOW)
    assert result.points == 1 + 10 + 5 + 3 + 4 + 10
    assert result.details == (
        Reason("skills", 10, ("fotografia",)),
        Reason("interests", 5, ("konkursie",)),
        Reason("languages", 3, ("pl",)),
        Reason("home_district", 4, ("wola",)),
        Reason("last_engaged", 10, days=30),
    )
    assert result.reasons == (
        "skills fotografia (+10)",
        "interests konkursie (+5)",
        "speaks pl (+3)",
        "home district wola (+4)",
        "last asked or assigned 30 days ago (+10)",
    )


def test_rank_puts_people_asked_less_recently_first() -> None:
    recent = volunteer(id="recent", last_engaged_at=NOW - timedelta(days=1))
    long_ago = volunteer(id="long-ago", last_engaged_at=NOW - timedelta(days=45))
    never = volunteer(id="never")
    away = volunteer(id="away", districts=("ursus",))
    ranked = rank(task(), [recent, away, long_ago, never], NOW)
    assert [(r.volunteer_id, r.rank) for r in ranked] == [
        ("never", 1),
        ("long-ago", 2),
        ("recent", 3),
    ]
    assert ranked[0].details[-1] == Reason("never_engaged", 20)
    assert ranked[0].reasons[-1] == "never asked or assigned yet (+20)"
    assert ranked[2].details == (Reason("home_district", 4, ("wola",)),)  # asked yesterday


def test_reasons_add_up_to_the_points_and_read_in_english() -> None:
    many = volunteer(
        skills=frozenset({"scratch", "czytanie"}),
        languages=frozenset({"pl", "en", "uk"}),
        districts=("ochota", "wola"),
        last_engaged_at=NOW - timedelta(days=1),
    )
    the_task = task(skills=frozenset({"scratch", "czytanie"}), languages=frozenset({"en", "pl"}))
    result = score(the_task, many, NOW)
    assert result.points == 1 + sum(reason.points for reason in result.details)
    assert result.points == points(the_task, many, NOW)
    assert result.reasons == ("skills czytanie, scratch (+20)", "speaks en, pl (+3)")


# -- the plan ----------------------------------------------------------------------------


def test_plan_is_optimal_where_greedy_is_not() -> None:
    # Greedy gives the strongest pair (ania→t1, 2 skills) first and leaves t2 unfilled.
    t1 = task(id="t1", skills=frozenset({"scratch", "python"}))
    t2 = task(id="t2", skills=frozenset({"scratch"}), district="ochota")
    ania = volunteer(
        id="ania", districts=("ochota", "wola"), skills=frozenset({"scratch", "python"})
    )
    bartek = volunteer(id="bartek", skills=frozenset({"python"}))
    result = plan([t1, t2], [ania, bartek], NOW)
    assert {(p.task_id, p.volunteer_id) for p in result.pairings} == {
        ("t1", "bartek"),
        ("t2", "ania"),
    }


def test_plan_respects_places_and_limits() -> None:
    tasks = [task(id="t1", places=2), task(id="t2", places=1, title="Inne")]
    people = [volunteer(id=f"v{i}", limit=1) for i in range(5)]
    result = plan(tasks, people, NOW)
    per_task = {t.id: sum(p.task_id == t.id for p in result.pairings) for t in tasks}
    assert per_task == {"t1": 2, "t2": 1}
    assert len({p.volunteer_id for p in result.pairings}) == 3


def scalar_pairs(tasks: list[TaskSpec], people: list[VolunteerSpec]) -> list[tuple[int, int, int]]:
    """The reference: one pair at a time with the explaining functions, on NOW's date."""
    today = NOW.astimezone(WARSAW).date()
    return [
        (t, v, score(task, person, NOW).points)
        for t, task in enumerate(tasks)
        for v, person in enumerate(people)
        if ineligibility(task, person, today) is None
    ]


def brute_force(tasks: list[TaskSpec], people: list[VolunteerSpec]) -> int:
    pairs = scalar_pairs(tasks, people)
    best = 0
    for size in range(len(pairs) + 1):
        for chosen in itertools.combinations(pairs, size):
            per_task = [sum(1 for t, _, _ in chosen if t == i) for i in range(len(tasks))]
            per_person = [sum(1 for _, v, _ in chosen if v == i) for i in range(len(people))]
            if all(n <= tasks[i].places for i, n in enumerate(per_task)) and all(
                n <= people[i].limit for i, n in enumerate(per_person)
            ):
                best = max(best, sum(points for _, _, points in chosen))
    return best


def test_plan_matches_a_brute_force_optimum_on_random_cities() -> None:
    generator = random.Random(7)
    skills = ["scratch", "fotografia", "czytanie", "python"]
    for round_ in range(15):
        tasks = [
            task(
                id=f"t{i}",
                district=generator.choice(["wola", "ochota"]),
                places=generator.randint(1, 2),
                skills=frozenset(generator.sample(skills, 2)),
            )
            for i in range(3)
        ]
        people = [
            volunteer(
                id=f"v{i}",
                districts=tuple(generator.sample(["wola", "ochota"], generator.randint(1, 2))),
                skills=frozenset(generator.sample(skills, generator.randint(0, 3))),
                last_engaged_at=NOW - timedelta(days=generator.randint(0, 60)),
                limit=generator.randint(1, 2),
            )
            for i in range(4)
        ]
        assert plan(tasks, people, NOW).total_points == brute_force(tasks, people), round_


def test_vectorised_pairs_agree_with_the_one_at_a_time_rules() -> None:
    generator = random.Random(11)
    districts = ["wola", "ochota", "ursus"]
    days = [date(2026, 2, 28), date(2028, 2, 29), date(2026, 12, 5), date(2026, 10, 24)]
    births = [date(2008, 2, 29), date(2010, 2, 28), date(2012, 3, 1), date(1990, 1, 1), None]
    slots = [
        WeeklySlot(6, "09:00", "13:00"),
        WeeklySlot(6, "22:00", "06:00"),
        WeeklySlot(2, "15:00", "19:00"),
    ]
    people = [
        volunteer(
            id=f"v{i}",
            birth_date=generator.choice(births),
            districts=tuple(generator.sample(districts, generator.randint(1, 2))),
            skills=frozenset(generator.sample(["scratch", "czytanie"], generator.randint(0, 2))),
            interests=frozenset(
                generator.sample(["konkursie", "komiksy"], generator.randint(0, 2))
            ),
            languages=frozenset(generator.sample(["pl", "en"], generator.randint(0, 2))),
            availability=tuple(generator.sample(slots, generator.randint(0, 3))),
            checks=generator.choice(
                [ChildProtection(None, None), ChildProtection(date(2026, 1, 1), date(2026, 3, 1))]
            ),
            busy=generator.choice([(), (shift_interval(date(2026, 12, 5), time(11), time(12)),)]),
            taken=generator.choice([frozenset(), frozenset({"t0"})]),
            last_engaged_at=generator.choice(
                [None, NOW - timedelta(days=generator.randint(0, 90))]
            ),
        )
        for i in range(300)
    ]
    tasks = []
    for i in range(40):
        day = generator.choice(days)
        start, end = generator.choice(
            [(time(10), time(12)), (time(23), time(2)), (time(16), time(18))]
        )
        tasks.append(
            task(
                id=f"t{i}",
                district=generator.choice(districts),
                day=day,
                shifts=generator.choice([(), (shift_interval(day, start, end),)]),
                min_age=generator.choice([None, 13, 16, 18]),
                with_children=generator.random() < 0.3,
                skills=frozenset(
                    generator.sample(["scratch", "czytanie"], generator.randint(0, 2))
                ),
            )
        )
    fast = eligible_pairs(tasks, people, NOW)
    vectorised = sorted(
        zip(fast.tasks.tolist(), fast.volunteers.tolist(), fast.points.tolist(), strict=True)
    )
    assert vectorised == sorted(scalar_pairs(tasks, people))
    assert all(
        points(tasks[t], people[v], NOW) == expected
        for t, v, expected in scalar_pairs(tasks, people)
    )
    assert len(vectorised) > 100


def test_rank_over_prebuilt_arrays_matches_the_plain_ranking() -> None:
    people = [
        volunteer(
            id=f"v{i}",
            last_engaged_at=NOW - timedelta(days=i * 4),
            skills=frozenset({"scratch"} if i % 2 else set()),
        )
        for i in range(12)
    ] + [volunteer(id="away", districts=("ursus",))]
    the_task = task(skills=frozenset({"scratch"}))
    plain = rank(the_task, people, NOW, limit=5)
    fast = rank(the_task, VolunteerArrays(people, NOW), NOW, limit=5)
    assert plain == fast
    assert [r.volunteer_id for r in plain] == ["v11", "v9", "v7", "v5", "v3"]
