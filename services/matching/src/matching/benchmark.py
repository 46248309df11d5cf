"""A synthetic city for ``make bench-matching`` (bench/matching.py).

``synthetic_city(volunteers=50_000, tasks=10_000, places=5)`` gives engine inputs with
realistic eligibility: 1-3 reachable districts out of Warsaw's 18, ages 11-80, weekly
availability of 1-4 slots (some crossing midnight), skills and interests from small tag
sets, a tenth of tasks with children (a third of people checked), minimum ages, shifts on
every day of a four-week month at usual library hours. Deterministic for a given seed.

    from matching.benchmark import synthetic_city
    from matching.domain.batch_plan import eligible_pairs, flow_graph, plan
    from matching.domain.matching import VolunteerArrays, rank
    city = synthetic_city()
    result = plan(city.tasks, city.volunteers, city.now)                  # profiles → plan
    pairs = eligible_pairs(city.tasks, city.volunteers, city.now)
    graph = flow_graph(city.tasks, city.volunteers, pairs)                # bare solve input
    arrays = VolunteerArrays(city.volunteers, city.now)
    ranked = rank(city.tasks[0], arrays, city.now, limit=20)             # one task's ranking
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from matching.domain.eligibility import ChildProtection
from matching.domain.matching import TaskSpec, VolunteerSpec, WeeklySlot
from matching.domain.schedule import shift_interval
from shared.reference import warsaw_districts

SKILLS = ("scratch", "fotografia", "czytanie", "plastyka", "python", "muzyka", "szachy")
INTERESTS = ("komiksy", "fantastyka", "historia", "przyroda", "teatr", "czytanie", "gry")
TYPES = ("reading_help", "homework_help", "computer_help", "contest", "event_help")
SLOT_STARTS = (8, 9, 10, 12, 14, 15, 16, 17, 18, 20, 22)
SHIFT_STARTS = (9, 10, 11, 12, 14, 15, 16, 17, 18)


@dataclass(frozen=True)
class City:
    tasks: list[TaskSpec]
    volunteers: list[VolunteerSpec]
    now: datetime


def synthetic_city(
    volunteers: int = 50_000, tasks: int = 10_000, places: int = 5, seed: int = 2026
) -> City:
    rng = random.Random(seed)
    districts = sorted(warsaw_districts())
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    first_day = date(2026, 12, 1)
    checked = ChildProtection(date(2026, 10, 1), date(2026, 10, 2))
    unchecked = ChildProtection(None, None)
    people: list[VolunteerSpec] = []
    for index in range(volunteers):
        slots = []
        for _ in range(rng.randint(1, 4)):
            start = rng.choice(SLOT_STARTS)
            length = rng.choice((3, 4, 5, 6))
            slots.append(
                WeeklySlot(rng.randint(1, 7), f"{start:02d}:00", f"{(start + length) % 24:02d}:00")
            )
        engaged = None if rng.random() < 0.4 else now - timedelta(days=rng.randint(0, 120))
        people.append(
            VolunteerSpec(
                id=index,
                birth_date=date(rng.randint(1946, 2015), rng.randint(1, 12), rng.randint(1, 28)),
                districts=tuple(rng.sample(districts, rng.randint(1, 3))),
                skills=frozenset(rng.sample(SKILLS, rng.randint(0, 3))),
                interests=frozenset(rng.sample(INTERESTS, rng.randint(0, 3))),
                languages=frozenset({"pl", "en"} if rng.random() < 0.3 else {"pl"}),
                availability=tuple(slots),
                checks=checked if rng.random() < 0.33 else unchecked,
                last_engaged_at=engaged,
            )
        )
    work: list[TaskSpec] = []
    for index in range(tasks):
        day = first_day + timedelta(days=rng.randint(0, 27))
        start = rng.choice(SHIFT_STARTS)
        kind = rng.choice(TYPES)
        work.append(
            TaskSpec(
                id=index,
                district=rng.choice(districts),
                day=day,
                shifts=(shift_interval(day, time(start), time(start + rng.choice((2, 3)))),),
                places=places,
                title=f"Zadanie {index}",
                type=kind,
                min_age=rng.choice((None, 13, 16, 18)),
                with_children=rng.random() < 0.1,
                skills=frozenset(rng.sample(SKILLS, rng.randint(0, 2))),
            )
        )
    return City(work, people, now)
