"""Applications to a task: a volunteer applies, the coordinator accepts or rejects."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from matching import assignments, tasks, withdrawals
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
        Literal["submitted", "waitlisted", "accepted", "rejected", "withdrawn"] | None, Query()
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


class MyApplicationView(ApplicationView):
    task_title: str
    branch_code: str
    starts_at: datetime
    ends_at: datetime
    position: int | None = Field(description="on the waitlist: 1 is the next to get a place")


@router.get("/me/applications", response_model=list[MyApplicationView], tags=["applications"])
async def my_applications(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[PageOffset, Query()] = 0,
) -> Any:
    """The volunteer's applications: applied, accepted, waitlisted (with the position),
    rejected or withdrawn."""
    async with service.unit_of_work() as uow:
        found = await withdrawals.my_applications(
            uow, volunteer_id_of(principal), limit=limit, offset=offset
        )
    return [
        MyApplicationView(
            **ApplicationView.model_validate(item.application, from_attributes=True).model_dump(),
            task_title=item.task.title,
            branch_code=item.task.branch_code,
            starts_at=item.task.starts_at,
            ends_at=item.task.ends_at,
            position=item.position,
        )
        for item in found
    ]


@router.post(
    "/applications/{application_id}/withdraw",
    response_model=ApplicationView,
    tags=["applications"],
)
async def withdraw_application(
    application_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    """The volunteer withdraws their own application; an accepted one gives up its place
    (the next person waiting gets it)."""
    async with service.unit_of_work() as uow:
        application = await withdrawals.withdraw(uow, application_id, volunteer_id_of(principal))
    return ApplicationView.model_validate(application, from_attributes=True)
