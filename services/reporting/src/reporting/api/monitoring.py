"""The trainers' monitoring: per trainer and branch, stages, visits, follow-ups and risks."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel

from reporting import reports
from reporting.api.common import (
    FiltersQuery,
    Limit,
    Offset,
    Page,
    ServiceDep,
    Staff,
    page_of,
    scoped,
    today,
)
from shared.validation import SaneDate

router = APIRouter()


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
    rows = await reports.monitoring(service, filters, as_of or today(), trainer_id)
    if at_risk is not None:
        rows = [row for row in rows if row["at_risk"] == at_risk]
    return page_of(rows, MonitoringRow, limit, offset)
