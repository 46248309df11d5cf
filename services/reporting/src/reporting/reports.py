"""The views as the API and its exports read them: the dashboard's figures from the totals
when they answer the filters (else from a selection of the contributions), the other views
from the snapshots, computed once per version of the fact log and filters."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from reporting import totals_queries
from reporting.cache import in_thread, monitoring_cache, view_cache
from reporting.domain import monitoring as branch_monitoring
from reporting.domain import totals, views
from reporting.domain.views import Filters, State
from reporting.projections import latest_activity
from shared.service import Service


async def current_state(service: Service) -> State:
    return await view_cache(service).current(service)


async def view_rows(service: Service, name: str, filters: Filters, *args: Any) -> Any:
    """A view's rows, computed once per version of the fact log and filters."""
    cache = view_cache(service)
    state = await cache.current(service)
    compute = getattr(views, name)
    key = (name, filters, *args)
    return await cache.memo(state, key, in_thread(compute, state, filters, *args))


async def branch_stages(service: Service, filters: Filters) -> list[dict[str, Any]]:
    """From the monitoring's snapshots (editions, branches, enrolments, stages...) only."""
    cache = monitoring_cache(service)
    state = await cache.current(service)
    key = ("branch_stages", filters)
    return await cache.memo(state, key, in_thread(branch_monitoring.branch_stages, state, filters))


async def monitoring(
    service: Service, filters: Filters, today: date, trainer_id: uuid.UUID | None
) -> list[dict[str, Any]]:
    """From the monitoring's snapshots, and the trainers' branches' latest activity up to
    ``today`` read from ``branch_activity`` (once per version of the log and day)."""
    cache = monitoring_cache(service)
    state = await cache.current(service)

    async def recorded() -> dict[uuid.UUID, date]:
        async with totals_connection(service) as connection:
            branches = {assignment.branch_id for assignment in state.trainers}
            return await latest_activity(connection, branches, today)

    activity = await cache.memo(state, ("activity", today), recorded)
    key = ("monitoring", filters, today, trainer_id)
    return await cache.memo(
        state,
        key,
        in_thread(branch_monitoring.monitoring_rows, state, filters, today, trainer_id, activity),
    )


@asynccontextmanager
async def totals_connection(service: Service) -> AsyncIterator[AsyncConnection]:
    """A connection for reading the totals: each read is one statement, no transaction
    to begin and end around it (a round trip each, on the dashboard's path)."""
    async with service.database.engine.connect() as connection:
        yield connection


async def summary(service: Service, filters: Filters) -> views.Figures:
    """From the totals (one row) when they answer the filters, else from a selection of
    the contributions (a date range, a reader's branches, several filters at once)."""
    question = totals.summary_question(filters)
    async with totals_connection(service) as connection:
        if question is None:
            selected = await totals_queries.read_selection(connection, filters, "all")
            return totals.selection_summary(selected)
        cells = await totals_queries.read_cells(connection, question)
    return totals.answer_summary(question, cells)


async def breakdown(
    service: Service, filters: Filters, by: views.Dimension
) -> list[dict[str, Any]]:
    question = totals.breakdown_question(filters, by)
    async with totals_connection(service) as connection:
        editions = await totals_queries.editions(connection) if by == "edition" else State()
        if question is None:
            selected = await totals_queries.read_selection(connection, filters, by)
            return totals.selection_breakdown(selected, by, editions, filters)
        cells = await totals_queries.read_cells(connection, question)
    return totals.answer_breakdown(question, cells, by, editions, filters)


async def timeseries(
    service: Service, filters: Filters, period: views.Period
) -> list[dict[str, Any]]:
    question = totals.timeseries_question(filters, period)
    async with totals_connection(service) as connection:
        if question is None:
            selected = await totals_queries.read_selection(connection, filters, period)
            return totals.selection_timeseries(selected, period)
        cells = await totals_queries.read_cells(connection, question)
    return totals.answer_timeseries(question, cells)


async def message_counts(service: Service) -> list[dict[str, Any]]:
    async with totals_connection(service) as connection:
        return await totals_queries.message_counts(connection)
