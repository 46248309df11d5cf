"""Hours: logged by the volunteer or the coordinator, approved or rejected by the branch."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from matching import assignments, hours, hours_summary, tasks
from matching.api.common import STAFF, is_staff_for, require_branch, volunteer_id_of
from shared.auth import Principal, require_roles
from shared.problems import Problem
from shared.service import Service, get_service
from shared.validation import PageOffset

router = APIRouter()


class HoursView(BaseModel):
    id: uuid.UUID
    assignment_id: uuid.UUID
    task_id: uuid.UUID
    branch_code: str
    volunteer_id: uuid.UUID
    hours: Decimal
    worked_on: date
    status: str
    logged_by: str
    created_at: datetime
    decided_at: datetime | None


@router.post(
    "/assignments/{assignment_id}/hours",
    response_model=HoursView,
    status_code=201,
    tags=["hours"],
)
async def log_hours(
    assignment_id: uuid.UUID,
    body: hours.HoursInput,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF, "volunteer"))],
) -> Any:
    """The volunteer logs their hours, or the coordinator logs them for the volunteer."""
    async with service.unit_of_work() as uow:
        assignment = await assignments.get_assignment(uow, assignment_id)
        task = await tasks.get_task(uow, assignment.task_id)
        if is_staff_for(principal, task.branch_code):
            logged_by = "coordinator"
        elif principal.subject == str(assignment.volunteer_id):
            logged_by = "volunteer"
        else:
            raise Problem(403, "Forbidden", f"you may not log hours on {assignment_id}")
        entry = await hours.log_hours(uow, assignment, task, body, logged_by)
    return HoursView.model_validate(entry, from_attributes=True)


async def _decide_hours(
    service: Service, principal: Principal, entry_id: uuid.UUID, approve: bool
) -> HoursView:
    async with service.unit_of_work() as uow:
        entry = await hours.get_entry(uow, entry_id)
        require_branch(principal, entry.branch_code)
        await hours.decide(uow, entry, approve)
    return HoursView.model_validate(entry, from_attributes=True)


@router.post("/hours/{entry_id}/approve", response_model=HoursView, tags=["hours"])
async def approve_hours(
    entry_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    return await _decide_hours(service, principal, entry_id, approve=True)


@router.post("/hours/{entry_id}/reject", response_model=HoursView, tags=["hours"])
async def reject_hours(
    entry_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    return await _decide_hours(service, principal, entry_id, approve=False)


HoursStatus = Literal["logged", "approved", "rejected"]


@router.get("/tasks/{task_id}/hours", response_model=list[HoursView], tags=["hours"])
async def task_hours(
    task_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF, "trainer"))],
    status: Annotated[HoursStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[PageOffset, Query()] = 0,
) -> Any:
    async with service.unit_of_work() as uow:
        task = await tasks.get_task(uow, task_id)
        require_branch(principal, task.branch_code)
        found = await hours.list_entries(
            uow, task_id=task_id, status=status, limit=limit, offset=offset
        )
    return [HoursView.model_validate(entry, from_attributes=True) for entry in found]


class DateToLogView(BaseModel):
    occurrence_id: uuid.UUID
    assignment_id: uuid.UUID
    task_id: uuid.UUID
    task_title: str
    branch_code: str
    occurrence_date: date
    until: date
    starts_at: datetime | None
    ends_at: datetime | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    suggested_hours: Decimal | None
    from_checkin: bool


class HoursSummaryView(BaseModel):
    approved_this_year: Decimal
    approved_all_time: Decimal
    waiting: Decimal
    to_log: list[DateToLogView]


@router.get("/me/hours/summary", response_model=HoursSummaryView, tags=["hours"])
async def my_hours_summary(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    """Approved hours this year and in all, hours waiting for approval, and the past dates
    still without hours, each with suggested hours (from the kiosk's check-in and check-out
    where there were, else the shift's length) to log with ``POST
    /v1/assignments/{assignment_id}/hours``."""
    async with service.unit_of_work() as uow:
        found = await hours_summary.summary(uow, volunteer_id_of(principal))
    return HoursSummaryView(
        approved_this_year=found.approved_this_year,
        approved_all_time=found.approved_all_time,
        waiting=found.waiting,
        to_log=[
            DateToLogView(
                occurrence_id=item.occurrence.id,
                assignment_id=item.occurrence.assignment_id,
                task_id=item.task.id,
                task_title=item.task.title,
                branch_code=item.task.branch_code,
                occurrence_date=item.occurrence.occurrence_date,
                until=item.occurrence.until,
                starts_at=item.occurrence.starts_at,
                ends_at=item.occurrence.ends_at,
                checked_in_at=item.occurrence.checked_in_at,
                checked_out_at=item.occurrence.checked_out_at,
                suggested_hours=item.suggested,
                from_checkin=item.from_checkin,
            )
            for item in found.to_log
        ],
    )


@router.get("/me/hours", response_model=list[HoursView], tags=["hours"])
async def my_hours(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
    status: Annotated[HoursStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[PageOffset, Query()] = 0,
) -> Any:
    volunteer_id = volunteer_id_of(principal)
    async with service.unit_of_work() as uow:
        found = await hours.list_entries(
            uow, volunteer_id=volunteer_id, status=status, limit=limit, offset=offset
        )
    return [HoursView.model_validate(entry, from_attributes=True) for entry in found]
