"""Writes gathered over a transaction and made once, at its commit.

The consumer applies the deliveries at hand in one transaction. Every fact appends its row
to the log, may change the volunteer counts, the message counts and the totals' cells, and
moves the log's version. Made fact by fact, those statements would update the same few rows
(the version, the counts, an edition's and every edition's cells) once per fact and hold
their row locks from the first fact of the batch to its commit: every other writer (another
replica, a rebuild) would queue at them for the whole batch. Gathered here instead, they
are summed per row and written when the transaction commits (the session's
``before_commit``), each kind in one statement over arrays, rows in one order: a batch
costs one statement per kind whatever its size, and the shared rows are locked only while
it commits. Nothing in the live path reads these rows back, so nothing misses them.

A transaction that records facts first takes the log's own lock (the one ``INSERT`` would
take), so a rebuild, which locks the log against new facts before it empties the read
models, still waits for consumers and is waited for, as before.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.util import await_only
from sqlmodel.ext.asyncio.session import AsyncSession

from reporting.domain.totals import COUNTERS, MEASURES, Cell
from reporting.totals_sql import CELL_COLUMNS, CELL_TYPES, as_columns, delete_where, upsert

_KEY = "reporting.at_commit"

_FACTS = (
    "INSERT INTO reporting.facts (event_id, event_source, event_type, occurred_at, "
    "recorded_at, data) SELECT e, s, t, o, r, d::jsonb FROM unnest($1::text[], $2::text[], "
    "$3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[]) AS f(e, s, t, o, r, d)"
)
_VOLUNTEER = (
    "INSERT INTO reporting.volunteers (volunteer_id, minor, districts, registered_at, erased) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (volunteer_id) DO UPDATE SET "
    "minor = excluded.minor, districts = excluded.districts, "
    "registered_at = excluded.registered_at, erased = excluded.erased"
)
_VOLUNTEER_COUNTS = (
    "INSERT INTO reporting.volunteer_totals AS t (id, registered, erased, minors) "
    "VALUES (1, $1, $2, $3) ON CONFLICT (id) DO UPDATE SET "
    "registered = t.registered + excluded.registered, "
    "erased = t.erased + excluded.erased, minors = t.minors + excluded.minors"
)
_MESSAGES = upsert(
    "message_totals",
    ("channel", "template", "sent", "failed"),
    ("text", "text", "int", "int"),
    key=("channel", "template"),
    set_="{0} = {1}.{0} + excluded.{0}",
)
_TOTALS = upsert(
    "totals",
    (*CELL_COLUMNS, *MEASURES, *COUNTERS),
    (*CELL_TYPES, "int", "numeric", *["int"] * (len(MEASURES) - 2), *["int"] * len(COUNTERS)),
    key=CELL_COLUMNS,
    set_="{0} = {1}.{0} + excluded.{0}",
    returning="edition, grouped_by, value, items",
)
_TOTALS_EMPTIED = delete_where("totals", CELL_COLUMNS, CELL_TYPES)


@dataclass
class AtCommit:
    """What the transaction's facts add to the shared rows, written at its commit."""

    facts: list[tuple[str, str, str, datetime, datetime, str]] = field(default_factory=list)
    volunteers: dict[uuid.UUID, tuple[Any, ...]] = field(default_factory=dict)
    volunteer_counts: list[int] = field(default_factory=lambda: [0, 0, 0])
    messages: dict[tuple[str, str], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0])
    )
    measures: dict[Cell, list[int | Decimal]] = field(
        default_factory=lambda: defaultdict(lambda: [0] * len(MEASURES))
    )
    counters: dict[Cell, list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0] * len(COUNTERS))
    )
    log_moved: bool = False

    @classmethod
    def of(cls, session: AsyncSession) -> AtCommit:
        """The session's writes, written when its transaction commits, dropped when it
        rolls back."""
        pending: AtCommit | None = session.info.get(_KEY)
        if pending is None:
            pending = session.info[_KEY] = cls()
            event.listen(session.sync_session, "before_commit", _write)
            event.listen(session.sync_session, "after_rollback", _drop)
        return pending

    def add_totals(
        self, measures: dict[Cell, list[int | Decimal]], counters: dict[Cell, list[int]]
    ) -> None:
        for cell, values in measures.items():
            summed = self.measures[cell]
            for n, value in enumerate(values):
                summed[n] += value
        for cell, moved in counters.items():
            if any(moved):
                summed_counters = self.counters[cell]
                for n, value in enumerate(moved):
                    summed_counters[n] += value

    def count_message(self, channel: str, template: str, status: str, change: int) -> None:
        self.messages[(channel, template)][0 if status == "sent" else 1] += change


async def append_fact(
    session: AsyncSession, row: tuple[str, str, str, datetime, datetime, str]
) -> AtCommit:
    """A fact for the log, appended at the commit; the transaction's first takes the log's
    lock now, as its insert would (a rebuild in progress is waited for here)."""
    pending = AtCommit.of(session)
    if not pending.facts:
        # Through the session: its transaction begins here if nothing did yet.
        connection = await session.connection()
        await connection.exec_driver_sql("LOCK TABLE reporting.facts IN ROW EXCLUSIVE MODE")
    pending.facts.append(row)
    return pending


def _drop(session: Session) -> None:
    session.info.pop(_KEY, None)


def _write(session: Session) -> None:
    """The session is committing: every gathered write, in the transaction, in one order."""
    pending: AtCommit | None = session.info.pop(_KEY, None)
    if pending is None:
        return
    driver: asyncpg.Connection = session.connection().connection.driver_connection
    if pending.facts:
        await_only(driver.execute(_FACTS, *as_columns(pending.facts, 6)))
    if pending.volunteers:
        rows = [pending.volunteers[v] for v in sorted(pending.volunteers)]
        await_only(driver.executemany(_VOLUNTEER, rows))
    if any(pending.volunteer_counts):
        await_only(driver.execute(_VOLUNTEER_COUNTS, *pending.volunteer_counts))
    messages = sorted((key, counts) for key, counts in pending.messages.items() if any(counts))
    if messages:
        await_only(driver.execute(_MESSAGES, *as_columns([(*k, *c) for k, c in messages], 4)))
    _write_totals(driver, pending)
    if pending.log_moved:
        await_only(driver.execute("UPDATE reporting.log_version SET version = version + 1"))


def _write_totals(driver: asyncpg.Connection, pending: AtCommit) -> None:
    cells = sorted(pending.measures.keys() | pending.counters.keys())
    zero_measures: Sequence[int | Decimal] = [0] * len(MEASURES)
    zero_counters: Sequence[int] = [0] * len(COUNTERS)
    rows = [
        (
            *cell,
            *pending.measures.get(cell, zero_measures),
            *pending.counters.get(cell, zero_counters),
        )
        for cell in cells
        if any(pending.measures.get(cell, ())) or any(pending.counters.get(cell, ()))
    ]
    if not rows:
        return
    width = len(CELL_COLUMNS) + len(MEASURES) + len(COUNTERS)
    returned = await_only(driver.fetch(_TOTALS, *as_columns(rows, width)))
    emptied = [tuple(row[:3]) for row in returned if not row["items"]]
    if emptied:
        await_only(driver.execute(_TOTALS_EMPTIED, *as_columns(emptied, 3)))
