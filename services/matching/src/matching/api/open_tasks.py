"""Open tasks for the volunteer who asks: filtered, with the reasons a task is not for them
and their own application's state (a waitlisted one with its position)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from matching import open_tasks
from matching.api.common import volunteer_id_of
from matching.api.occurrences import PlaceView, place_of
from matching.api.tasks import TaskView
from matching.events import TaskType
from shared.auth import Principal, require_roles
from shared.service import Service, get_service
from shared.validation import Code, PageOffset

router = APIRouter(tags=["tasks"])


class ReasonView(BaseModel):
    code: str
    detail: str


class MyApplicationView(BaseModel):
    id: uuid.UUID
    status: str
    position: int | None


class TaskDateView(BaseModel):
    day: date
    starts_at: datetime | None
    ends_at: datetime | None
    until: date


class OpenTaskView(TaskView):
    branch: PlaceView
    district: str | None
    near: bool
    reasons: list[ReasonView]
    application: MyApplicationView | None
    dates: list[TaskDateView]


def _view(found: open_tasks.OpenTask) -> OpenTaskView:
    task = TaskView.model_validate(found.task, from_attributes=True)
    return OpenTaskView(
        **task.model_dump(exclude={"finished"}),
        branch=place_of(found.branch, found.task.branch_code),
        district=found.branch.district if found.branch else None,
        near=found.near,
        reasons=[ReasonView(code=item.code, detail=item.detail) for item in found.reasons],
        application=(
            MyApplicationView.model_validate(found.application, from_attributes=True)
            if found.application
            else None
        ),
        dates=[TaskDateView.model_validate(item, from_attributes=True) for item in found.dates],
    )


@router.get("/me/open-tasks", response_model=list[OpenTaskView])
async def my_open_tasks(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
    district: Annotated[Code | None, Query(max_length=64)] = None,
    from_day: Annotated[date | None, Query(alias="from")] = None,
    to_day: Annotated[date | None, Query(alias="to")] = None,
    type: Annotated[TaskType | None, Query()] = None,
    skill: Annotated[Code | None, Query(min_length=1, max_length=100)] = None,
    language: Annotated[str | None, Query(pattern=r"^[a-z]{2}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[PageOffset, Query()] = 0,
) -> Any:
    """Tasks with a date still to come, those in the volunteer's districts first; a task
    that is not for them is listed with its reasons (``age``, ``child_protection``,
    ``clash``)."""
    filters = open_tasks.Filters(district, from_day, to_day, type, skill, language)
    async with service.unit_of_work() as uow:
        found = await open_tasks.list_open_tasks(
            uow, volunteer_id_of(principal), filters, limit=limit, offset=offset
        )
    return [_view(item) for item in found]


@router.get("/me/open-tasks/{task_id}", response_model=OpenTaskView)
async def my_open_task(
    task_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    """A task's page for the volunteer: where, its dates to come, what to bring, whom to
    ask for, and whether it is for them."""
    async with service.unit_of_work() as uow:
        found = await open_tasks.open_task(uow, volunteer_id_of(principal), task_id)
    return _view(found)
