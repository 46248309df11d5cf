"""The totals kept by delta in the transaction of each fact (rules in domain/totals.py).

Concurrent facts: an item's contribution is derived from its context (its branch, the
branch's enrolments, the editions, its task, the volunteer's profile), and a fact that
changes the context derives the items that depend on it again. Two transactions must not
each miss the other's change, so they take transaction-scoped advisory locks: a fact that
changes a derivation context takes the totals exclusively (such facts are rare: editions,
branches, enrolments, tasks); a fact about an item takes them shared, so the stream of
hours never waits on itself, and the task when it decides whether the task is filled.
A profile derives nothing again: it only moves the known and minor counts of the cells
its volunteer is counted in, so it takes the totals shared and its volunteer exclusively,
and a fact that counts volunteers in cells takes those volunteers shared: a registration
waits only for facts about the same person.
Members' counts move by row-level upserts whose returned values say whether a member came
or went; the cells' sums and counts by delta, summed over the transaction and written at
its commit (``at_commit``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection

from reporting.at_commit import AtCommit
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
from reporting.domain.totals import COUNTERS, Cell, Contribution, Delta
from reporting.domain.views import State
from reporting.totals_sql import (
    CELL_COLUMNS,
    CELL_TYPES,
    CONTRIBUTION_COLUMNS,
    CONTRIBUTION_TYPES,
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


_LOCKS = (
    "SELECT CASE WHEN shared THEN pg_advisory_xact_lock_shared(hashtextextended(name, 0)) "
    "ELSE pg_advisory_xact_lock(hashtextextended(name, 0)) END "
    "FROM unnest($1::text[], $2::bool[]) WITH ORDINALITY AS l(name, shared, n) ORDER BY n"
)


async def _lock(connection: AsyncConnection, locks: dict[str, bool]) -> None:
    """Transaction-scoped advisory locks (name: shared or not), in one statement and one
    order of names."""
    if locks:
        names = sorted(locks)
        await (await asyncpg_connection(connection)).execute(
            _LOCKS, [f"reporting:{name}" for name in names], [locks[name] for name in names]
        )


async def follow(connection: AsyncConnection, changes: Sequence[Change], pending: AtCommit) -> None:
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
                if before is not None:
                    pending.count_message(before.channel, before.template, before.status, -1)
                pending.count_message(after.channel, after.template, after.status, 1)
    if not (items or branches or tasks or editions or profiles):
        return

    derive_again = bool(editions or branches or tasks)
    profiled = {after.volunteer_id for _, after in profiles}
    # Deriving again holds the totals exclusively: no profile moves meanwhile. Otherwise
    # the volunteers counted here are held against a change of their profile.
    counted = set() if derive_again else volunteers - profiled
    await _lock(
        connection,
        {
            "totals": not derive_again,
            **{f"task:{task_id}": False for task_id in filled},
            **{f"volunteer:{v}": False for v in profiled},
            **{f"volunteer:{v}": True for v in counted},
        },
    )
    counters: dict[Cell, list[int]] = defaultdict(lambda: [0] * len(COUNTERS))
    if not (items or derive_again):
        # Profiles alone: the cells their volunteers are counted in follow.
        await _profiles_move(connection, profiles, counters)
        pending.add_totals({}, counters)
        return
    if editions:
        branches |= await _enrolled_branches(connection, editions)
    stored = await _stored_contributions(connection, items, branches, tasks)
    members = {c.member_id for c in stored.values() if c.member_id and c.role != "enrolled"}
    if not derive_again:  # an item's former volunteer, if it changed hands
        await _lock(connection, {f"volunteer:{v}": True for v in members - volunteers})
    volunteers |= members

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
    await _profiles_move(connection, profiles, counters)
    await _apply_members(connection, change, state.volunteers, counters)
    pending.add_totals(change.measures, counters)


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


async def _profiles_move(
    connection: AsyncConnection,
    profiles: Sequence[tuple[Volunteer | None, Volunteer]],
    counters: dict[Cell, list[int]],
) -> None:
    """Profiles arrived or changed: the known and minor counts of their volunteers' cells
    follow, read in one statement for all of them."""
    moves: dict[uuid.UUID, list[int]] = defaultdict(lambda: [0, 0])
    for before, after in profiles:
        known_before, minor_before = totals.profile(before)
        known_after, minor_after = totals.profile(after)
        moved = moves[after.volunteer_id]
        moved[0] += known_after - known_before
        moved[1] += minor_after - minor_before
    moving = sorted(volunteer for volunteer, moved in moves.items() if moved != [0, 0])
    if not moving:
        return
    rows = await (await asyncpg_connection(connection)).fetch(
        "SELECT volunteer_id, edition, grouped_by, value FROM reporting.total_volunteers "
        "WHERE volunteer_id = ANY($1::uuid[])",
        moving,
    )
    for volunteer_id, edition, grouped_by, value in rows:
        known, minor = moves[volunteer_id]
        cell = counters[(edition, grouped_by, value)]
        cell[3] += known
        cell[4] += minor


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
