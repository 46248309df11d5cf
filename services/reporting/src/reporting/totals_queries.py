"""The totals as the views read them: a question's cells in one query, a selection of the
contributions (what the cells do not answer), the editions and the message counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from reporting.domain import totals
from reporting.domain.entities import Edition
from reporting.domain.totals import (
    COUNTERS,
    MEASURES,
    ROLES,
    Cell,
    CellTotals,
    Question,
    SelectionGrouping,
)
from reporting.domain.views import Filters, State
from reporting.totals_sql import CELL_COLUMNS, asyncpg_connection

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
