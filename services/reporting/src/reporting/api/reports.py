"""The reports: summary, breakdown, time series, retention, branches' stages, messages."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from reporting import reports
from reporting.api.common import (
    CityAdmin,
    FiltersQuery,
    Limit,
    Offset,
    Page,
    ServiceDep,
    Staff,
    page_of,
    scoped,
)
from reporting.domain import views

router = APIRouter()


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


class MessagesRow(BaseModel):
    channel: str
    template: str
    sent: int
    failed: int


@router.get("/reports/summary", response_model=Figures)
async def summary(service: ServiceDep, principal: Staff, query: FiltersQuery) -> Figures:
    """The headline figures for the filters (an edition, a district, a branch...)."""
    figures = await reports.summary(service, scoped(query, principal))
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
    rows = await reports.breakdown(service, scoped(query, principal), by)
    return page_of(rows, BreakdownRow, limit, offset)


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
    rows = await reports.timeseries(service, scoped(query, principal), period)
    return page_of(rows, TimeseriesRow, limit, offset)


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
    rows = await reports.view_rows(service, "retention", scoped(query, principal), by)
    return page_of(rows, RetentionRow, limit, offset)


@router.get("/reports/branches", response_model=Page[BranchStagesRow])
async def branch_stages(
    service: ServiceDep,
    principal: Staff,
    query: FiltersQuery,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[BranchStagesRow]:
    """Enrolled branches and the date each reached each implementation stage."""
    rows = await reports.branch_stages(service, scoped(query, principal))
    return page_of(rows, BranchStagesRow, limit, offset)


@router.get("/reports/messages", response_model=Page[MessagesRow])
async def messages(
    service: ServiceDep, _: CityAdmin, limit: Limit = 100, offset: Offset = 0
) -> Page[MessagesRow]:
    """Messages sent and failed per channel and template (no recipients)."""
    return page_of(await reports.message_counts(service), MessagesRow, limit, offset)
