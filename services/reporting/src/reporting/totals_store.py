"""The totals kept by delta in the transaction of each fact (rules in domain/totals.py).

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
from reporting.domain.totals import COUNTERS, MEASURES, Cell, Contribution, Delta
from reporting.domain.views import State
from reporting.totals_sql import (
    CELL_COLUMNS,
    CELL_TYPES,
    CONTRIBUTION_COLUMNS,
    CONTRIBUTION_TYPES,
    MESSAGES,
    as_columns,
    asyncpg_connection,
    contribution_from_row,
    contribution_values,
    delete_where,
    upsert,
)

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


async def _enrolled_branches(
    connection: AsyncConnection, editions: set[uuid.UUID]
) -> set[uuid.UUID]:
    rows = await (await asyncpg_connection(connection)).fetch(
        "SELECT DISTINCT data->>'branch_id' FROM reporting.snapshots "
        "WHERE kind = 'enrolment' AND data->>'edition_id' = ANY($1::text[])",
        [str(e) for e in editions],
    )
    return {uuid.UUID(row[0]) for row in rows}


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
    return {(row["kind"], row["key"]): contribution_from_row(row) for row in rows}


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
    changed = [contribution_values(new[a]) for a in sorted(new) if stored.get(a) != new[a]]
    if changed:
        await driver.execute(
            upsert(
                "contributions",
                CONTRIBUTION_COLUMNS,
                CONTRIBUTION_TYPES,
                key=("kind", "key"),
                set_="{0} = excluded.{0}",
            ),
            *as_columns(changed, len(CONTRIBUTION_COLUMNS)),
        )


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


_MEMBERS_UPSERT = upsert(
    "total_volunteers",
    (*CELL_COLUMNS, "volunteer_id", "recruiting", "active"),
    (*CELL_TYPES, "uuid", "int", "int"),
    key=("volunteer_id", *CELL_COLUMNS),
    set_="{0} = {1}.{0} + excluded.{0}",
    returning="edition, grouped_by, value, volunteer_id, recruiting, active",
)


_BRANCHES_UPSERT = upsert(
    "total_branches",
    (*CELL_COLUMNS, "branch_id", "enrolments"),
    (*CELL_TYPES, "uuid", "int"),
    key=("branch_id", *CELL_COLUMNS),
    set_="{0} = {1}.{0} + excluded.{0}",
    returning="edition, grouped_by, value, branch_id, enrolments",
)


_TOTALS_UPSERT = upsert(
    "totals",
    (*CELL_COLUMNS, *MEASURES, *COUNTERS),
    (*CELL_TYPES, "int", "numeric", *["int"] * (len(MEASURES) - 2), *["int"] * len(COUNTERS)),
    key=CELL_COLUMNS,
    set_="{0} = {1}.{0} + excluded.{0}",
    returning="edition, grouped_by, value, items",
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
            *as_columns([(*cell, v, r, a) for (cell, v), (r, a) in change.volunteers.items()], 6),
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
                delete_where(
                    "total_volunteers", (*CELL_COLUMNS, "volunteer_id"), (*CELL_TYPES, "uuid")
                ),
                *as_columns(emptied, 4),
            )
    if change.branches:
        rows = await driver.fetch(
            _BRANCHES_UPSERT,
            *as_columns([(*cell, b, n) for (cell, b), n in change.branches.items()], 5),
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
                delete_where("total_branches", (*CELL_COLUMNS, "branch_id"), (*CELL_TYPES, "uuid")),
                *as_columns(emptied, 4),
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
        _TOTALS_UPSERT, *as_columns(rows, len(CELL_COLUMNS) + len(MEASURES) + len(COUNTERS))
    )
    emptied = [tuple(row[:3]) for row in returned if not row["items"]]
    if emptied:
        await driver.execute(
            delete_where("totals", CELL_COLUMNS, CELL_TYPES), *as_columns(emptied, 3)
        )
