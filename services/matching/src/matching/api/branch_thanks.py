"""A branch's volunteers by approved hours in a year (the coordinator's thank-you list)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel

from matching import branch_thanks
from matching.api.common import STAFF, require_branch
from matching.occurrences import today
from shared.auth import Principal, require_roles
from shared.service import Service, get_service
from shared.validation import Code, PageOffset

router = APIRouter(tags=["hours"])


class VolunteerYearView(BaseModel):
    volunteer_id: uuid.UUID
    first_name: str | None
    last_name: str | None
    approved_hours: Decimal
    days: int
    first_day: date
    last_day: date


@router.get("/branches/{branch_code}/volunteers-by-hours", response_model=list[VolunteerYearView])
async def volunteers_by_hours(
    branch_code: Annotated[Code, Path(max_length=64)],
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
    year: Annotated[int | None, Query(ge=2017, le=2100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[PageOffset, Query()] = 0,
) -> Any:
    """The branch's volunteers by approved hours in ``year`` (this year by default), most
    first: the coordinator's list for the end-of-year thank-you. Names are empty for a
    person who asked to be erased."""
    require_branch(principal, branch_code)
    async with service.unit_of_work() as uow:
        found = await branch_thanks.volunteers_by_hours(
            uow, branch_code, year or today().year, limit=limit, offset=offset
        )
    return [VolunteerYearView.model_validate(item, from_attributes=True) for item in found]
