"""Read models as functions of facts: the live consumer and the rebuild share this code.

A fact becomes entity snapshots (reporting.domain.entities.snapshots); each is merged into
the stored snapshot of its entity by rules that do not depend on order or repetition.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import bindparam, delete, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from reporting import totals_rebuild, totals_sql, totals_store
from reporting.at_commit import AtCommit
from reporting.contracts import READERS
from reporting.domain.entities import ENTITY_TYPES, Entity, Volunteer, fold, merge, snapshots
from reporting.domain.monitoring import MONITORING_KINDS
from reporting.domain.views import State, activity_of
from reporting.tables import BranchActivity, Fact, Snapshot, VolunteerFact, VolunteerTotals


async def apply_fact(session: AsyncSession, fact: Fact) -> None:
    reader = READERS.get(fact.event_type)
    if reader is None:
        return
    data = reader.model_validate(fact.data)
    await apply_events(session, [(fact.event_type, data, fact.occurred_at)])


async def apply_events(
    session: AsyncSession, facts: Sequence[tuple[str, BaseModel, datetime]]
) -> None:
    """The read models follow facts, their data already validated by their readers: the
    facts' snapshots new to the store are inserted in one statement, the others merged one
    by one (the merge does not depend on order), and the totals follow all the changes at
    once. What they add to rows every fact shares (counts, totals) is written at the
    commit."""
    pending = AtCommit.of(session)
    incoming = [
        entity
        for event_type, data, occurred_at in facts
        for entity in snapshots(event_type, data, occurred_at)
    ]
    driver = await totals_sql.asyncpg_connection(await session.connection())
    inserted = {
        (kind, key)
        for kind, key in await driver.fetch(
            "INSERT INTO reporting.snapshots (kind, key, data) "
            "SELECT kind, key, data::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) "
            "AS s(kind, key, data) ON CONFLICT DO NOTHING RETURNING kind, key",
            [entity.kind for entity in incoming],
            [entity.key for entity in incoming],
            [entity.model_dump_json() for entity in incoming],
        )
    }
    changes: list[totals_store.Change] = []
    for entity in incoming:
        before: Entity | None
        if (entity.kind, entity.key) in inserted:
            inserted.discard((entity.kind, entity.key))  # a second one of the key merges
            before, merged = None, entity
        else:
            before, merged = await _merge_into_stored(session, entity)
        changes.append((before, merged))
        await _follow_activity(session, before, merged)
        if isinstance(merged, Volunteer):
            assert before is None or isinstance(before, Volunteer)
            _volunteer_totals(pending, before, merged)
    await totals_store.follow(await session.connection(), changes, pending)


async def _merge_into_stored(session: AsyncSession, incoming: Entity) -> tuple[Entity, Entity]:
    """The stored snapshot before, and after ``incoming`` was merged into it: one that
    ``apply_events``' insert found already there (its row is there to stay: a rebuild waits
    for this transaction, which holds the log).

    Plain SQL on the session's connection: the ORM's statement building would cost more
    than the statements."""
    driver = await totals_sql.asyncpg_connection(await session.connection())
    stored = await driver.fetchval(
        "SELECT data::text FROM reporting.snapshots WHERE kind = $1 AND key = $2 FOR UPDATE",
        incoming.kind,
        incoming.key,
    )
    existing = ENTITY_TYPES[incoming.kind].model_validate_json(stored)
    merged = merge(existing, incoming)
    if merged != existing:
        await driver.execute(
            "UPDATE reporting.snapshots SET data = $3::text::jsonb WHERE kind = $1 AND key = $2",
            incoming.kind,
            incoming.key,
            merged.model_dump_json(),
        )
    return existing, merged


async def _follow_activity(session: AsyncSession, before: Entity | None, after: Entity) -> None:
    """An item's row in ``branch_activity``, written when its branch or day changes (the
    snapshot's row, locked until commit, orders concurrent facts about the item)."""
    activity = activity_of(after)
    if activity is None or (before is not None and activity_of(before) == activity):
        return
    driver = await totals_sql.asyncpg_connection(await session.connection())
    await driver.execute(
        "INSERT INTO reporting.branch_activity (kind, key, branch_id, day) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (kind, key) "
        "DO UPDATE SET branch_id = excluded.branch_id, day = excluded.day",
        after.kind,
        after.key,
        *activity,
    )


def activity_rows(entities: Iterable[Entity]) -> list[tuple[str, str, uuid.UUID, date]]:
    """``branch_activity``'s rows for these snapshots."""
    return [
        (entity.kind, entity.key, *activity)
        for entity in entities
        if (activity := activity_of(entity)) is not None
    ]


async def latest_activity(
    connection: AsyncConnection, branches: Collection[uuid.UUID], today: date
) -> dict[uuid.UUID, date]:
    """Per branch, the latest day up to ``today`` of its items' activity: one step down
    the index (branch, day) each, however many items a branch has."""
    rows = await (await totals_sql.asyncpg_connection(connection)).fetch(
        "SELECT b.branch_id, (SELECT max(a.day) FROM reporting.branch_activity a "
        "WHERE a.branch_id = b.branch_id AND a.day <= $2) "
        "FROM unnest($1::uuid[]) AS b(branch_id)",
        sorted(branches),
        today,
    )
    return {branch_id: day for branch_id, day in rows if day is not None}


def _volunteer_totals(pending: AtCommit, before: Volunteer | None, after: Volunteer) -> None:
    """Keep the running counts (and the anonymous volunteer row) in step with the snapshot.

    Counts change by the difference the fact made to the snapshot (locked until commit),
    so a duplicate, an update or an erasure arriving before the registration never counts
    twice. A volunteer has a row once a snapshot had a profile, and keeps it (a merged
    snapshot never loses its profile).
    """
    if after.minor is None or after.registered_at is None:
        return  # erased before its registration arrived: counted once the profile does
    pending.volunteers[after.volunteer_id] = (
        after.volunteer_id,
        after.minor,
        after.districts,
        after.registered_at,
        after.erased,
    )
    counts = pending.volunteer_counts
    if before is None or before.minor is None or before.registered_at is None:
        counts[0] += 1
        counts[1] += int(after.erased)
        counts[2] += int(after.minor)
    else:
        counts[1] += int(after.erased) - int(before.erased)
        counts[2] += int(after.minor) - int(before.minor)


async def bump_log_version(session: AsyncSession) -> None:
    """The log's version moves once, when the transaction commits."""
    AtCommit.of(session).log_moved = True


async def log_version(session: AsyncSession) -> int:
    connection = await session.connection()
    version = await connection.scalar(text("SELECT version FROM reporting.log_version"))
    return int(version or 0)


async def load_state(session: AsyncSession, kinds: Collection[str] | None = None) -> State:
    """Every snapshot (or those of ``kinds``), parsed kind by kind from the stored JSON in
    one pass each."""
    connection = await session.connection()
    if kinds is None:
        statement = text(
            "SELECT kind, string_agg(data::text, ',') FROM reporting.snapshots GROUP BY kind"
        )
    else:
        statement = text(
            "SELECT kind, string_agg(data::text, ',') FROM reporting.snapshots "
            "WHERE kind IN :kinds GROUP BY kind"
        ).bindparams(bindparam("kinds", value=sorted(kinds), expanding=True))
    rows = await connection.execute(statement)
    entities: list[Entity] = []
    for kind, joined in rows:
        entities.extend(_LIST_ADAPTERS[kind].validate_json(f"[{joined}]"))
    return State.of(entities)


async def load_monitoring_state(session: AsyncSession) -> State:
    """The snapshots ``monitoring_rows`` and ``branch_stages`` read: editions,
    branches, enrolments, stages, trainers, visits, submissions; not the items (their
    activity is in ``branch_activity``), not volunteers, applications or messages."""
    return await load_state(session, MONITORING_KINDS)


_LIST_ADAPTERS: dict[str, TypeAdapter[list[Any]]] = {
    kind: TypeAdapter(list[entity_type])  # type: ignore[valid-type]
    for kind, entity_type in ENTITY_TYPES.items()
}


async def rebuild(session: AsyncSession, *, batch_size: int = 5000) -> int:
    """Empty every read model and replay the fact log in order; returns the facts replayed.

    The replay merges the same snapshots with the same rules as the live consumer, in
    memory (``reporting.domain.entities.fold``), then writes the result in bulk: one
    row per entity instead of three statements per fact, then every item's contribution
    and the totals summed from them (``totals_rebuild.write_all``). Consumers wait while it runs
    (the log is locked against new facts), so no fact can slip between replay and commit.
    ``reporting.rebuild`` reads the log in chunks of their own transactions instead.
    """
    connection = await session.connection()
    await lock_log(session)
    store: dict[tuple[str, str], Entity] = {}
    replayed = 0
    stream = await connection.stream(
        select(col(Fact.event_type), col(Fact.data), col(Fact.occurred_at)).order_by(col(Fact.seq))
    )
    async for rows in stream.partitions(batch_size):
        replayed += fold_rows(rows, store)
    await write_read_models(session, store, batch_size=batch_size)
    return replayed


async def lock_log(session: AsyncSession) -> None:
    """No new fact until the transaction ends (the consumers wait)."""
    connection = await session.connection()
    await connection.execute(text("LOCK TABLE reporting.facts IN SHARE ROW EXCLUSIVE MODE"))


def fold_rows(rows: Iterable[Any], store: dict[tuple[str, str], Entity]) -> int:
    """Merge facts (rows of event type, data, occurred at) into ``store``; how many."""
    rows = list(rows)
    facts = [
        (event_type, reader.model_validate(data), occurred_at)
        for event_type, data, occurred_at in rows
        if (reader := READERS.get(event_type)) is not None
    ]
    fold(facts, store)
    return len(rows)


async def write_read_models(
    session: AsyncSession, store: dict[tuple[str, str], Entity], *, batch_size: int = 5000
) -> None:
    """Replace every read model with the entities of ``store``, in the session's transaction."""
    connection = await session.connection()
    await connection.execute(delete(Snapshot))
    await connection.execute(delete(BranchActivity))
    await connection.execute(delete(VolunteerFact))
    await connection.execute(delete(VolunteerTotals))
    await totals_rebuild.empty(connection)
    entities = list(store.values())
    await totals_sql.copy_rows(
        connection,
        "snapshots",
        ["kind", "key", "data"],
        ((e.kind, e.key, e.model_dump_json()) for e in entities),
    )
    await totals_sql.copy_rows(
        connection, "branch_activity", ["kind", "key", "branch_id", "day"], activity_rows(entities)
    )
    await totals_rebuild.write_all(connection, State.of(entities))
    # The running counts are, by construction, the counts over the volunteer snapshots.
    profiles = [
        e for e in entities if isinstance(e, Volunteer) and e.minor is not None and e.registered_at
    ]
    for start in range(0, len(profiles), batch_size):
        await connection.execute(
            insert(VolunteerFact),
            [
                {
                    "volunteer_id": v.volunteer_id,
                    "minor": v.minor,
                    "districts": v.districts,
                    "registered_at": v.registered_at,
                    "erased": v.erased,
                }
                for v in profiles[start : start + batch_size]
            ],
        )
    await connection.execute(
        insert(VolunteerTotals).values(
            id=1,
            registered=len(profiles),
            erased=sum(1 for v in profiles if v.erased),
            minors=sum(1 for v in profiles if v.minor),
        )
    )
    await bump_log_version(session)
    # Every row was just replaced: the planner's statistics follow before the first
    # question (a selection chooses its indexes by them).
    await connection.execute(
        text("ANALYZE reporting.snapshots, reporting.contributions, reporting.branch_activity")
    )
