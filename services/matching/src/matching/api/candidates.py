"""A task's candidates, ranked by the matching engine with the reasons for each rank."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from matching import proposals, tasks, volunteer_access
from matching.api.common import STAFF, require_branch
from matching.domain.matching import ReasonCode
from shared.auth import Principal, require_roles
from shared.service import Service, get_service

router = APIRouter()


class ReasonView(BaseModel):
    """One part of a candidate's points, as data for a client to word in its own language."""

    code: ReasonCode = Field(
        description="skills, interests, languages (the task's languages the volunteer "
        "speaks), home_district, never_engaged (never asked or assigned) or last_engaged"
    )
    points: int = Field(description="the points this part adds")
    values: list[str] = Field(
        description="the matched skills, interests or language codes (sorted), or the "
        "home district's slug; empty for never_engaged and last_engaged"
    )
    days: int | None = Field(
        default=None, description="last_engaged: days since last asked or assigned"
    )


class CandidateView(BaseModel):
    """What deciding needs; the volunteer's record opens to the branch once they are linked
    to it (an application, proposal, assignment or agreement)."""

    volunteer_id: uuid.UUID
    first_name: str | None
    age_band: str | None = Field(
        description="age on the task's day: 0-12, 13-15, 16-17, 18-25, 26-59 or 60+"
    )
    linked: bool = Field(description="linked to the task's branch: its record is visible")
    rank: int
    points: int
    reasons: list[str] = Field(description="the reason_details in English, one sentence each")
    reason_details: list[ReasonView]


@router.get("/tasks/{task_id}/candidates", response_model=list[CandidateView], tags=["matching"])
async def rank_candidates(
    task_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> Any:
    """Eligible volunteers for one task, best first, with the reasons for each rank."""
    async with service.unit_of_work() as uow:
        task = await tasks.get_task(uow, task_id)
        require_branch(principal, task.branch_code)
        found = await proposals.candidates(uow, task, limit)
        links = await volunteer_access.linked_branches(
            uow, [uuid.UUID(str(c.ranked.volunteer_id)) for c in found]
        )
    return [
        CandidateView(
            volunteer_id=uuid.UUID(str(c.ranked.volunteer_id)),
            first_name=c.first_name,
            age_band=c.age_band,
            linked=task.branch_code in links.get(uuid.UUID(str(c.ranked.volunteer_id)), set()),
            rank=c.ranked.rank,
            points=c.ranked.points,
            reasons=list(c.ranked.reasons),
            reason_details=[
                ReasonView(
                    code=reason.code,
                    points=reason.points,
                    values=list(reason.values),
                    days=reason.days,
                )
                for reason in c.ranked.details
            ],
        )
        for c in found
    ]
