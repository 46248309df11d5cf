"""A volunteer's milestones, as their page shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from matching import milestones
from matching.api.common import volunteer_id_of
from shared.auth import Principal, require_roles
from shared.service import Service, get_service

router = APIRouter(tags=["hours"])


class MilestoneView(BaseModel):
    milestone: str
    reached_at: datetime
    approved_hours: Decimal
    branch_id: uuid.UUID | None


@router.get("/me/milestones", response_model=list[MilestoneView])
async def my_milestones(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    """The milestones the volunteer reached (``first_shift``, ``hours_10``, ``hours_25``,
    ``hours_50``, ``hours_100``, ``one_year``), oldest first."""
    async with service.unit_of_work() as uow:
        found = await milestones.of_volunteer(uow, volunteer_id_of(principal))
    return [MilestoneView.model_validate(item, from_attributes=True) for item in found]
