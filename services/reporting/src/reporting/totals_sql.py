"""Reporting's totals tables in plain SQL: the tables and their columns, the session's own
asyncpg connection, COPY, and upserts and deletes over arrays (one per column).

The totals are kept by delta with each fact (``totals_store``), written in bulk by the
rebuild (``totals_rebuild``) and read by the views (``totals_queries``); the rules they
follow are in domain/totals.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection

from reporting.domain.totals import MEASURES, Contribution
from reporting.tables import Contribution as ContributionRow
from reporting.tables import MessageTotal, Total, TotalBranch, TotalVolunteer

TOTALS = Total.__table__  # type: ignore[attr-defined]
CONTRIBUTIONS = ContributionRow.__table__  # type: ignore[attr-defined]
MEMBERS = TotalVolunteer.__table__  # type: ignore[attr-defined]
BRANCH_MEMBERS = TotalBranch.__table__  # type: ignore[attr-defined]
MESSAGES = MessageTotal.__table__  # type: ignore[attr-defined]
CELL_COLUMNS = ("edition", "grouped_by", "value")
CELL_TYPES = ("text", "text", "text")
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


async def asyncpg_connection(connection: AsyncConnection) -> asyncpg.Connection:
    """The session's own asyncpg connection: the hot statements are plain SQL over arrays
    (``unnest``), prepared once, not built and compiled per fact. The session has begun
    its transaction by then (asyncpg's is begun by the first statement through it)."""
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    return driver


async def copy_rows(
    connection: AsyncConnection, table: str, columns: list[str], records: Iterable[Sequence[Any]]
) -> None:
    """Rows into a table of reporting's schema with COPY, in the session's transaction."""
    rows = [tuple(record) for record in records]
    if rows:
        await (await asyncpg_connection(connection)).copy_records_to_table(
            table, schema_name="reporting", columns=columns, records=rows
        )


def contribution_from_row(row: Any) -> Contribution:
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


def contribution_values(item: Contribution) -> tuple[Any, ...]:
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


def upsert(
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


def as_columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    return [[row[n] for row in rows] for n in range(width)]


def delete_where(table: str, columns: Sequence[str], types: Sequence[str]) -> str:
    arrays = ", ".join(f"${n}::{t}[]" for n, t in enumerate(types, start=1))
    return (
        f"DELETE FROM reporting.{table} WHERE ({', '.join(columns)}) IN "
        f"(SELECT * FROM unnest({arrays}))"
    )
