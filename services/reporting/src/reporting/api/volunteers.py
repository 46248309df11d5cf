"""The first flow's volunteer counts."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from reporting import handlers
from reporting.api.common import ServiceDep, Staff

router = APIRouter()


class VolunteerCounts(BaseModel):
    registered: int
    erased: int
    current: int
    minors: int


@router.get("/volunteers/count", response_model=VolunteerCounts, tags=["volunteers"])
async def count_volunteers(service: ServiceDep, _: Staff) -> VolunteerCounts:
    """Volunteers registered through the portal, erased on request, and current."""
    async with service.unit_of_work() as uow:
        return VolunteerCounts.model_validate(await handlers.volunteer_counts(uow))
