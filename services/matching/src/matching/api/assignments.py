"""Assignments: a task's confirmed places, cancelled, completed or marked no-show."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from matching import assignments, tasks
from matching.api.common import STAFF, is_staff_for, require_branch, volunteer_id_of
from shared.auth import Principal, require_roles
from shared.problems import Problem
from shared.service import Service, get_service
from shared.validation import PageOffset

router = APIRouter()


class AssignmentView(BaseModel):
    id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    application_id: uuid.UUID | None
    proposal_id: uuid.UUID | None
    status: str
    created_at: datetime
    changed_at: datetime


@router.get(
    "/tasks/{task_id}/assignments", response_model=list[AssignmentView], tags=["assignments"]
)
async def list_task_assignments(
    task_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF, "trainer"))],
    status: Annotated[
        Literal["confirmed", "cancelled", "completed", "no_show"] | None, Query()
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[PageOffset, Query()] = 0,
) -> Any:
    async with service.unit_of_work() as uow:
        task = await tasks.get_task(uow, task_id)
        require_branch(principal, task.branch_code)
        found = await assignments.list_assignments(
            uow, task_id=task_id, status=status, limit=limit, offset=offset
        )
    return [AssignmentView.model_validate(item, from_attributes=True) for item in found]


@router.get("/me/assignments", response_model=list[AssignmentView], tags=["assignments"])
async def my_assignments(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
    status: Annotated[
        Literal["confirmed", "cancelled", "completed", "no_show"] | None, Query()
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[PageOffset, Query()] = 0,
) -> Any:
    volunteer_id = volunteer_id_of(principal)
    async with service.unit_of_work() as uow:
        found = await assignments.list_assignments(
            uow, volunteer_id=volunteer_id, status=status, limit=limit, offset=offset
        )
    return [AssignmentView.model_validate(item, from_attributes=True) for item in found]


async def _finish(
    service: Service, principal: Principal, assignment_id: uuid.UUID, outcome: str
) -> AssignmentView:
    """Coordinators cancel, complete or mark a no-show; a volunteer may cancel their own."""
    async with service.unit_of_work() as uow:
        assignment = await assignments.get_assignment(uow, assignment_id)
        task = await tasks.get_task(uow, assignment.task_id, for_update=True)
        own = principal.subject == str(assignment.volunteer_id)
        cancelling = outcome == assignments.ASSIGNMENT_CANCELLED
        if not is_staff_for(principal, task.branch_code) and not (own and cancelling):
            raise Problem(403, "Forbidden", f"you may not change assignment {assignment_id}")
        await assignments.finish(uow, assignment, task, outcome)
    return AssignmentView.model_validate(assignment, from_attributes=True)


@router.post(
    "/assignments/{assignment_id}/cancel", response_model=AssignmentView, tags=["assignments"]
)
async def cancel_assignment(
    assignment_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF, "volunteer"))],
) -> Any:
    """The place is given up; the next person on the waitlist gets it."""
    return await _finish(service, principal, assignment_id, assignments.ASSIGNMENT_CANCELLED)


@router.post(
    "/assignments/{assignment_id}/complete", response_model=AssignmentView, tags=["assignments"]
)
async def complete_assignment(
    assignment_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    return await _finish(service, principal, assignment_id, assignments.COMPLETED)


@router.post(
    "/assignments/{assignment_id}/no-show", response_model=AssignmentView, tags=["assignments"]
)
async def no_show_assignment(
    assignment_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    return await _finish(service, principal, assignment_id, assignments.NO_SHOW)
