"""The matching engine: eligibility, and a score with its reasons.

Pure: no I/O. ``rank(task, volunteers, now)``: every eligible volunteer for one task, best
first, with the reasons behind each score: ``Reason(code, points, values, days)`` as data,
and ``describe(reason)`` for the engine's English sentence. The optimal batch plan over
many tasks at once builds on it (``domain.batch_plan``).

Input shape (also for the benchmark):

- ``TaskSpec(id, district, day, shifts, places, title="", type="", min_age=None,
  with_children=False, skills=frozenset(), languages=frozenset({"pl"}))``: ``id`` any
  hashable; ``district`` a slug; ``day`` the Warsaw date ages are counted on; ``shifts`` a
  tuple of UTC ``schedule.Interval`` (empty: flexible); ``places`` the free places.
- ``VolunteerSpec(id, birth_date, districts, skills, interests, languages, availability,
  checks, busy, taken, last_engaged_at, limit=1)``: ``districts`` a tuple whose first item
  is the home district; ``availability`` a tuple of ``WeeklySlot(weekday, "HH:MM",
  "HH:MM")`` in Warsaw wall-clock time; ``busy`` UTC intervals already booked; ``taken``
  task ids already assigned or proposed; ``limit`` tasks at most in one plan.

``rank(task, VolunteerArrays(volunteers, now), now, limit=20)`` ranks one task over a large
prebuilt pool.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

import numpy as np

from matching.domain.eligibility import ChildProtection, check_day
from matching.domain.people import age_on
from matching.domain.schedule import WARSAW, Interval

WEEK = 7 * 24 * 60
SKILL_POINTS = 10
INTEREST_POINTS = 5
LANGUAGE_POINTS = 3
HOME_DISTRICT_POINTS = 4
FAIRNESS_MAX = 20
FAIRNESS_DAYS_PER_POINT = 3
BASE_POINTS = 1  # any eligible person beats an empty place
NO_CHECKS = ChildProtection(None, None)
_WORD = re.compile(r"[^\W\d_]{4,}")


@dataclass(frozen=True)
class WeeklySlot:
    """Availability: ``weekday`` 1-7 (Monday = 1), ``start``/``end`` "HH:MM" Warsaw time;
    an ``end`` not after ``start`` crosses midnight."""

    weekday: int
    start: str
    end: str

    def minutes(self) -> tuple[int, int]:
        """Minutes of the week [start, end), end possibly past the week's end."""
        sh, sm = (int(part) for part in self.start.split(":"))
        eh, em = (int(part) for part in self.end.split(":"))
        start = (self.weekday - 1) * 1440 + sh * 60 + sm
        length = (eh * 60 + em) - (sh * 60 + sm)
        if length <= 0:
            length += 1440
        return start, start + length


def weekly_cover(slots: Iterable[WeeklySlot]) -> tuple[tuple[int, int], ...]:
    """The union of the slots over three copies of the week, so that a shift that wraps
    from Sunday night into Monday is still seen as one stretch."""
    pieces = sorted(
        (start + shift, end + shift)
        for slot in slots
        for start, end in [slot.minutes()]
        for shift in (-WEEK, 0, WEEK)
    )
    merged: list[tuple[int, int]] = []
    for start, end in pieces:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def local_pattern(shift: Interval) -> tuple[int, int]:
    """A shift as Warsaw wall-clock minutes of the week: (start, length)."""
    start = shift.starts_at.astimezone(WARSAW).replace(tzinfo=None)
    end = shift.ends_at.astimezone(WARSAW).replace(tzinfo=None)
    minute = (start.isoweekday() - 1) * 1440 + start.hour * 60 + start.minute
    return minute, int((end - start).total_seconds() // 60)


@dataclass(frozen=True)
class VolunteerSpec:
    id: Hashable
    birth_date: date | None
    districts: tuple[str, ...]  # the first is the volunteer's home district
    skills: frozenset[str] = frozenset()
    interests: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    availability: tuple[WeeklySlot, ...] = ()
    checks: ChildProtection = NO_CHECKS
    busy: tuple[Interval, ...] = ()  # confirmed shifts elsewhere (UTC)
    taken: frozenset[Hashable] = frozenset()  # tasks already assigned or proposed
    last_engaged_at: datetime | None = None  # last asked (proposal) or assigned
    limit: int = 1  # at most this many tasks in one plan
    _cover: tuple[tuple[int, int], ...] | None = field(default=None, compare=False, repr=False)

    def cover(self) -> tuple[tuple[int, int], ...]:
        if self._cover is None:
            object.__setattr__(self, "_cover", weekly_cover(self.availability))
        assert self._cover is not None
        return self._cover


@dataclass(frozen=True)
class TaskSpec:
    id: Hashable
    district: str
    day: date  # Warsaw date of the first shift (ages count on it)
    shifts: tuple[Interval, ...]  # UTC; empty for a flexible task
    places: int  # free places
    title: str = ""
    type: str = ""
    min_age: int | None = None
    with_children: bool = False
    skills: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset({"pl"})
    _derived: dict[str, frozenset[object]] = field(
        default_factory=dict, compare=False, repr=False, hash=False
    )

    def topics(self) -> frozenset[str]:
        """What the task is about: its skills, its type and the words of its title."""
        if "topics" not in self._derived:
            words = {word.casefold() for word in _WORD.findall(self.title)}
            self._derived["topics"] = frozenset({*self.skills, self.type.casefold(), *words})
        return self._derived["topics"]  # type: ignore[return-value]

    def patterns(self) -> frozenset[tuple[int, int]]:
        """The distinct wall-clock (start, length) of its shifts, computed once."""
        if "patterns" not in self._derived:
            self._derived["patterns"] = frozenset(local_pattern(shift) for shift in self.shifts)
        return self._derived["patterns"]  # type: ignore[return-value]


def covered(cover: tuple[tuple[int, int], ...], pattern: tuple[int, int]) -> bool:
    start, length = pattern
    return any(a <= start and start + length <= b for a, b in cover)


def ineligibility(
    task: TaskSpec, volunteer: VolunteerSpec, today: date | None = None
) -> str | None:
    """Why the volunteer cannot be matched to the task, or None when they can. ``today``
    (the Warsaw date) makes a child-protection check hold until a task under way, too;
    without it the check is judged on the task's day alone."""
    if volunteer.birth_date is None:
        return "erased"
    if task.district not in volunteer.districts:
        return f"does not reach district {task.district}"
    if task.id in volunteer.taken:
        return "already assigned or proposed"
    if task.min_age is not None and age_on(volunteer.birth_date, task.day) < task.min_age:
        return f"under {task.min_age} on {task.day.isoformat()}"
    on = check_day(task.day, today)
    if task.with_children and not volunteer.checks.valid_on(on):
        checks = volunteer.checks
        if checks.register_checked_on is None or checks.criminal_record_on is None:
            return "no child-protection check"
        return f"child-protection check not valid on {on.isoformat()} (renewal needed)"
    cover = volunteer.cover()
    for pattern in task.patterns():
        if not covered(cover, pattern):
            return "not available at the task's time"
    for shift in task.shifts:
        for other in volunteer.busy:
            if shift.overlaps(other):
                return "already booked then"
    return None


ReasonCode = Literal[
    "skills", "interests", "languages", "home_district", "never_engaged", "last_engaged"
]


@dataclass(frozen=True)
class Reason:
    """One part of a score, as data: what it is (``code``), the points it adds, and what it
    rests on. ``values`` are the matched skills, interests or language codes (sorted) or the
    home district's slug; ``days`` is for ``last_engaged`` only."""

    code: ReasonCode
    points: int
    values: tuple[str, ...] = ()
    days: int | None = None


# The engine's English words for each reason (the API's ``reasons``).
_ENGLISH: dict[ReasonCode, str] = {
    "skills": "skills {values}",
    "interests": "interests {values}",
    "languages": "speaks {values}",
    "home_district": "home district {values}",
    "never_engaged": "never asked or assigned yet",
    "last_engaged": "last asked or assigned {days} days ago",
}


def describe(reason: Reason) -> str:
    """A reason in the engine's English words, e.g. "skills scratch (+10)"."""
    text = _ENGLISH[reason.code].format(values=", ".join(reason.values), days=reason.days)
    return f"{text} (+{reason.points})"


@dataclass(frozen=True)
class Score:
    points: int
    details: tuple[Reason, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        """The details in English words, one sentence each."""
        return tuple(describe(reason) for reason in self.details)


def score(task: TaskSpec, volunteer: VolunteerSpec, now: datetime) -> Score:
    """Points for an eligible pair, each part with the reason behind it."""
    details: list[Reason] = []
    skills = tuple(sorted(task.skills & volunteer.skills))
    if skills:
        details.append(Reason("skills", SKILL_POINTS * len(skills), skills))
    interests = tuple(sorted(task.topics() & volunteer.interests))
    if interests:
        details.append(Reason("interests", INTEREST_POINTS * len(interests), interests))
    spoken = tuple(sorted(task.languages & volunteer.languages))
    if spoken:
        details.append(Reason("languages", LANGUAGE_POINTS, spoken))
    if volunteer.districts and volunteer.districts[0] == task.district:
        details.append(Reason("home_district", HOME_DISTRICT_POINTS, (task.district,)))
    fairness = fairness_points(volunteer.last_engaged_at, now)
    if volunteer.last_engaged_at is None:
        details.append(Reason("never_engaged", fairness))
    elif fairness:
        days = (now - volunteer.last_engaged_at).days
        details.append(Reason("last_engaged", fairness, days=days))
    total = BASE_POINTS + sum(reason.points for reason in details)
    return Score(total, tuple(details))


def points(task: TaskSpec, volunteer: VolunteerSpec, now: datetime) -> int:
    """``score(...).points`` without the words: the plan's hot loop needs only the number."""
    total = BASE_POINTS + SKILL_POINTS * len(task.skills & volunteer.skills)
    total += INTEREST_POINTS * len(task.topics() & volunteer.interests)
    if task.languages & volunteer.languages:
        total += LANGUAGE_POINTS
    if volunteer.districts and volunteer.districts[0] == task.district:
        total += HOME_DISTRICT_POINTS
    return total + fairness_points(volunteer.last_engaged_at, now)


def fairness_points(last_engaged_at: datetime | None, now: datetime) -> int:
    """People asked or assigned less recently come first."""
    if last_engaged_at is None:
        return FAIRNESS_MAX
    days = max(0, (now - last_engaged_at).days)
    return min(FAIRNESS_MAX, days // FAIRNESS_DAYS_PER_POINT)


@dataclass(frozen=True)
class Ranked:
    volunteer_id: Hashable
    rank: int
    points: int
    details: tuple[Reason, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        """The details in English words, one sentence each."""
        return tuple(describe(reason) for reason in self.details)


def rank(
    task: TaskSpec,
    volunteers: Iterable[VolunteerSpec] | VolunteerArrays,
    now: datetime,
    *,
    limit: int | None = None,
) -> list[Ranked]:
    """Eligible volunteers for one task, best first (ties: never engaged, then engaged
    longest ago, then id), each with the reasons for its points.

    Pass a prebuilt ``VolunteerArrays`` to rank many tasks over a large pool quickly: only
    the task's district is scanned, over arrays, and reasons are written for the top only.
    """
    if isinstance(volunteers, VolunteerArrays):
        pool, _ = volunteers.candidates(task)
        eligible = [volunteers.volunteers[int(index)] for index in pool]
    else:
        today = now.astimezone(WARSAW).date()
        eligible = [v for v in volunteers if ineligibility(task, v, today) is None]
    scored = [(points(task, volunteer, now), volunteer) for volunteer in eligible]
    scored.sort(
        key=lambda pair: (
            -pair[0],
            pair[1].last_engaged_at is not None,
            pair[1].last_engaged_at or now,
            str(pair[1].id),
        )
    )
    if limit is not None:
        scored = scored[:limit]
    ranked: list[Ranked] = []
    for position, (_, volunteer) in enumerate(scored, start=1):
        result = score(task, volunteer, now)
        ranked.append(Ranked(volunteer.id, position, result.points, result.details))
    return ranked


def _age_cutoff(day: date, min_age: int) -> tuple[int, int | None]:
    """The latest birth date (ordinal) that is ``min_age`` on ``day``, plus a 29 February
    birth date that also is, on a 28 February without a leap day (see ``age_on``)."""
    year = day.year - min_age
    if (day.month, day.day) == (2, 29) and not calendar.isleap(year):
        latest = date(year, 2, 28)
    else:
        latest = day.replace(year=year)
    leap_birthday = None
    no_leap_day = (day.month, day.day) == (2, 28) and not calendar.isleap(day.year)
    if no_leap_day and calendar.isleap(year):
        leap_birthday = date(year, 2, 29).toordinal()
    return latest.toordinal(), leap_birthday


def _check_span(checks: ChildProtection) -> tuple[int, int] | None:
    """(first, after the last) day ordinal a complete check holds on, or None."""
    expiry = checks.expiry()
    if checks.register_checked_on is None or checks.criminal_record_on is None or not expiry:
        return None
    later = max(checks.register_checked_on, checks.criminal_record_on)
    return later.toordinal(), expiry.toordinal()


class VolunteerArrays:
    """The volunteers' facts as NumPy arrays, built once, so that eligibility and points
    for one task are computed over all its district's candidates at once."""

    def __init__(self, volunteers: Sequence[VolunteerSpec], now: datetime) -> None:
        self.volunteers = volunteers
        count = len(volunteers)
        never = date.max.toordinal() + 1
        self.birth = np.array(
            [v.birth_date.toordinal() if v.birth_date else never for v in volunteers], np.int64
        )
        self.erased = np.array([v.birth_date is None for v in volunteers], bool)
        # A child-protection check holds from its later date until (not on) its expiry.
        self.today = now.astimezone(WARSAW).date()
        holds = [_check_span(v.checks) for v in volunteers]
        self.checked = np.array([span[0] if span else never for span in holds], np.int64)
        self.check_expires = np.array([span[1] if span else 0 for span in holds], np.int64)
        self.fairness = np.array(
            [fairness_points(v.last_engaged_at, now) for v in volunteers], np.int64
        )
        self.home = np.array([v.districts[0] if v.districts else "" for v in volunteers], object)
        by_district: dict[str, list[int]] = defaultdict(list)
        skills: dict[str, list[int]] = defaultdict(list)
        interests: dict[str, list[int]] = defaultdict(list)
        languages: dict[str, list[int]] = defaultdict(list)
        self.taken: dict[Hashable, list[int]] = defaultdict(list)
        self.busy: list[int] = []
        for index, v in enumerate(volunteers):
            for district in v.districts:
                by_district[district].append(index)
            for tag in v.skills:
                skills[tag].append(index)
            for tag in v.interests:
                interests[tag].append(index)
            for code in v.languages:
                languages[code].append(index)
            for task_id in v.taken:
                self.taken[task_id].append(index)
            if v.busy:
                self.busy.append(index)
        self.by_district = {d: np.array(ix, np.int64) for d, ix in by_district.items()}
        self._skills = {tag: self._mask(ix, count) for tag, ix in skills.items()}
        self._interests = {tag: self._mask(ix, count) for tag, ix in interests.items()}
        self._languages = {code: self._mask(ix, count) for code, ix in languages.items()}
        self._busy = self._mask(self.busy, count)
        self._patterns: dict[tuple[int, int], np.ndarray] = {}
        covers = [(index, a, b) for index, v in enumerate(volunteers) for a, b in v.cover()]
        self._cover_owner = np.array([c[0] for c in covers], np.int64)
        self._cover_start = np.array([c[1] for c in covers], np.int64)
        self._cover_end = np.array([c[2] for c in covers], np.int64)

    @staticmethod
    def _mask(indices: Sequence[int], count: int) -> np.ndarray:
        mask = np.zeros(count, bool)
        mask[list(indices)] = True
        return mask

    def available(self, pattern: tuple[int, int]) -> np.ndarray:
        """Who is available for a wall-clock pattern (computed once per distinct pattern)."""
        if pattern not in self._patterns:
            start, length = pattern
            fits = (self._cover_start <= start) & (start + length <= self._cover_end)
            available = np.zeros(len(self.volunteers), bool)
            available[self._cover_owner[fits]] = True
            self._patterns[pattern] = available
        return self._patterns[pattern]

    def candidates(self, task: TaskSpec) -> tuple[np.ndarray, np.ndarray]:
        """(volunteer indices, points) of every eligible volunteer for the task; the same
        rules as ``ineligibility`` and ``points``, over arrays."""
        pool = self.by_district.get(task.district)
        if pool is None or task.places <= 0:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        keep = ~self.erased[pool]
        if task.min_age is not None:
            latest, leap_birthday = _age_cutoff(task.day, task.min_age)
            births = self.birth[pool]
            old_enough = births <= latest
            if leap_birthday is not None:
                old_enough |= births == leap_birthday
            keep &= old_enough
        if task.with_children:
            on = check_day(task.day, self.today).toordinal()
            keep &= (self.checked[pool] <= on) & (on < self.check_expires[pool])
        for pattern in task.patterns():
            keep &= self.available(pattern)[pool]
        taken = self.taken.get(task.id)
        if taken:
            keep &= ~np.isin(pool, taken)
        pool = pool[keep]
        if task.shifts and len(pool):
            busy = self._busy[pool]
            if busy.any():
                clear = np.ones(len(pool), bool)
                for position in np.flatnonzero(busy):
                    volunteer = self.volunteers[int(pool[position])]
                    clear[position] = not any(
                        shift.overlaps(other) for shift in task.shifts for other in volunteer.busy
                    )
                pool = pool[clear]
        points = np.full(len(pool), BASE_POINTS, np.int64) + self.fairness[pool]
        for tag in task.skills:
            if tag in self._skills:
                points += SKILL_POINTS * self._skills[tag][pool]
        for tag in task.topics():
            if tag in self._interests:
                points += INTEREST_POINTS * self._interests[tag][pool]
        spoken = np.zeros(len(pool), bool)
        for code in task.languages:
            if code in self._languages:
                spoken |= self._languages[code][pool]
        points += LANGUAGE_POINTS * spoken
        points += HOME_DISTRICT_POINTS * (self.home[pool] == task.district)
        return pool, points
