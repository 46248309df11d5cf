"""The totals in the database (rules in domain/totals.py): kept by delta in the transaction
of each fact, written in bulk by the rebuild, read by the views in one query.

Concurrent facts: an item's contribution is derived from its context (its branch, the
branch's enrolments, the editions, its task, the volunteer's profile), and a fact that
changes the context derives the items that depend on it again. Two transactions must not
each miss the other's change, so they take transaction-scoped advisory locks: a fact that
changes a context takes the totals exclusively (such facts are rare: editions, branches,
enrolments, tasks, profiles); a fact about an item takes them shared, so the stream of
hours never waits on itself, and the task when it decides whether the task is filled.
Counts move by row-level upserts whose returned values say whether a member came or went.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from reporting.domain import totals, views
from reporting.domain.entities import (
    ENTITY_TYPES,
    Assignment,
    Branch,
    Certificate,
    Edition,
    Enrolment,
    Entity,
    HoursEntry,
    Message,
    Proposal,
    Task,
    Volunteer,
)
from reporting.domain.totals import (
    COUNTERS,
    MEASURES,
    ROLES,
    Cell,
    CellTotals,
    Contribution,
    Delta,
    Question,
    SelectionGrouping,
)
from reporting.domain.views import Filters, State
from reporting.tables import Contribution as ContributionRow
from reporting.tables import MessageTotal, Total, TotalBranch, TotalVolunteer

TOTALS = Total.__table__  # type: ignore[attr-defined]
CONTRIBUTIONS = ContributionRow.__table__  # type: ignore[attr-defined]
MEMBERS = TotalVolunteer.__table__  # type: ignore[attr-defined]
BRANCH_MEMBERS = TotalBranch.__table__  # type: ignore[attr-defined]
MESSAGES = MessageTotal.__table__  # type: ignore[attr-defined]
CELL_COLUMNS = ("edition", "grouped_by", "value")
ITEM_KINDS = (Enrolment, Task, Assignment, HoursEntry, Proposal, Certificate)

Change = tuple[Entity | None, Entity]
"""A snapshot before and after a fact was merged into it."""


async def _lock(connection: AsyncConnection, name: str, *, shared: bool = False) -> None:
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    await connection.execute(
        text(f"SELECT {function}(hashtextextended(:name, 0))"), {"name": f"reporting:{name}"}
    )


async def follow(connection: AsyncConnection, changes: Sequence[Change]) -> None:
    """Bring the totals in step with snapshots a fact just changed."""
    changed = [(before, after) for before, after in changes if before != after]
    if not changed:
        return
    items: set[tuple[str, str]] = set()
    branches: set[uuid.UUID] = set()  # their items are derived again
    tasks: set[uuid.UUID] = set()  # their items are derived again
    filled: set[uuid.UUID] = set()  # tasks whose places are counted again
    editions: set[uuid.UUID] = set()
    profiles: list[tuple[Volunteer | None, Volunteer]] = []
    volunteers: set[uuid.UUID] = set()
    for before, after in changed:
        match after:
            case Edition():
                editions.add(after.edition_id)
            case Branch():
                branches.add(after.branch_id)
            case Enrolment():
                branches.add(after.branch_id)
                items.add((after.kind, after.key))
            case Task():
                tasks.add(after.task_id)
                items.add((after.kind, after.key))
            case Assignment() | HoursEntry() | Proposal() | Certificate():
                items.add((after.kind, after.key))
                if isinstance(after, Assignment):
                    filled.add(after.task_id)
                    items.add(("task", str(after.task_id)))
                if isinstance(after, Assignment | HoursEntry):
                    volunteers.add(after.volunteer_id)
            case Volunteer():
                assert before is None or isinstance(before, Volunteer)
                if totals.profile(before) != totals.profile(after):  # not an erasure
                    profiles.append((before, after))
                    volunteers.add(after.volunteer_id)
            case Message():
                assert before is None or isinstance(before, Message)
                await _count_message(connection, before, after)
    if not (items or branches or tasks or editions or profiles):
        return

    context_changed = bool(editions or branches or tasks or profiles)
    await _lock(connection, "totals", shared=not context_changed)
    for task_id in sorted(filled):
        await _lock(connection, f"task:{task_id}")
    if editions:
        branches |= await _enrolled_branches(connection, editions)
    stored = await _stored_contributions(connection, items, branches, tasks)
    volunteers |= {c.member_id for c in stored.values() if c.member_id and c.role != "enrolled"}

    addresses = items | stored.keys()
    entities, state = await _context(
        connection, addresses, (after for _, after in changed), stored.values(), volunteers
    )
    new: dict[tuple[str, str], Contribution] = {}
    for address in addresses:
        entity = entities.get(address)
        item = views.item_of(state, entity) if entity is not None else None
        if item is not None:
            new[address] = totals.contribution(state, item)
    change = totals.delta((stored.get(a), new.get(a)) for a in addresses)
    await _write_contributions(connection, stored, new)
    counters: dict[Cell, list[int]] = defaultdict(lambda: [0] * len(COUNTERS))
    for before_profile, after_profile in profiles:
        await _profile_moves(connection, before_profile, after_profile, counters)
    await _apply_members(connection, change, state.volunteers, counters)
    await _apply_totals(connection, change.measures, counters)


async def _count_message(
    connection: AsyncConnection, before: Message | None, after: Message
) -> None:
    change: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"sent": 0, "failed": 0})
    if before is not None:
        change[(before.channel, before.template)][before.status] -= 1
    change[(after.channel, after.template)][after.status] += 1
    for (channel, template), counts in sorted(change.items()):
        if not any(counts.values()):
            continue
        statement = insert(MESSAGES).values(channel=channel, template=template, **counts)
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=["channel", "template"],
                set_={n: MESSAGES.c[n] + statement.excluded[n] for n in ("sent", "failed")},
            )
        )


async def asyncpg_connection(connection: AsyncConnection) -> asyncpg.Connection:
    """The session's own asyncpg connection: the hot statements are plain SQL over arrays
    (``unnest``), prepared once, not built and compiled per fact. The session has begun
    its transaction by then (asyncpg's is begun by the first statement through it)."""
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    return driver


async def _enrolled_branches(
    connection: AsyncConnection, editions: set[uuid.UUID]
) -> set[uuid.UUID]:
    rows = await (await asyncpg_connection(connection)).fetch(
        "SELECT DISTINCT data->>'branch_id' FROM reporting.snapshots "
        "WHERE kind = 'enrolment' AND data->>'edition_id' = ANY($1::text[])",
        [str(e) for e in editions],
    )
    return {uuid.UUID(row[0]) for row in rows}


CONTRIBUTION_COLUMNS = (
    "kind",
    "key",
    "branch_id",
    "task_id",
    "edition",
    "district",
    "branch",
    "institution_type",
    "task_type",
    "day",
    "role",
    "member_id",
    *MEASURES,
)
CONTRIBUTION_TYPES = (
    "text", "text", "uuid", "uuid", "text", "text", "text", "text", "text", "date", "text",
    "uuid", "int", "numeric", *["int"] * (len(MEASURES) - 2),
)  # fmt: skip
_CONTRIBUTIONS_SELECT = f"SELECT {', '.join(CONTRIBUTION_COLUMNS)} FROM reporting.contributions "


async def _stored_contributions(
    connection: AsyncConnection,
    items: set[tuple[str, str]],
    branches: set[uuid.UUID],
    tasks: set[uuid.UUID],
) -> dict[tuple[str, str], Contribution]:
    driver = await asyncpg_connection(connection)
    rows: list[asyncpg.Record] = []
    if items:
        ordered = sorted(items)
        rows += await driver.fetch(
            _CONTRIBUTIONS_SELECT
            + "WHERE (kind, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
            [kind for kind, _ in ordered],
            [key for _, key in ordered],
        )
    if branches:
        rows += await driver.fetch(
            _CONTRIBUTIONS_SELECT + "WHERE branch_id = ANY($1::uuid[])", sorted(branches)
        )
    if tasks:
        rows += await driver.fetch(
            _CONTRIBUTIONS_SELECT + "WHERE task_id = ANY($1::uuid[])", sorted(tasks)
        )
    return {(row["kind"], row["key"]): _contribution(row) for row in rows}


def _contribution(row: Any) -> Contribution:
    return Contribution(
        kind=row["kind"],
        key=row["key"],
        branch_id=row["branch_id"],
        task_id=row["task_id"],
        edition=row["edition"],
        district=row["district"],
        branch=row["branch"],
        institution_type=row["institution_type"],
        task_type=row["task_type"],
        day=row["day"],
        role=row["role"],
        member_id=row["member_id"],
        measures=tuple(row[name] for name in MEASURES),
    )


def _contribution_values(item: Contribution) -> tuple[Any, ...]:
    return (
        item.kind,
        item.key,
        item.branch_id,
        item.task_id,
        item.edition,
        item.district,
        item.branch,
        item.institution_type,
        item.task_type,
        item.day,
        item.role,
        item.member_id,
        *item.measures,
    )


_SNAPSHOTS = "SELECT kind, key, data::text FROM reporting.snapshots WHERE "
_CONTEXT = " UNION ALL ".join(
    _SNAPSHOTS + condition
    for condition in (
        "(kind, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
        "kind = 'edition'",
        "kind = 'branch' AND key = ANY($3::text[])",
        "kind = 'enrolment' AND data->>'branch_id' = ANY($3::text[])",
        "kind = 'task' AND key = ANY($4::text[])",
        "kind = 'assignment' AND data->>'task_id' = ANY($5::text[])",
        "kind = 'volunteer' AND key = ANY($6::text[])",
    )
)


async def _context(
    connection: AsyncConnection,
    addresses: set[tuple[str, str]],
    changed: Iterable[Entity],
    stored: Iterable[Contribution],
    volunteers: set[uuid.UUID],
) -> tuple[dict[tuple[str, str], Entity], State]:
    """The items' snapshots and what deriving them reads, in one query: their branches,
    the branches' enrolments, every edition, their tasks (and, for a task, its
    assignments), the volunteers' profiles."""
    branch_ids = {c.branch_id for c in stored}
    task_ids = {c.task_id for c in stored if c.task_id}
    for entity in changed:
        if isinstance(entity, ITEM_KINDS):
            branch_ids.add(entity.branch_id)
        if isinstance(entity, Assignment | HoursEntry | Proposal | Task):
            task_ids.add(entity.task_id)
    ordered = sorted(addresses)
    rows = await (await asyncpg_connection(connection)).fetch(
        _CONTEXT,
        [kind for kind, _ in ordered],
        [key for _, key in ordered],
        sorted(str(b) for b in branch_ids),
        sorted(str(t) for t in task_ids),
        sorted(key for kind, key in addresses if kind == "task"),
        sorted(str(v) for v in volunteers),
    )
    found: dict[tuple[str, str], Entity] = {}
    for kind, key, data in rows:
        if (kind, key) not in found:
            found[(kind, key)] = ENTITY_TYPES[kind].model_validate_json(data)
    return found, State.of(found.values())


async def _write_contributions(
    connection: AsyncConnection,
    stored: dict[tuple[str, str], Contribution],
    new: dict[tuple[str, str], Contribution],
) -> None:
    driver = await asyncpg_connection(connection)
    gone = sorted(a for a in stored if a not in new)
    if gone:
        await driver.execute(
            "DELETE FROM reporting.contributions "
            "WHERE (kind, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
            [kind for kind, _ in gone],
            [key for _, key in gone],
        )
    changed = [_contribution_values(new[a]) for a in sorted(new) if stored.get(a) != new[a]]
    if changed:
        await driver.execute(
            _upsert(
                "contributions",
                CONTRIBUTION_COLUMNS,
                CONTRIBUTION_TYPES,
                key=("kind", "key"),
                set_="{0} = excluded.{0}",
            ),
            *_columns(changed, len(CONTRIBUTION_COLUMNS)),
        )


def _upsert(
    table: str,
    columns: Sequence[str],
    types: Sequence[str],
    *,
    key: Sequence[str],
    set_: str,
    returning: str = "",
) -> str:
    """INSERT the rows of arrays ($1, $2...: one per column) in their order, or update."""
    arrays = ", ".join(f"${n}::{t}[]" for n, t in enumerate(types, start=1))
    updates = ", ".join(set_.format(c, table) for c in columns if c not in key)
    return (
        f"INSERT INTO reporting.{table} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
        + (f" RETURNING {returning}" if returning else "")
    )


def _columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    return [[row[n] for row in rows] for n in range(width)]


async def _profile_moves(
    connection: AsyncConnection,
    before: Volunteer | None,
    after: Volunteer,
    counters: dict[Cell, list[int]],
) -> None:
    """A profile arrived or changed: the known and minor counts of its cells follow."""
    known_before, minor_before = totals.profile(before)
    known_after, minor_after = totals.profile(after)
    if (known_before, minor_before) == (known_after, minor_after):
        return
    rows = await (await asyncpg_connection(connection)).fetch(
        "SELECT edition, grouped_by, value FROM reporting.total_volunteers WHERE volunteer_id = $1",
        after.volunteer_id,
    )
    for edition, grouped_by, value in rows:
        moved = counters[(edition, grouped_by, value)]
        moved[3] += known_after - known_before
        moved[4] += minor_after - minor_before


CELL_TYPES = ("text", "text", "text")
_MEMBERS_UPSERT = _upsert(
    "total_volunteers",
    (*CELL_COLUMNS, "volunteer_id", "recruiting", "active"),
    (*CELL_TYPES, "uuid", "int", "int"),
    key=("volunteer_id", *CELL_COLUMNS),
    set_="{0} = {1}.{0} + excluded.{0}",
    returning="edition, grouped_by, value, volunteer_id, recruiting, active",
)
_BRANCHES_UPSERT = _upsert(
    "total_branches",
    (*CELL_COLUMNS, "branch_id", "enrolments"),
    (*CELL_TYPES, "uuid", "int"),
    key=("branch_id", *CELL_COLUMNS),
    set_="{0} = {1}.{0} + excluded.{0}",
    returning="edition, grouped_by, value, branch_id, enrolments",
)
_TOTALS_UPSERT = _upsert(
    "totals",
    (*CELL_COLUMNS, *MEASURES, *COUNTERS),
    (*CELL_TYPES, "int", "numeric", *["int"] * (len(MEASURES) - 2), *["int"] * len(COUNTERS)),
    key=CELL_COLUMNS,
    set_="{0} = {1}.{0} + excluded.{0}",
    returning="edition, grouped_by, value, items",
)


def _delete_where(table: str, columns: Sequence[str], types: Sequence[str]) -> str:
    arrays = ", ".join(f"${n}::{t}[]" for n, t in enumerate(types, start=1))
    return (
        f"DELETE FROM reporting.{table} WHERE ({', '.join(columns)}) IN "
        f"(SELECT * FROM unnest({arrays}))"
    )


async def _apply_members(
    connection: AsyncConnection,
    change: Delta,
    profiles: dict[uuid.UUID, Volunteer],
    counters: dict[Cell, list[int]],
) -> None:
    """Members' item counts by delta; a cell's counts move when a count leaves or reaches 0."""
    driver = await asyncpg_connection(connection)
    if change.volunteers:
        rows = await driver.fetch(
            _MEMBERS_UPSERT,
            *_columns([(*cell, v, r, a) for (cell, v), (r, a) in change.volunteers.items()], 6),
        )
        emptied = []
        for edition, grouped_by, value, volunteer, recruiting, active in rows:
            cell = (edition, grouped_by, value)
            moved = change.volunteers[(cell, volunteer)]
            after = [recruiting, active]
            before = [after[0] - moved[0], after[1] - moved[1]]
            recruited_move, active_move, member_move = totals.member_transition(before, after)
            known, minor = totals.profile(profiles.get(volunteer))
            cell_counters = counters[cell]
            cell_counters[0] += recruited_move
            cell_counters[1] += active_move
            cell_counters[3] += member_move * known
            cell_counters[4] += member_move * minor
            if not any(after):
                emptied.append((*cell, volunteer))
        if emptied:
            await driver.execute(
                _delete_where(
                    "total_volunteers", (*CELL_COLUMNS, "volunteer_id"), (*CELL_TYPES, "uuid")
                ),
                *_columns(emptied, 4),
            )
    if change.branches:
        rows = await driver.fetch(
            _BRANCHES_UPSERT,
            *_columns([(*cell, b, n) for (cell, b), n in change.branches.items()], 5),
        )
        emptied = []
        for edition, grouped_by, value, branch_id, enrolments in rows:
            cell = (edition, grouped_by, value)
            before = enrolments - change.branches[(cell, branch_id)]
            counters[cell][2] += int(enrolments > 0) - int(before > 0)
            if enrolments == 0:
                emptied.append((*cell, branch_id))
        if emptied:
            await driver.execute(
                _delete_where(
                    "total_branches", (*CELL_COLUMNS, "branch_id"), (*CELL_TYPES, "uuid")
                ),
                *_columns(emptied, 4),
            )


async def _apply_totals(
    connection: AsyncConnection,
    measures: dict[Cell, list[int | Decimal]],
    counters: dict[Cell, list[int]],
) -> None:
    cells = sorted(measures.keys() | {c for c, moved in counters.items() if any(moved)})
    if not cells:
        return
    zero_measures = [0] * len(MEASURES)
    zero_counters = [0] * len(COUNTERS)
    rows = [
        (*cell, *measures.get(cell, zero_measures), *counters.get(cell, zero_counters))
        for cell in cells
    ]
    driver = await asyncpg_connection(connection)
    returned = await driver.fetch(
        _TOTALS_UPSERT, *_columns(rows, len(CELL_COLUMNS) + len(MEASURES) + len(COUNTERS))
    )
    emptied = [tuple(row[:3]) for row in returned if not row["items"]]
    if emptied:
        await driver.execute(
            _delete_where("totals", CELL_COLUMNS, CELL_TYPES), *_columns(emptied, 3)
        )


# -- the rebuild ---------------------------------------------------------------------------


async def write_all(connection: AsyncConnection, state: State) -> None:
    """Every contribution and total of ``state``, in bulk (the tables were emptied).

    The contributions are derived in Python by the live path's own rules; the cells are
    summed from them in the database (the 14 cells of an item as ``Contribution.cells``
    names them), which is many times faster than in Python at a million items. The
    rebuild tests hold both to the same rows.
    """
    contributions = (totals.contribution(state, item) for item in views.items(state))
    await copy_rows(
        connection,
        "contributions",
        list(CONTRIBUTION_COLUMNS),
        (_contribution_values(c) for c in contributions),
    )
    driver = await asyncpg_connection(connection)
    for statement in _SUM_CELLS:
        await driver.execute(statement)
    await copy_rows(
        connection,
        "message_totals",
        ["channel", "template", "sent", "failed"],
        (list(row.values()) for row in views.messages(state)),
    )


_EXPANDED = """
CREATE TEMPORARY TABLE expanded ON COMMIT DROP AS
SELECT cell.edition COLLATE "C" AS edition, cell.grouped_by COLLATE "C" AS grouped_by,
       cell.value COLLATE "C" AS value, c.role, c.member_id,
       {measures}
FROM reporting.contributions c
CROSS JOIN LATERAL (
    SELECT e.edition, g.grouped_by, g.value
    FROM (VALUES (c.edition), ('*')) AS e(edition)
    CROSS JOIN (VALUES
        ('all', ''),
        ('district', c.district),
        ('branch', c.branch),
        ('institution_type', c.institution_type),
        ('task_type', c.task_type),
        ('week', to_char(c.day - (extract(isodow FROM c.day)::int - 1), 'YYYY-MM-DD')),
        ('month', to_char(date_trunc('month', c.day::timestamp), 'YYYY-MM-DD'))
    ) AS g(grouped_by, value)
    WHERE g.value IS NOT NULL
) AS cell
""".format(measures=", ".join(f"c.{m}" for m in MEASURES))
_SUM_CELLS = (
    _EXPANDED,
    "INSERT INTO reporting.totals (edition, grouped_by, value, {m}) "
    "SELECT edition, grouped_by, value, {sums} FROM expanded "
    "GROUP BY edition, grouped_by, value".format(
        m=", ".join(MEASURES), sums=", ".join(f"sum({m})" for m in MEASURES)
    ),
    # In the order of the primary key: the index grows at its end.
    "INSERT INTO reporting.total_volunteers "
    "(volunteer_id, edition, grouped_by, value, recruiting, active) "
    "SELECT member_id, edition, grouped_by, value, "
    "count(*) FILTER (WHERE role = 'recruited'), count(*) FILTER (WHERE role = 'active') "
    "FROM expanded WHERE role IN ('recruited', 'active') "
    "GROUP BY member_id, edition, grouped_by, value "
    "ORDER BY member_id, edition, grouped_by, value",
    "INSERT INTO reporting.total_branches "
    "(branch_id, edition, grouped_by, value, enrolments) "
    "SELECT member_id, edition, grouped_by, value, count(*) FROM expanded "
    "WHERE role = 'enrolled' GROUP BY member_id, edition, grouped_by, value",
    "DROP TABLE expanded",
    """
UPDATE reporting.totals t
SET recruited = m.recruited, active = m.active, known = m.known, minors = m.minors
FROM (
    SELECT v.edition, v.grouped_by, v.value,
           count(*) FILTER (WHERE v.recruiting > 0) AS recruited,
           count(*) FILTER (WHERE v.active > 0) AS active,
           count(p.minor) AS known,
           count(*) FILTER (WHERE p.minor) AS minors
    FROM reporting.total_volunteers v
    LEFT JOIN (
        SELECT key::uuid AS volunteer_id, (data->>'minor')::boolean AS minor
        FROM reporting.snapshots WHERE kind = 'volunteer'
    ) p ON p.volunteer_id = v.volunteer_id
    GROUP BY v.edition, v.grouped_by, v.value
) m
WHERE (t.edition, t.grouped_by, t.value) = (m.edition, m.grouped_by, m.value)
""",
    """
UPDATE reporting.totals t SET enrolled = b.enrolled
FROM (
    SELECT edition, grouped_by, value, count(*) AS enrolled
    FROM reporting.total_branches GROUP BY edition, grouped_by, value
) b
WHERE (t.edition, t.grouped_by, t.value) = (b.edition, b.grouped_by, b.value)
""",
)


async def copy_rows(
    connection: AsyncConnection, table: str, columns: list[str], records: Iterable[Sequence[Any]]
) -> None:
    """Rows into a table of reporting's schema with COPY, in the session's transaction."""
    rows = [tuple(record) for record in records]
    if rows:
        await (await asyncpg_connection(connection)).copy_records_to_table(
            table, schema_name="reporting", columns=columns, records=rows
        )


async def empty(connection: AsyncConnection) -> None:
    for table in (CONTRIBUTIONS, TOTALS, MEMBERS, BRANCH_MEMBERS, MESSAGES):
        await connection.execute(table.delete())


# -- reading -------------------------------------------------------------------------------


_TOTALS_SELECT = (
    f"SELECT {', '.join((*CELL_COLUMNS, *MEASURES, *COUNTERS))} FROM reporting.totals "
    "WHERE grouped_by = $1 AND (edition = $2 OR ($2 IS NULL AND edition <> '*')) "
    "AND (value = $3 OR $3 IS NULL) "
    "OR ($4 AND edition = $2 AND grouped_by = 'all' AND value = '')"
)


async def read_cells(connection: AsyncConnection, question: Question) -> dict[Cell, CellTotals]:
    """The rows a question reads (and, for a summary by task type, the edition's whole)."""
    rows = await (await asyncpg_connection(connection)).fetch(
        _TOTALS_SELECT,
        question.grouping,
        question.edition,
        question.value,
        question.enrolled_from_all,
    )
    width = len(MEASURES)
    return {
        (row[0], row[1], row[2]): CellTotals(
            measures=list(row[3 : 3 + width]), counters=list(row[3 + width :])
        )
        for row in rows
    }


# -- a selection of the contributions: what the cells do not answer -------------------------

_SELECTION_GROUPS: dict[str, str] = {
    "all": "''",
    "edition": "edition",
    "district": "district",
    "branch": "branch",
    "institution_type": "institution_type",
    "task_type": "task_type",
    "week": "to_char(date_trunc('week', day), 'YYYY-MM-DD')",
    "month": "to_char(date_trunc('month', day), 'YYYY-MM-DD')",
}


def _selection_conditions(filters: Filters) -> tuple[list[str], list[Any]]:
    """``views.selected`` as SQL over the contributions, with its arguments."""
    conditions: list[str] = []
    arguments: list[Any] = []

    def argument(value: Any) -> str:
        arguments.append(value)
        return f"${len(arguments)}"

    if filters.edition_id is not None:
        conditions.append(f"edition = {argument(str(filters.edition_id))}")
    for column in ("district", "branch", "institution_type"):
        value = getattr(filters, column)
        if value is not None:
            conditions.append(f"{column} = {argument(value)}")
    if filters.task_type is not None:
        # An enrolment has no task type: it stays in a selection by task type.
        conditions.append(f"(task_type = {argument(filters.task_type)} OR role = 'enrolled')")
    if filters.scope is not None:
        conditions.append(f"branch = ANY({argument(sorted(filters.scope))}::text[])")
    # Undated items (enrolments) belong to every period; one range, so that the index on
    # (edition or branch, day) reads just the days asked for.
    days = []
    if filters.date_from is not None:
        days.append(f"day >= {argument(filters.date_from)}")
    if filters.date_to is not None:
        days.append(f"day <= {argument(filters.date_to)}")
    if days:
        conditions.append(f"(day IS NULL OR ({' AND '.join(days)}))")
    return conditions, arguments


def _selection_sql(grouping: SelectionGrouping, conditions: list[str]) -> str:
    where = list(conditions)
    if grouping in ("week", "month"):
        where.append("day IS NOT NULL")  # undated items belong to no period
    sums = ", ".join(f"sum({name})" for name in MEASURES)
    members = ", ".join(
        f"count(DISTINCT member_id) FILTER (WHERE role = '{role}')" for role in ROLES
    )
    # Distinct counts per group in one pass; the share of minors reads each recruited or
    # active volunteer's profile once per group.
    return f"""
        WITH chosen AS (
            SELECT {_SELECTION_GROUPS[grouping]} AS value, role, member_id, {", ".join(MEASURES)}
            FROM reporting.contributions WHERE {" AND ".join(where) or "true"}
        ), grouped AS (
            SELECT value, {sums}, {members} FROM chosen GROUP BY value
        ), people AS (
            SELECT DISTINCT value, member_id FROM chosen WHERE role IN ('recruited', 'active')
        ), profiles AS (
            SELECT people.value,
                   count((profile.data->>'minor')::boolean) AS known,
                   count(*) FILTER (WHERE (profile.data->>'minor')::boolean) AS minors
            FROM people LEFT JOIN reporting.snapshots AS profile
                ON profile.kind = 'volunteer' AND profile.key = people.member_id::text
            GROUP BY people.value
        )
        SELECT grouped.*, coalesce(profiles.known, 0), coalesce(profiles.minors, 0)
        FROM grouped LEFT JOIN profiles USING (value)
    """


async def read_selection(
    connection: AsyncConnection, filters: Filters, grouping: SelectionGrouping
) -> dict[Cell, CellTotals]:
    """The contributions ``filters`` select (dates, the reader's branches, any filters at
    once), summed per value of ``grouping`` as the cells would be."""
    conditions, arguments = _selection_conditions(filters)
    rows = await (await asyncpg_connection(connection)).fetch(
        _selection_sql(grouping, conditions), *arguments
    )
    width = len(MEASURES)
    return totals.selection_cells(
        grouping,
        {
            row[0]: CellTotals(measures=list(row[1 : 1 + width]), counters=list(row[1 + width :]))
            for row in rows
        },
    )


async def editions(connection: AsyncConnection) -> State:
    """A state holding the editions only: labels and order of a breakdown by edition."""
    rows = await (await asyncpg_connection(connection)).fetch(
        "SELECT data::text FROM reporting.snapshots WHERE kind = 'edition'"
    )
    return State.of(Edition.model_validate_json(row[0]) for row in rows)


async def message_counts(connection: AsyncConnection) -> list[dict[str, Any]]:
    rows = await (await asyncpg_connection(connection)).fetch(
        "SELECT channel, template, sent, failed FROM reporting.message_totals "
        "ORDER BY channel, template"
    )
    return [dict(row) for row in rows]
