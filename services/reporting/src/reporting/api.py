"""Reporting's HTTP API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from reporting import handlers
from shared.auth import Principal, require_roles
from shared.service import Service, get_service

router = APIRouter(prefix="/v1", tags=["volunteers"])


class VolunteerCounts(BaseModel):
    registered: int
    erased: int
    current: int
    minors: int


@router.get("/volunteers/count", response_model=VolunteerCounts)
async def count_volunteers(
    service: Annotated[Service, Depends(get_service)],
    _: Annotated[Principal, Depends(require_roles("trainer"))],
) -> VolunteerCounts:
    """Volunteers registered through the portal, erased on request, and current."""
    async with service.unit_of_work() as uow:
        return VolunteerCounts.model_validate(await handlers.volunteer_counts(uow))
