"""Tasks: published, changed and cancelled by a coordinator; browsed by everyone."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, StringConstraints, computed_field

from matching import task_changes, tasks
from matching.api.common import ANYONE, STAFF, require_branch
from shared.auth import Principal, require_roles
from shared.service import Service, get_service
from shared.validation import CleanInput, Code, PageOffset

router = APIRouter()


class TaskView(BaseModel):
    id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str
    type: str
    title: str
    description: str | None
    schedule_kind: str
    first_day: date
    last_day: date | None
    start: time | None
    end: time | None
    rrule: str | None
    hours: Decimal | None
    starts_at: datetime
    ends_at: datetime
    places: int
    min_age: int | None
    skills: list[str]
    with_children: bool
    what_to_bring: str | None
    contact_first_name: str | None
    languages: list[str]
    status: str
    cancel_reason: str | None
    calendar_id: str | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def finished(self) -> bool:
        """Published, and every date has passed: no longer open."""
        return self.status == tasks.PUBLISHED and self.ends_at <= datetime.now(UTC)


class CancelRequest(CleanInput):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = None


@router.post("/tasks", response_model=TaskView, status_code=201, tags=["tasks"])
async def publish_task(
    body: tasks.TaskInput,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    """A coordinator publishes a task at their branch (enrolled in the open edition)."""
    require_branch(principal, body.branch_code)
    async with service.unit_of_work() as uow:
        task = await tasks.publish_task(uow, body)
    return TaskView.model_validate(task, from_attributes=True)


@router.put("/tasks/{task_id}", response_model=TaskView, tags=["tasks"])
async def change_task(
    task_id: uuid.UUID,
    body: tasks.TaskInput,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    async with service.unit_of_work() as uow:
        task = await tasks.get_task(uow, task_id, for_update=True)
        require_branch(principal, task.branch_code)
        task = await task_changes.change_task(uow, task, body)
    return TaskView.model_validate(task, from_attributes=True)


@router.post("/tasks/{task_id}/cancel", response_model=TaskView, tags=["tasks"])
async def cancel_task(
    task_id: uuid.UUID,
    body: CancelRequest,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    async with service.unit_of_work() as uow:
        task = await tasks.get_task(uow, task_id, for_update=True)
        require_branch(principal, task.branch_code)
        task = await task_changes.cancel_task(uow, task, body.reason)
    return TaskView.model_validate(task, from_attributes=True)


@router.get("/tasks", response_model=list[TaskView], tags=["tasks"])
async def list_tasks(
    service: Annotated[Service, Depends(get_service)],
    _: Annotated[Principal, Depends(require_roles(*ANYONE))],
    branch_code: Annotated[Code | None, Query(max_length=64)] = None,
    status: Annotated[Literal["published", "finished", "cancelled"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[PageOffset, Query()] = 0,
) -> Any:
    """Tasks are public within the programme: volunteers browse them to apply.
    ``published`` are the open ones (a date still to come); ``finished`` are published
    tasks whose dates have all passed."""
    async with service.unit_of_work() as uow:
        found = await tasks.list_tasks(
            uow, branch_code=branch_code, status=status, limit=limit, offset=offset
        )
    return [TaskView.model_validate(task, from_attributes=True) for task in found]


@router.get("/tasks/{task_id}", response_model=TaskView, tags=["tasks"])
async def read_task(
    task_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    _: Annotated[Principal, Depends(require_roles(*ANYONE))],
) -> Any:
    async with service.unit_of_work() as uow:
        task = await tasks.get_task(uow, task_id)
    return TaskView.model_validate(task, from_attributes=True)
