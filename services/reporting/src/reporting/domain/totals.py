"""Totals per view cell, kept up to date by deltas: the dashboard reads them in one query.

A *cell* is one row a view can show: an edition (or every edition, ``*``; items outside
any edition have ``""``) crossed with one grouping: the whole edition (``all``), a
district, a branch, an institution type, a task type, a week or a month. Each item of
``views.items`` (an enrolment, a task, an assignment, approved hours, a proposal, a
certificate) *contributes* to 14 cells: its edition and ``*``, times those 7 groupings.

Sums (hours, tasks, no-shows, proposals, certificates) add up across items. Distinct
counts do not: a volunteer with two approved entries in one month is active once. So each
cell keeps its members (volunteers, enrolled branches) with the number of items that made
them members; a cell's count moves only when a member's number goes from 0 to 1 or back.
A fact changes an item's contribution from the old one to the new one, and applying
"minus the old, plus the new" is what the live consumer does; a duplicate or a late fact
that changes nothing contributes nothing. The rebuild sums every contribution at once,
with the same rules (``aggregate``), so both arrive at the same rows.

Share of minors: per cell, the members (recruited or active) whose profile is known, and
the minors among them. A profile arriving or changing moves the volunteer's cells.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from reporting.domain import views
from reporting.domain.entities import (
    Assignment,
    Certificate,
    Enrolment,
    HoursEntry,
    Proposal,
    Task,
    Volunteer,
)
from reporting.domain.views import (
    Dimension,
    Figures,
    Filters,
    Item,
    Period,
    State,
    period_start,
)

ALL_EDITIONS = "*"
NO_EDITION = ""
Grouping = Literal["all", "district", "branch", "institution_type", "task_type", "week", "month"]
GROUPINGS: tuple[Grouping, ...] = (
    "all",
    "district",
    "branch",
    "institution_type",
    "task_type",
    "week",
    "month",
)
Cell = tuple[str, str, str]
"""(edition, grouping, value); a missing value (an unknown district...) is ``""``."""

MEASURES: tuple[str, ...] = (
    "items",
    "approved_hours",
    "tasks_published",
    "tasks_cancelled",
    "tasks_filled",
    "no_shows",
    "proposals_made",
    "proposals_accepted",
    "proposals_declined",
    "proposals_expired",
    "certificates_issued",
)
Role = Literal["recruited", "active", "enrolled"]
ROLES: tuple[Role, ...] = ("recruited", "active", "enrolled")
COUNTERS: tuple[str, ...] = ("recruited", "active", "enrolled", "known", "minors")
"""Distinct members per cell: volunteers recruited and active, branches enrolled, and,
among the volunteers recruited or active, those with a known profile and the minors."""


@dataclass(frozen=True)
class Contribution:
    """What one item adds to the totals: its cells, its sums and the member it counts."""

    kind: str
    key: str
    branch_id: uuid.UUID
    task_id: uuid.UUID | None
    edition: str
    district: str
    branch: str
    institution_type: str
    task_type: str
    day: date | None
    role: Role | None
    member_id: uuid.UUID | None
    measures: tuple[int | Decimal, ...]
    """In the order of ``MEASURES``."""

    @property
    def address(self) -> tuple[str, str]:
        return (self.kind, self.key)

    def cells(self) -> list[Cell]:
        values: list[tuple[str, str]] = [
            ("all", ""),
            ("district", self.district),
            ("branch", self.branch),
            ("institution_type", self.institution_type),
            ("task_type", self.task_type),
        ]
        if self.day is not None:
            values.append(("week", period_start(self.day, "week").isoformat()))
            values.append(("month", period_start(self.day, "month").isoformat()))
        return [
            (edition, grouping, value)
            for edition in (self.edition, ALL_EDITIONS)
            for grouping, value in values
        ]


def contribution(state: State, item: Item) -> Contribution:
    """The item's contribution; ``state`` must hold its context (see ``views.item_of``)."""
    entity = item.entity
    counts: dict[str, int | Decimal] = {"items": 1}
    role: Role | None = None
    member: uuid.UUID | None = None
    task_id: uuid.UUID | None = None
    if not isinstance(entity, Enrolment | Task | Assignment | HoursEntry | Proposal | Certificate):
        raise TypeError(f"a {entity.kind} is not an item")
    match entity:
        case Enrolment():
            role, member = "enrolled", entity.branch_id
        case Task():
            task_id = entity.task_id
            counts["tasks_published"] = 1
            counts["tasks_cancelled"] = int(entity.cancelled)
            taken = state.taken_places().get(entity.task_id, 0)
            counts["tasks_filled"] = int(not entity.cancelled and taken >= entity.places)
        case Assignment():
            task_id = entity.task_id
            role, member = "recruited", entity.volunteer_id
            counts["no_shows"] = int(entity.status == "no_show")
        case HoursEntry():
            task_id = entity.task_id
            role, member = "active", entity.volunteer_id
            counts["approved_hours"] = entity.hours
        case Proposal():
            task_id = entity.task_id
            if entity.status != "made":
                counts[f"proposals_{entity.status}"] = 1
            counts["proposals_made"] = 1  # every proposal was made; an answer ends some
        case Certificate():
            counts["certificates_issued"] = 1
    return Contribution(
        kind=entity.kind,
        key=entity.key,
        branch_id=entity.branch_id,
        task_id=task_id,
        edition=item.dims["edition"] or NO_EDITION,
        district=item.dims["district"] or "",
        branch=item.dims["branch"] or "",
        institution_type=item.dims["institution_type"] or "",
        task_type=item.dims["task_type"] or "",
        day=item.day,
        role=role,
        member_id=member,
        measures=tuple(counts.get(name, 0) for name in MEASURES),
    )


@dataclass
class CellTotals:
    measures: list[int | Decimal] = field(default_factory=lambda: [0] * len(MEASURES))
    counters: list[int] = field(default_factory=lambda: [0] * len(COUNTERS))


@dataclass
class Totals:
    """Every cell's sums and counters, and each cell's members with their item counts."""

    cells: dict[Cell, CellTotals] = field(default_factory=dict)
    volunteers: dict[tuple[Cell, uuid.UUID], list[int]] = field(default_factory=dict)
    """(cell, volunteer) → [items recruiting them, approved entries]."""
    branches: dict[tuple[Cell, uuid.UUID], int] = field(default_factory=dict)


def profile(volunteer: Volunteer | None) -> tuple[int, int]:
    """(known, minor) as the share of minors counts them."""
    if volunteer is None or volunteer.minor is None:
        return (0, 0)
    return (1, int(volunteer.minor))


def aggregate(
    contributions: Iterable[Contribution], volunteers: dict[uuid.UUID, Volunteer]
) -> Totals:
    """The totals of all ``contributions`` at once (the rebuild; the live path by delta)."""
    cells: dict[Cell, CellTotals] = {}
    # Keyed by the ids' integers while counting: a UUID hashes in Python, an int in C.
    members: dict[tuple[Cell, int], list[int]] = {}
    branches: dict[tuple[Cell, int], int] = {}
    ids: dict[int, uuid.UUID] = {}
    for item in contributions:
        nonzero = [(index, value) for index, value in enumerate(item.measures) if value]
        item_cells = item.cells()
        for cell in item_cells:
            row = cells.get(cell)
            if row is None:
                row = cells[cell] = CellTotals()
            sums = row.measures
            for index, value in nonzero:
                sums[index] += value
        if item.member_id is None:
            continue
        member = item.member_id.int
        ids[member] = item.member_id
        if item.role == "enrolled":
            for cell in item_cells:
                branches[(cell, member)] = branches.get((cell, member), 0) + 1
            continue
        role = int(item.role == "active")
        for cell in item_cells:
            counts = members.get((cell, member))
            if counts is None:
                counts = members[(cell, member)] = [0, 0]
            counts[role] += 1
    for cell, _ in branches:
        cells[cell].counters[2] += 1
    profiles = {v.int: profile(p) for v, p in volunteers.items()}
    for (cell, volunteer), (recruiting, active) in members.items():
        counters = cells[cell].counters
        counters[0] += recruiting > 0
        counters[1] += active > 0
        known, minor = profiles.get(volunteer, (0, 0))
        counters[3] += known
        counters[4] += minor
    return Totals(
        cells=cells,
        volunteers={(cell, ids[v]): counts for (cell, v), counts in members.items()},
        branches={(cell, ids[b]): count for (cell, b), count in branches.items()},
    )


@dataclass
class Delta:
    """What replacing one contribution by another changes: sums per cell, and the number
    of items that make each member a member of each cell."""

    measures: dict[Cell, list[int | Decimal]] = field(default_factory=dict)
    volunteers: dict[tuple[Cell, uuid.UUID], list[int]] = field(default_factory=dict)
    """(cell, volunteer) → [change in items recruiting them, change in approved entries]."""
    branches: dict[tuple[Cell, uuid.UUID], int] = field(default_factory=dict)

    def add(self, item: Contribution | None, sign: int) -> None:
        if item is None:
            return
        for cell in item.cells():
            sums = self.measures.setdefault(cell, [0] * len(MEASURES))
            for index, value in enumerate(item.measures):
                sums[index] += sign * value
            if item.member_id is None:
                continue
            if item.role == "enrolled":
                address = (cell, item.member_id)
                self.branches[address] = self.branches.get(address, 0) + sign
            else:
                counts = self.volunteers.setdefault((cell, item.member_id), [0, 0])
                counts[item.role == "active"] += sign

    def prune(self) -> Delta:
        """Without the entries that do not change anything (sorted: rows are locked in
        one order by every transaction)."""
        self.measures = {c: m for c, m in sorted(self.measures.items()) if any(m)}
        self.volunteers = {a: v for a, v in sorted(self.volunteers.items()) if any(v)}
        self.branches = {a: b for a, b in sorted(self.branches.items()) if b}
        return self


def delta(changes: Iterable[tuple[Contribution | None, Contribution | None]]) -> Delta:
    """Minus each old contribution, plus its new one."""
    result = Delta()
    for old, new in changes:
        if old != new:
            result.add(old, -1)
            result.add(new, +1)
    return result.prune()


def member_transition(before: list[int], after: list[int]) -> list[int]:
    """How a cell's counters move when a volunteer's item counts go from before to after:
    [recruited, active, member (recruited or active)], each -1, 0 or +1."""
    was = [int(before[0] > 0), int(before[1] > 0), int(any(n > 0 for n in before))]
    now = [int(after[0] > 0), int(after[1] > 0), int(any(n > 0 for n in after))]
    return [n - w for n, w in zip(now, was, strict=True)]


def apply(totals: Totals, change: Delta, volunteers: dict[uuid.UUID, Volunteer]) -> None:
    """``change`` applied in memory, as the live consumer applies it in the database."""
    for cell, sums in change.measures.items():
        row = totals.cells.setdefault(cell, CellTotals())
        row.measures = [a + b for a, b in zip(row.measures, sums, strict=True)]
    for address, counts in change.volunteers.items():
        before = totals.volunteers.get(address, [0, 0])
        after = [a + b for a, b in zip(before, counts, strict=True)]
        recruited, active, member = member_transition(before, after)
        known, minor = profile(volunteers.get(address[1]))
        counters = totals.cells.setdefault(address[0], CellTotals()).counters
        counters[0] += recruited
        counters[1] += active
        counters[3] += member * known
        counters[4] += member * minor
        if any(after):
            totals.volunteers[address] = after
        else:
            totals.volunteers.pop(address, None)
    for address, count in change.branches.items():
        before_count = totals.branches.get(address, 0)
        after_count = before_count + count
        totals.cells.setdefault(address[0], CellTotals()).counters[2] += int(after_count > 0) - int(
            before_count > 0
        )
        if after_count:
            totals.branches[address] = after_count
        else:
            totals.branches.pop(address, None)
    totals.cells = {c: row for c, row in totals.cells.items() if row.measures[0]}


def profile_changed(
    totals: Totals, volunteer_id: uuid.UUID, before: Volunteer | None, after: Volunteer
) -> None:
    """A profile arrived or changed: every cell the volunteer is a member of follows."""
    known_before, minor_before = profile(before)
    known_after, minor_after = profile(after)
    for (cell, member), _ in totals.volunteers.items():
        if member == volunteer_id:
            counters = totals.cells[cell].counters
            counters[3] += known_after - known_before
            counters[4] += minor_after - minor_before


def figures(row: CellTotals | None, *, enrolled_from: CellTotals | None = None) -> Figures:
    """A cell's figures, as ``views.figures`` computes them from the cell's items.

    ``enrolled_from``: the cell whose enrolled branches count (a summary filtered by task
    type counts every enrolled branch: an enrolment has no task type).
    """
    row = row or CellTotals()
    sums = dict(zip(MEASURES, row.measures, strict=True))
    counters = dict(zip(COUNTERS, row.counters, strict=True))
    published, cancelled, filled = (
        int(sums["tasks_published"]),
        int(sums["tasks_cancelled"]),
        int(sums["tasks_filled"]),
    )
    return Figures(
        branches_enrolled=(enrolled_from or row).counters[2],
        volunteers_recruited=counters["recruited"],
        volunteers_active=counters["active"],
        approved_hours=views.plain(Decimal(sums["approved_hours"])),
        tasks_published=published,
        tasks_cancelled=cancelled,
        tasks_filled=filled,
        fill_rate=_ratio(filled, published - cancelled),
        no_shows=int(sums["no_shows"]),
        minors_share=_ratio(counters["minors"], counters["known"]),
        proposals_made=int(sums["proposals_made"]),
        proposals_accepted=int(sums["proposals_accepted"]),
        proposals_declined=int(sums["proposals_declined"]),
        proposals_expired=int(sums["proposals_expired"]),
        certificates_issued=int(sums["certificates_issued"]),
    )


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# -- which questions the totals answer -----------------------------------------------------

FILTER_GROUPINGS: tuple[Grouping, ...] = ("district", "branch", "institution_type", "task_type")


@dataclass(frozen=True)
class Question:
    """A view question in terms of cells: which edition, which grouping, which value."""

    edition: str | None
    """An edition's id, ``*`` for every edition together, ``None``: one row per edition."""
    grouping: Grouping
    value: str | None
    """One value of the grouping (``None``: every value, one row each)."""
    enrolled_from_all: bool = False


def _dimension_filters(filters: Filters) -> dict[Grouping, str]:
    chosen: dict[Grouping, str | None] = {
        "district": filters.district,
        "branch": filters.branch,
        "institution_type": filters.institution_type,
        "task_type": filters.task_type,
    }
    return {name: value for name, value in chosen.items() if value is not None}


def _edition(filters: Filters) -> str:
    return str(filters.edition_id) if filters.edition_id else ALL_EDITIONS


def summary_question(filters: Filters) -> Question | None:
    """The cell a summary reads, or None when the totals cannot answer (a date range, a
    reader's branch scope, two filters at once)."""
    if filters.scope is not None or filters.date_from or filters.date_to:
        return None
    chosen = _dimension_filters(filters)
    if len(chosen) > 1:
        return None
    if not chosen:
        return Question(_edition(filters), "all", "")
    ((grouping, value),) = chosen.items()
    return Question(_edition(filters), grouping, value, enrolled_from_all=grouping == "task_type")


def breakdown_question(filters: Filters, by: Dimension) -> Question | None:
    """The cells a breakdown reads (one row per cell), or None (see ``summary_question``).

    A reader's branch scope is answered for the breakdown by branch: its rows are the
    branches, the scope only drops some.
    """
    if filters.date_from or filters.date_to:
        return None
    if filters.scope is not None and by != "branch":
        return None
    chosen = _dimension_filters(filters)
    if by == "edition":
        if chosen:
            return None
        if filters.edition_id:
            return Question(_edition(filters), "all", "")
        return Question(None, "all", "")
    grouping: Grouping = by
    if not chosen:
        return Question(_edition(filters), grouping, None)
    # Filtered by task type, enrolments would still come as a row of their own.
    if set(chosen) == {grouping} and grouping != "task_type":
        return Question(_edition(filters), grouping, chosen[grouping])
    return None


def timeseries_question(filters: Filters, period: Period) -> Question | None:
    if filters.scope is not None or filters.date_from or filters.date_to:
        return None
    if _dimension_filters(filters):
        return None
    return Question(_edition(filters), period, None)


def answer_summary(question: Question, rows: dict[Cell, CellTotals]) -> Figures:
    assert question.edition is not None and question.value is not None
    cell = (question.edition, question.grouping, question.value)
    if question.enrolled_from_all:
        whole = rows.get((question.edition, "all", "")) or CellTotals()
        return figures(rows.get(cell), enrolled_from=whole)
    return figures(rows.get(cell))


def answer_breakdown(
    question: Question, rows: dict[Cell, CellTotals], by: Dimension, state: State, filters: Filters
) -> list[dict[str, Any]]:
    """The breakdown's rows, as ``views.breakdown`` gives them; ``state`` holds the editions."""
    groups: dict[str | None, CellTotals] = {}
    for (edition, grouping, value), row in rows.items():
        if grouping != question.grouping or row.measures[0] == 0:
            continue
        if question.edition is None:
            if edition == ALL_EDITIONS:
                continue
            key = edition or None
        else:
            if edition != question.edition or (
                question.value is not None and value != question.value
            ):
                continue
            key = (str(filters.edition_id) if by == "edition" else value) or None
        if filters.scope is not None and key not in filters.scope:
            continue
        groups[key] = row
    result = []
    for key in sorted(groups, key=lambda k: (k is None, views.sort_key(state, by, k))):
        label = views.row_label(state, by, key)
        result.append({"key": key, "label": label, **figures(groups[key]).__dict__})
    return result


def answer_timeseries(question: Question, rows: dict[Cell, CellTotals]) -> list[dict[str, Any]]:
    result = []
    for (edition, grouping, value), row in sorted(rows.items()):
        if edition != question.edition or grouping != question.grouping or row.measures[0] == 0:
            continue
        numbers = figures(row)
        result.append(
            {
                "period_start": date.fromisoformat(value),
                "approved_hours": numbers.approved_hours,
                "volunteers_active": numbers.volunteers_active,
                "volunteers_recruited": numbers.volunteers_recruited,
                "tasks_published": numbers.tasks_published,
                "no_shows": numbers.no_shows,
            }
        )
    return result


# -- questions the cells do not answer: a selection of the contributions ------------------

SelectionGrouping = Literal[
    "all", "edition", "district", "branch", "institution_type", "task_type", "week", "month"
]
SELECTION = ALL_EDITIONS
"""The edition of a selection's cells: its rows are read as cells of their own."""


def selection_cells(
    grouping: SelectionGrouping, rows: Mapping[str, CellTotals]
) -> dict[Cell, CellTotals]:
    """A selection's rows (one per value of ``grouping``) as the cells the answers read."""
    if grouping == "edition":
        return {(edition, "all", ""): row for edition, row in rows.items()}
    return {(SELECTION, grouping, value): row for value, row in rows.items()}


def selection_summary(cells: dict[Cell, CellTotals]) -> Figures:
    return figures(cells.get((SELECTION, "all", "")))


def selection_breakdown(
    cells: dict[Cell, CellTotals], by: Dimension, state: State, filters: Filters
) -> list[dict[str, Any]]:
    """``state`` holds the editions; the reader's scope was applied by the selection."""
    question = Question(None, "all", "") if by == "edition" else Question(SELECTION, by, None)
    return answer_breakdown(question, cells, by, state, replace(filters, scope=None))


def selection_timeseries(cells: dict[Cell, CellTotals], period: Period) -> list[dict[str, Any]]:
    return answer_timeseries(Question(SELECTION, period, None), cells)
