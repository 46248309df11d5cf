"""Reporting's HTTP API: every view with filters, and its exports.

Who sees what: city_admin everything; a trainer the branches registry assigned them; a
coordinator the branches they coordinate (both from reporting's copy of registry's
assignments, ``shared.staff_scope``); volunteers nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from reporting import exports, handlers, totals_queries
from reporting.cache import in_thread, monitoring_cache, view_cache
from reporting.domain import monitoring as branch_monitoring
from reporting.domain import totals, views
from reporting.domain.views import WARSAW, Filters, State
from reporting.projections import latest_activity
from shared.auth import Principal, require_roles
from shared.problems import Problem
from shared.service import Service, get_service
from shared.validation import Code, PageLimit, PageOffset, SaneDate

router = APIRouter(prefix="/v1", tags=["reports"])

Staff = Annotated[Principal, Depends(require_roles("trainer", "coordinator"))]
CityAdmin = Annotated[Principal, Depends(require_roles())]
ServiceDep = Annotated[Service, Depends(get_service)]
View = Literal[
    "summary", "breakdown", "timeseries", "retention", "branches", "monitoring", "messages"
]
Row = TypeVar("Row", bound=BaseModel)


class VolunteerCounts(BaseModel):
    registered: int
    erased: int
    current: int
    minors: int


class Figures(BaseModel):
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
    proposals_made: int
    proposals_accepted: int
    proposals_declined: int
    proposals_expired: int
    certificates_issued: int


class BreakdownRow(Figures):
    key: str | None
    label: str | None


class TimeseriesRow(BaseModel):
    period_start: date
    approved_hours: Decimal
    volunteers_active: int
    volunteers_recruited: int
    tasks_published: int
    no_shows: int


class RetentionRow(BaseModel):
    period: str
    label: str
    volunteers_active: int
    returning_from_earlier: int
    returned_later: int
    retention_rate: float | None


class BranchStagesRow(BaseModel):
    branch: str | None
    district: str | None
    institution_type: str | None
    edition_id: uuid.UUID
    edition: str
    enrolled_on: date
    funding_pln: Decimal | None
    current_stage: str | None
    trained_on: date | None
    programme_prepared_on: date | None
    recruiting_on: date | None
    volunteers_active_on: date | None
    evaluated_on: date | None
    programme_submitted_on: date | None
    report_submitted_on: date | None


class StageDate(BaseModel):
    stage: str
    reached_on: date


class MonitoringRow(BaseModel):
    trainer_id: uuid.UUID
    branch: str
    district: str | None
    edition_id: uuid.UUID
    edition: str
    current_stage: str | None
    stages: list[StageDate]
    last_visit_on: date | None
    follow_ups_due: list[date]
    last_activity_on: date | None
    at_risk: bool
    risks: list[str]


class MessagesRow(BaseModel):
    channel: str
    template: str
    sent: int
    failed: int


class Page(BaseModel, Generic[Row]):
    total: int
    limit: int
    offset: int
    items: list[Row]


class ViewFilters(BaseModel):
    """The filters every view takes, as query parameters."""

    edition_id: uuid.UUID | None = None
    district: Code | None = None
    branch: Code | None = None
    institution_type: Literal["library_branch", "culture_centre", "care_home"] | None = None
    task_type: (
        Literal[
            "extra_classes",
            "contest",
            "reading_help",
            "homework_help",
            "computer_help",
            "event_help",
            "daily_work",
            "own_project",
        ]
        | None
    ) = None
    date_from: SaneDate | None = None
    date_to: SaneDate | None = None


FiltersQuery = Annotated[ViewFilters, Query()]


def scoped(query: ViewFilters, principal: Principal) -> Filters:
    """The reader's filters, narrowed to the branches the token allows."""
    if query.branch is not None and not principal.can_act_for_branch(query.branch):
        raise Problem(403, "Forbidden", f"you may not see reports of branch '{query.branch}'")
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise Problem(422, "Invalid request", "date_from must not be after date_to")
    scope = None if "city_admin" in principal.roles else frozenset(principal.branches)
    return Filters(**query.model_dump(), scope=scope)


async def _state(service: Service) -> State:
    return await view_cache(service).current(service)


async def _view(service: Service, name: str, filters: Filters, *args: Any) -> Any:
    """A view's rows, computed once per version of the fact log and filters."""
    cache = view_cache(service)
    state = await cache.current(service)
    compute = getattr(views, name)
    key = (name, filters, *args)
    return await cache.memo(state, key, in_thread(compute, state, filters, *args))


async def _branch_stages(service: Service, filters: Filters) -> list[dict[str, Any]]:
    """From the monitoring's snapshots (editions, branches, enrolments, stages...) only."""
    cache = monitoring_cache(service)
    state = await cache.current(service)
    key = ("branch_stages", filters)
    return await cache.memo(state, key, in_thread(branch_monitoring.branch_stages, state, filters))


async def _monitoring(
    service: Service, filters: Filters, today: date, trainer_id: uuid.UUID | None
) -> list[dict[str, Any]]:
    """From the monitoring's snapshots, and the trainers' branches' latest activity up to
    ``today`` read from ``branch_activity`` (once per version of the log and day)."""
    cache = monitoring_cache(service)
    state = await cache.current(service)

    async def recorded() -> dict[uuid.UUID, date]:
        async with _totals(service) as connection:
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
async def _totals(service: Service) -> AsyncIterator[AsyncConnection]:
    """A connection for reading the totals: each read is one statement, no transaction
    to begin and end around it (a round trip each, on the dashboard's path)."""
    async with service.database.engine.connect() as connection:
        yield connection


async def _summary(service: Service, filters: Filters) -> views.Figures:
    """From the totals (one row) when they answer the filters, else from a selection of
    the contributions (a date range, a reader's branches, several filters at once)."""
    question = totals.summary_question(filters)
    async with _totals(service) as connection:
        if question is None:
            selected = await totals_queries.read_selection(connection, filters, "all")
            return totals.selection_summary(selected)
        cells = await totals_queries.read_cells(connection, question)
    return totals.answer_summary(question, cells)


async def _breakdown(
    service: Service, filters: Filters, by: views.Dimension
) -> list[dict[str, Any]]:
    question = totals.breakdown_question(filters, by)
    async with _totals(service) as connection:
        editions = await totals_queries.editions(connection) if by == "edition" else State()
        if question is None:
            selected = await totals_queries.read_selection(connection, filters, by)
            return totals.selection_breakdown(selected, by, editions, filters)
        cells = await totals_queries.read_cells(connection, question)
    return totals.answer_breakdown(question, cells, by, editions, filters)


async def _timeseries(
    service: Service, filters: Filters, period: views.Period
) -> list[dict[str, Any]]:
    question = totals.timeseries_question(filters, period)
    async with _totals(service) as connection:
        if question is None:
            selected = await totals_queries.read_selection(connection, filters, period)
            return totals.selection_timeseries(selected, period)
        cells = await totals_queries.read_cells(connection, question)
    return totals.answer_timeseries(question, cells)


async def _messages(service: Service) -> list[dict[str, Any]]:
    async with _totals(service) as connection:
        return await totals_queries.message_counts(connection)


def _page(rows: list[dict[str, Any]], model: type[Row], limit: int, offset: int) -> Page[Row]:
    page_type: Any = Page[model]  # type: ignore[valid-type]
    items = [model.model_validate(row) for row in rows[offset : offset + limit]]
    page: Page[Row] = page_type(total=len(rows), limit=limit, offset=offset, items=items)
    return page


Limit = Annotated[PageLimit, Query(description="at most this many rows")]
Offset = Annotated[PageOffset, Query(description="skip this many rows")]


_CSV: dict[int | str, dict[str, Any]] = {
    200: {"description": "CSV (RFC 4180)", "content": {"text/csv": {}}}
}


def _today() -> date:
    return datetime.now(WARSAW).date()


@router.get("/volunteers/count", response_model=VolunteerCounts, tags=["volunteers"])
async def count_volunteers(service: ServiceDep, _: Staff) -> VolunteerCounts:
    """Volunteers registered through the portal, erased on request, and current."""
    async with service.unit_of_work() as uow:
        return VolunteerCounts.model_validate(await handlers.volunteer_counts(uow))


@router.get("/reports/summary", response_model=Figures)
async def summary(service: ServiceDep, principal: Staff, query: FiltersQuery) -> Figures:
    """The headline figures for the filters (an edition, a district, a branch...)."""
    figures = await _summary(service, scoped(query, principal))
    return Figures.model_validate(figures.__dict__)


@router.get("/reports/breakdown", response_model=Page[BreakdownRow])
async def breakdown(
    service: ServiceDep,
    principal: Staff,
    query: FiltersQuery,
    by: views.Dimension = "district",
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[BreakdownRow]:
    """The figures per edition, district, branch, institution type or task type."""
    rows = await _breakdown(service, scoped(query, principal), by)
    return _page(rows, BreakdownRow, limit, offset)


@router.get("/reports/timeseries", response_model=Page[TimeseriesRow])
async def timeseries(
    service: ServiceDep,
    principal: Staff,
    query: FiltersQuery,
    period: views.Period = "month",
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[TimeseriesRow]:
    """Hours, active and recruited volunteers, tasks and no-shows per week or month."""
    rows = await _timeseries(service, scoped(query, principal), period)
    return _page(rows, TimeseriesRow, limit, offset)


@router.get("/reports/retention", response_model=Page[RetentionRow])
async def retention(
    service: ServiceDep,
    principal: Staff,
    query: FiltersQuery,
    by: Literal["edition", "month"] = "edition",
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[RetentionRow]:
    """Of the volunteers active in an edition or month, those who came back later."""
    rows = await _view(service, "retention", scoped(query, principal), by)
    return _page(rows, RetentionRow, limit, offset)


@router.get("/reports/branches", response_model=Page[BranchStagesRow])
async def branch_stages(
    service: ServiceDep,
    principal: Staff,
    query: FiltersQuery,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[BranchStagesRow]:
    """Enrolled branches and the date each reached each implementation stage."""
    rows = await _branch_stages(service, scoped(query, principal))
    return _page(rows, BranchStagesRow, limit, offset)


@router.get("/reports/messages", response_model=Page[MessagesRow])
async def messages(
    service: ServiceDep, _: CityAdmin, limit: Limit = 100, offset: Offset = 0
) -> Page[MessagesRow]:
    """Messages sent and failed per channel and template (no recipients)."""
    return _page(await _messages(service), MessagesRow, limit, offset)


@router.get("/monitoring", response_model=Page[MonitoringRow], tags=["monitoring"])
async def monitoring(
    service: ServiceDep,
    principal: Staff,
    query: FiltersQuery,
    trainer_id: uuid.UUID | None = None,
    as_of: SaneDate | None = None,
    at_risk: bool | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[MonitoringRow]:
    """Per trainer and branch: stage timeline, last visit, follow-ups due, risks."""
    filters = scoped(query, principal)
    rows = await _monitoring(service, filters, as_of or _today(), trainer_id)
    if at_risk is not None:
        rows = [row for row in rows if row["at_risk"] == at_risk]
    return _page(rows, MonitoringRow, limit, offset)


@router.get("/exports/open-data.csv", tags=["exports"], response_class=Response, responses=_CSV)
async def open_data(service: ServiceDep, _: CityAdmin) -> Response:
    """Anonymous aggregates per edition and district; counts under 3 are suppressed."""
    body = await asyncio.to_thread(exports.open_data_csv, await _state(service))
    return _download(body, "text/csv; charset=utf-8", "dane-otwarte.csv")


@router.get(
    "/exports/editions/{edition_id}/report.pdf",
    tags=["exports"],
    response_class=Response,
    responses={200: {"description": "PDF", "content": {"application/pdf": {}}}},
)
async def edition_report(edition_id: uuid.UUID, service: ServiceDep, _: CityAdmin) -> Response:
    """The edition report in Polish, with charts, for the city office."""
    state = await _state(service)
    edition = state.editions.get(edition_id)
    if edition is None:
        raise Problem(404, "Not found", f"reporting knows no edition '{edition_id}'")
    body = await asyncio.to_thread(exports.edition_report_pdf, state, edition, _today())
    return _download(body, "application/pdf", f"raport-{edition.year}.pdf")


@router.get(
    "/exports/{view}.{fmt}",
    tags=["exports"],
    response_class=Response,
    responses={
        200: {
            "description": "CSV (RFC 4180) lub XLSX / CSV (RFC 4180) or XLSX",
            "content": {"text/csv": {}, exports.XLSX_MEDIA_TYPE: {}},
        }
    },
)
async def export_view(
    view: View,
    fmt: Literal["csv", "xlsx"],
    service: ServiceDep,
    principal: Staff,
    query: FiltersQuery,
    by: views.Dimension = "district",
    period: views.Period = "month",
    retention_by: Literal["edition", "month"] = "edition",
    trainer_id: uuid.UUID | None = None,
    as_of: SaneDate | None = None,
) -> Response:
    """Any view as CSV or XLSX, with the same filters as the view."""
    filters = scoped(query, principal)
    rows: list[dict[str, Any]]
    if view == "summary":
        rows = [(await _summary(service, filters)).__dict__]
    elif view == "breakdown":
        rows = await _breakdown(service, filters, by)
    elif view == "timeseries":
        rows = await _timeseries(service, filters, period)
    elif view == "messages":
        if "city_admin" not in principal.roles:
            raise Problem(403, "Forbidden", "messages are counted for the whole programme")
        rows = await _messages(service)
    elif view == "retention":
        rows = await _view(service, "retention", filters, retention_by)
    elif view == "branches":
        rows = await _branch_stages(service, filters)
    else:
        rows = await _monitoring(service, filters, as_of or _today(), trainer_id)
    if fmt == "csv":
        body = await asyncio.to_thread(exports.to_csv, rows)
        return _download(body, "text/csv; charset=utf-8", f"{view}.csv")
    body = await asyncio.to_thread(exports.to_xlsx, rows, view)
    return _download(body, exports.XLSX_MEDIA_TYPE, f"{view}.xlsx")


def _download(body: bytes, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
