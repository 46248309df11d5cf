"""The city's and the trainers' figures, as pure functions of the entity snapshots.

Definitions (the same in the API, the exports and the PDF):
- branches enrolled: branches whose latest enrolment in the edition is not withdrawn;
- volunteers recruited: distinct volunteers with at least one assignment (confirmed at
  some point) in the scope and period;
- volunteers active: distinct volunteers with at least one approved hour in the period;
- approved hours: the sum of approved hours entries;
- tasks published / cancelled / filled: a task is filled when its assignments that were
  not cancelled reach its places; fill rate = filled / (published - cancelled);
- no-shows: assignments that ended as a no-show;
- share of minors: among the volunteers recruited or active whose profile is known;
- retention: of the volunteers active in an edition (or month), those active again in a
  later one.
A dated item belongs to the edition its branch is enrolled in whose dates contain it.
Dates of datetimes are taken in Warsaw time.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from reporting.domain.entities import (
    Assignment,
    Branch,
    Certificate,
    Edition,
    Enrolment,
    Entity,
    HoursEntry,
    Message,
    Proposal,
    StageReached,
    Submission,
    Task,
    TrainerAssignment,
    Visit,
    Volunteer,
)
from shared.reference import district_name

WARSAW = ZoneInfo("Europe/Warsaw")

Dimension = Literal["edition", "district", "branch", "institution_type", "task_type"]
DIMENSIONS: tuple[Dimension, ...] = (
    "edition",
    "district",
    "branch",
    "institution_type",
    "task_type",
)
Period = Literal["week", "month"]


def local_date(moment: datetime) -> date:
    return moment.astimezone(WARSAW).date()


def activity_of(entity: Entity) -> tuple[uuid.UUID, date] | None:
    """The branch and the day an item (task, assignment, hours entry) is activity on."""
    match entity:
        case Task():
            return entity.branch_id, local_date(entity.published_at)
        case Assignment():
            return entity.branch_id, local_date(entity.first_seen_at)
        case HoursEntry():
            return entity.branch_id, entity.worked_on
    return None


def period_start(day: date, period: Period) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


@dataclass
class State:
    """The snapshots (every one, or the kinds a view reads), indexed the way the views
    need them."""

    editions: dict[uuid.UUID, Edition] = field(default_factory=dict)
    branches: dict[uuid.UUID, Branch] = field(default_factory=dict)
    enrolments: list[Enrolment] = field(default_factory=list)
    stages: list[StageReached] = field(default_factory=list)
    trainers: list[TrainerAssignment] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    submissions: list[Submission] = field(default_factory=list)
    volunteers: dict[uuid.UUID, Volunteer] = field(default_factory=dict)
    tasks: dict[uuid.UUID, Task] = field(default_factory=dict)
    assignments: list[Assignment] = field(default_factory=list)
    hours: list[HoursEntry] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    _editions_by_branch: dict[uuid.UUID, list[Edition]] | None = field(default=None, repr=False)
    _activity: dict[uuid.UUID, list[date]] | None = field(default=None, repr=False)
    _taken: dict[uuid.UUID, int] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, entities: Iterable[Entity]) -> State:
        state = cls()
        for entity in sorted(entities, key=lambda e: (e.kind, e.key)):
            match entity:
                case Edition():
                    state.editions[entity.edition_id] = entity
                case Branch():
                    state.branches[entity.branch_id] = entity
                case Enrolment():
                    state.enrolments.append(entity)
                case StageReached():
                    state.stages.append(entity)
                case TrainerAssignment():
                    state.trainers.append(entity)
                case Visit():
                    state.visits.append(entity)
                case Submission():
                    state.submissions.append(entity)
                case Volunteer():
                    state.volunteers[entity.volunteer_id] = entity
                case Task():
                    state.tasks[entity.task_id] = entity
                case Assignment():
                    state.assignments.append(entity)
                case HoursEntry():
                    state.hours.append(entity)
                case Proposal():
                    state.proposals.append(entity)
                case Certificate():
                    state.certificates.append(entity)
                case Message():
                    state.messages.append(entity)
        return state

    def edition_for(self, branch_id: uuid.UUID, day: date) -> uuid.UUID | None:
        """The edition the branch is enrolled in whose dates contain ``day``."""
        for edition in self._branch_editions().get(branch_id, ()):
            if edition.starts_on <= day <= edition.ends_on:
                return edition.edition_id
        return None

    def _branch_editions(self) -> dict[uuid.UUID, list[Edition]]:
        if self._editions_by_branch is None:
            by_branch: dict[uuid.UUID, list[Edition]] = defaultdict(list)
            for enrolment in self.enrolments:
                edition = self.editions.get(enrolment.edition_id)
                if enrolment.active and edition is not None:
                    by_branch[enrolment.branch_id].append(edition)
            for editions in by_branch.values():
                editions.sort(key=lambda e: (e.starts_on, str(e.edition_id)))
            self._editions_by_branch = dict(by_branch)
        return self._editions_by_branch

    def taken_places(self) -> dict[uuid.UUID, int]:
        """Per task, its assignments that were not cancelled (no-shows took a place too)."""
        if self._taken is None:
            taken: dict[uuid.UUID, int] = defaultdict(int)
            for assignment in self.assignments:
                if assignment.status != "cancelled":
                    taken[assignment.task_id] += 1
            self._taken = dict(taken)
        return self._taken

    def activity_days(self, branch_id: uuid.UUID) -> list[date]:
        """Every day something happened at the branch (visits, stages, tasks, hours...)."""
        if self._activity is None:
            activity: dict[uuid.UUID, list[date]] = defaultdict(list)
            for visit in self.visits:
                activity[visit.branch_id].append(visit.visited_on)
            for stage in self.stages:
                activity[stage.branch_id].append(stage.reached_on)
            for submission in self.submissions:
                activity[submission.branch_id].append(submission.submitted_on)
            groups: list[Iterable[Entity]] = [self.tasks.values(), self.assignments, self.hours]
            for group in groups:
                for item in group:
                    found = activity_of(item)
                    if found is not None:
                        activity[found[0]].append(found[1])
            self._activity = dict(activity)
        return self._activity.get(branch_id, [])

    def edition_label(self, edition_id: uuid.UUID | None) -> str:
        edition = self.editions.get(edition_id) if edition_id else None
        return edition.name if edition else "—"


@dataclass(frozen=True)
class Filters:
    edition_id: uuid.UUID | None = None
    district: str | None = None
    branch: str | None = None
    institution_type: str | None = None
    task_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    scope: frozenset[str] | None = None
    """Branch codes the reader may see; None for everything (city_admin)."""


@dataclass(frozen=True)
class Item:
    """One countable thing with the dimensions it falls into."""

    what: Literal["enrolment", "task", "assignment", "hours", "proposal", "certificate"]
    dims: dict[str, str | None]
    day: date | None
    entity: Entity


def _dims(
    state: State,
    branch_id: uuid.UUID,
    code: str,
    edition_id: uuid.UUID | None,
    task_type: str | None,
) -> dict[str, str | None]:
    branch = state.branches.get(branch_id)
    return {
        "edition": str(edition_id) if edition_id else None,
        "district": branch.district if branch else None,
        "branch": branch.code if branch else code,
        "institution_type": branch.institution_type if branch else None,
        "task_type": task_type,
    }


def items(state: State) -> list[Item]:
    entities: list[Iterable[Entity]] = [
        state.enrolments,
        state.tasks.values(),
        state.assignments,
        state.hours,
        state.proposals,
        state.certificates,
    ]
    return [item for group in entities for e in group if (item := item_of(state, e)) is not None]


def item_of(state: State, entity: Entity) -> Item | None:
    """What ``entity`` counts for, and in which edition, district, branch and task type.

    Only the entity itself and its context (its branch, the branch's enrolments, the
    editions, its task and the task's assignments) are read, so the live totals can
    derive one item from a state holding just that context.
    """
    match entity:
        case Enrolment():
            if not entity.active:
                return None
            dims = _dims(state, entity.branch_id, entity.code, entity.edition_id, None)
            return Item("enrolment", dims, None, entity)
        case Task():
            day = local_date(entity.starts_at or entity.published_at)
            edition = state.edition_for(entity.branch_id, day)
            dims = _dims(state, entity.branch_id, entity.code, edition, entity.type)
            return Item("task", dims, day, entity)
        case Assignment():
            day = local_date(entity.starts_at or entity.first_seen_at)
            return _dated_item(state, "assignment", entity, entity.task_id, day)
        case HoursEntry():
            if entity.status != "approved":
                return None
            return _dated_item(state, "hours", entity, entity.task_id, entity.worked_on)
        case Proposal():
            day = local_date(entity.made_at)
            return _dated_item(state, "proposal", entity, entity.task_id, day)
        case Certificate():
            day = local_date(entity.issued_at)
            return _dated_item(state, "certificate", entity, None, day)
    return None


def _dated_item(
    state: State,
    what: Literal["assignment", "hours", "proposal", "certificate"],
    entity: Assignment | HoursEntry | Proposal | Certificate,
    task_id: uuid.UUID | None,
    day: date,
) -> Item:
    edition = state.edition_for(entity.branch_id, day)
    task_type = _task_type(state, task_id) if task_id else None
    return Item(what, _dims(state, entity.branch_id, entity.code, edition, task_type), day, entity)


def _task_type(state: State, task_id: uuid.UUID) -> str | None:
    task = state.tasks.get(task_id)
    return task.type if task else None


def selected(all_items: Iterable[Item], filters: Filters) -> list[Item]:
    wanted = {
        "edition": str(filters.edition_id) if filters.edition_id else None,
        "district": filters.district,
        "branch": filters.branch,
        "institution_type": filters.institution_type,
        "task_type": filters.task_type,
    }
    chosen = []
    for item in all_items:
        if filters.scope is not None and item.dims["branch"] not in filters.scope:
            continue
        if any(
            value is not None
            and item.dims[name] != value
            and not (name == "task_type" and item.what == "enrolment")
            for name, value in wanted.items()
        ):
            continue
        if item.day is not None and (
            (filters.date_from and item.day < filters.date_from)
            or (filters.date_to and item.day > filters.date_to)
        ):
            continue
        chosen.append(item)
    return chosen


@dataclass(frozen=True)
class Figures:
    branches_enrolled: int
    volunteers_recruited: int
    volunteers_active: int
    approved_hours: Decimal
    tasks_published: int
    tasks_cancelled: int
    tasks_filled: int
    fill_rate: float | None
    no_shows: int
    minors_share: float | None
    proposals_made: int = 0
    proposals_accepted: int = 0
    proposals_declined: int = 0
    proposals_expired: int = 0
    certificates_issued: int = 0


def plain(hours: Decimal) -> Decimal:
    """Hours without trailing zeros (and without an exponent): the same figure prints the
    same whichever way it was summed (``2.50 + 1.0 - 1.0`` in the totals is ``2.5``)."""
    normal = hours.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def figures(state: State, bucket: list[Item]) -> Figures:
    taken_places = state.taken_places()
    branches: set[uuid.UUID] = set()
    recruited: set[uuid.UUID] = set()
    active: set[uuid.UUID] = set()
    hours = Decimal(0)
    published = cancelled = filled = no_shows = certificates = 0
    proposals: dict[str, int] = defaultdict(int)
    for item in bucket:
        entity = item.entity
        if isinstance(entity, Enrolment):
            branches.add(entity.branch_id)
        elif isinstance(entity, Task):
            published += 1
            if entity.cancelled:
                cancelled += 1
            elif taken_places.get(entity.task_id, 0) >= entity.places:
                filled += 1
        elif isinstance(entity, Assignment):
            recruited.add(entity.volunteer_id)
            no_shows += entity.status == "no_show"
        elif isinstance(entity, HoursEntry):
            active.add(entity.volunteer_id)
            hours += entity.hours
        elif isinstance(entity, Proposal):
            proposals["made"] += 1  # every proposal was made; an answer ends some
            if entity.status != "made":
                proposals[entity.status] += 1
        elif isinstance(entity, Certificate):
            certificates += 1
    known = [
        state.volunteers[v]
        for v in recruited | active
        if v in state.volunteers and state.volunteers[v].minor is not None
    ]
    return Figures(
        branches_enrolled=len(branches),
        volunteers_recruited=len(recruited),
        volunteers_active=len(active),
        approved_hours=plain(hours),
        tasks_published=published,
        tasks_cancelled=cancelled,
        tasks_filled=filled,
        fill_rate=_ratio(filled, published - cancelled),
        no_shows=no_shows,
        minors_share=_ratio(sum(1 for v in known if v.minor), len(known)),
        proposals_made=proposals["made"],
        proposals_accepted=proposals["accepted"],
        proposals_declined=proposals["declined"],
        proposals_expired=proposals["expired"],
        certificates_issued=certificates,
    )


def summary(state: State, filters: Filters) -> Figures:
    return figures(state, selected(items(state), filters))


def breakdown(state: State, filters: Filters, by: Dimension) -> list[dict[str, Any]]:
    """The figures per edition, district, branch, institution type or task type."""
    groups: dict[str | None, list[Item]] = defaultdict(list)
    for item in selected(items(state), filters):
        groups[item.dims[by]].append(item)
    rows = []
    for key in sorted(groups, key=lambda k: (k is None, sort_key(state, by, k))):
        label = row_label(state, by, key)
        rows.append({"key": key, "label": label, **figures(state, groups[key]).__dict__})
    return rows


def row_label(state: State, by: Dimension, key: str | None) -> str | None:
    """What a reader sees for a row's key: an edition's name, a district's Polish name."""
    if key is None:
        return None
    if by == "edition":
        return state.edition_label(uuid.UUID(key))
    if by == "district":
        return district_name(key)
    return key


def sort_key(state: State, by: Dimension, key: str | None) -> str:
    if by == "edition" and key:
        edition = state.editions.get(uuid.UUID(key))
        return f"{edition.year:04d}" if edition else key
    return key or ""


def timeseries(state: State, filters: Filters, period: Period) -> list[dict[str, Any]]:
    """Figures per week (starting Monday) or month, for every period with activity."""
    groups: dict[date, list[Item]] = defaultdict(list)
    for item in selected(items(state), filters):
        if item.day is not None:
            groups[period_start(item.day, period)].append(item)
    rows = []
    for start in sorted(groups):
        numbers = figures(state, groups[start])
        rows.append(
            {
                "period_start": start,
                "approved_hours": numbers.approved_hours,
                "volunteers_active": numbers.volunteers_active,
                "volunteers_recruited": numbers.volunteers_recruited,
                "tasks_published": numbers.tasks_published,
                "no_shows": numbers.no_shows,
            }
        )
    return rows


def retention(
    state: State, filters: Filters, by: Literal["edition", "month"]
) -> list[dict[str, Any]]:
    """Of the volunteers active in each edition or month, how many came back later."""
    active: dict[str, set[uuid.UUID]] = defaultdict(set)
    order: dict[str, str] = {}
    for item in selected(items(state), filters):
        if not isinstance(item.entity, HoursEntry) or item.day is None:
            continue
        if by == "edition":
            key = item.dims["edition"]
            if key is None:
                continue
            order[key] = sort_key(state, "edition", key) + key
        else:
            key = period_start(item.day, "month").isoformat()
            order[key] = key
        active[key].add(item.entity.volunteer_id)
    keys = sorted(active, key=lambda k: order[k])
    rows = []
    for index, key in enumerate(keys):
        later: set[uuid.UUID] = set().union(*(active[k] for k in keys[index + 1 :]))
        earlier: set[uuid.UUID] = set().union(*(active[k] for k in keys[:index]))
        cohort = active[key]
        rows.append(
            {
                "period": key,
                "label": state.edition_label(uuid.UUID(key)) if by == "edition" else key,
                "volunteers_active": len(cohort),
                "returning_from_earlier": len(cohort & earlier),
                "returned_later": len(cohort & later),
                "retention_rate": _ratio(len(cohort & later), len(cohort)),
            }
        )
    return rows


def messages(state: State) -> list[dict[str, Any]]:
    """Messages sent and failed per channel and template (no recipients, no wording)."""
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"sent": 0, "failed": 0})
    for message in state.messages:
        counts[(message.channel, message.template)][message.status] += 1
    return [
        {"channel": channel, "template": template, **numbers}
        for (channel, template), numbers in sorted(counts.items())
    ]
