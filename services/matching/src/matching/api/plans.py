"""Plans: the best proposals for many tasks at once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from matching import proposals, tasks
from matching.api.common import STAFF, require_branch
from matching.api.proposals import ProposalView
from shared.auth import Principal, require_roles
from shared.service import Service, get_service
from shared.validation import CleanInput

router = APIRouter()


class PlanRequest(CleanInput):
    task_ids: list[uuid.UUID] = Field(min_length=1, max_length=2000)
    expires_in_hours: int = Field(default=48, ge=1, le=336)


class PlanView(BaseModel):
    plan_id: uuid.UUID
    total_points: int
    eligible_pairs: int
    proposals: list[ProposalView]


@router.post("/plans", response_model=PlanView, status_code=201, tags=["matching"])
async def make_plan(
    body: PlanRequest,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    """The best plan for many tasks at once (min-cost flow), sent out as proposals."""
    async with service.unit_of_work() as uow:
        for task_id in body.task_ids:
            require_branch(principal, (await tasks.get_task(uow, task_id)).branch_code)
        result = await proposals.make_plan(
            uow, body.task_ids, timedelta(hours=body.expires_in_hours)
        )
        views = [ProposalView.model_validate(p, from_attributes=True) for p in result.proposals]
    return PlanView(
        plan_id=result.plan_id,
        total_points=result.plan.total_points,
        eligible_pairs=result.plan.arcs,
        proposals=views,
    )
