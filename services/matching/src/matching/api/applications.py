"""Applications to a task: a volunteer applies, the coordinator accepts or rejects."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from matching import assignments, tasks
from matching.api.common import STAFF, require_branch, volunteer_id_of
from shared.auth import Principal, require_roles
from shared.service import Service, get_service
from shared.validation import PageOffset

router = APIRouter()


class ApplicationView(BaseModel):
    id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    status: str
    created_at: datetime
    decided_at: datetime | None
    volunteer_name: str | None = Field(default=None, description="in the coordinator's list")


@router.post(
    "/tasks/{task_id}/applications",
    response_model=ApplicationView,
    status_code=201,
    tags=["applications"],
)
async def apply_to_task(
    task_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    """A volunteer applies (their token's subject is their volunteer id)."""
    volunteer_id = volunteer_id_of(principal)
    async with service.unit_of_work() as uow:
        application = await assignments.apply(uow, task_id, volunteer_id)
    return ApplicationView.model_validate(application, from_attributes=True)


@router.get(
    "/tasks/{task_id}/applications", response_model=list[ApplicationView], tags=["applications"]
)
async def list_applications(
    task_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
    status: Annotated[
        Literal["submitted", "waitlisted", "accepted", "rejected"] | None, Query()
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[PageOffset, Query()] = 0,
) -> Any:
    async with service.unit_of_work() as uow:
        task = await tasks.get_task(uow, task_id)
        require_branch(principal, task.branch_code)
        found = await assignments.list_applications(uow, task_id, status, limit, offset)
    return [
        ApplicationView.model_validate(item, from_attributes=True).model_copy(
            update={"volunteer_name": name}
        )
        for item, name in found
    ]


async def _decide_application(
    service: Service, principal: Principal, application_id: uuid.UUID, accept: bool
) -> ApplicationView:
    async with service.unit_of_work() as uow:
        application = await assignments.get_application(uow, application_id)
        task = await tasks.get_task(uow, application.task_id, for_update=True)
        require_branch(principal, task.branch_code)
        if accept:
            await assignments.accept(uow, application, task)
        else:
            await assignments.reject(uow, application, task)
    return ApplicationView.model_validate(application, from_attributes=True)


@router.post(
    "/applications/{application_id}/accept", response_model=ApplicationView, tags=["applications"]
)
async def accept_application(
    application_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    """The coordinator accepts: a confirmed place, if one is free and nothing clashes."""
    return await _decide_application(service, principal, application_id, accept=True)


@router.post(
    "/applications/{application_id}/reject", response_model=ApplicationView, tags=["applications"]
)
async def reject_application(
    application_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    return await _decide_application(service, principal, application_id, accept=False)
