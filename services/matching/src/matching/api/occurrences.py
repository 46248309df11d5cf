"""Shifts by date: a task's roster per date and attendance marks (coordinators); a
volunteer's own dates, "I can't come this time" and the pass shown at the branch's kiosk."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from matching import branches, checkin, excusals, tasks
from matching.api.common import ANYONE, STAFF, require_branch, volunteer_id_of
from matching.settings import MatchingSettings
from matching.tables import Branch
from shared.auth import Principal, require_roles
from shared.problems import Problem
from shared.service import Service, get_service
from shared.validation import CleanInput, Code, PageOffset

router = APIRouter()


class ShiftView(BaseModel):
    id: uuid.UUID
    assignment_id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    occurrence_date: date
    until: date
    starts_at: datetime | None
    ends_at: datetime | None
    state: str
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    hours_entry_id: uuid.UUID | None


class RosterLineView(ShiftView):
    name: str | None


class RosterDateView(BaseModel):
    occurrence_date: date
    until: date
    starts_at: datetime | None
    ends_at: datetime | None
    places: int
    taken: int
    shifts: list[RosterLineView]


class OpeningHoursView(BaseModel):
    day: str
    opens: str
    closes: str


class PlaceView(BaseModel):
    """Where to go: the branch by its name, address, opening hours and the city's map."""

    code: str
    name: str
    address: str | None
    opening_hours: list[OpeningHoursView]
    map_url: str | None


class MyShiftView(ShiftView):
    code: str
    task_title: str
    task_type: str
    branch: PlaceView
    from_waitlist: bool = Field(
        description="a date given from the waitlist: giving it up declines it (no absence)"
    )


class PassView(BaseModel):
    occurrence_id: uuid.UUID
    token: str
    code: str
    expires_at: datetime


class AttendanceInput(CleanInput):
    model_config = ConfigDict(extra="forbid")

    state: Literal["attended", "absent", "excused"]


def place_of(branch: Branch | None, code: str) -> PlaceView:
    if branch is None:
        return PlaceView(code=code, name=code, address=None, opening_hours=[], map_url=None)
    return PlaceView(
        code=branch.code,
        name=branch.name,
        address=branch.address,
        opening_hours=[OpeningHoursView.model_validate(item) for item in branch.opening_hours],
        map_url=branches.map_link(branch.address),
    )


def link_secret(service: Service) -> str:
    settings = service.settings
    assert isinstance(settings, MatchingSettings)
    return settings.proposal_link_secret


@router.get("/branches/{branch_code}/place", response_model=PlaceView, tags=["occurrences"])
async def branch_place(
    branch_code: Code,
    service: Annotated[Service, Depends(get_service)],
    _: Annotated[Principal, Depends(require_roles(*ANYONE))],
) -> Any:
    """Where a branch is (name, address, opening hours, map link), for every page that
    sends a person there."""
    async with service.unit_of_work() as uow:
        branch = await checkin.branch_of(uow, branch_code)
    return place_of(branch, branch.code)


@router.get(
    "/tasks/{task_id}/occurrences", response_model=list[RosterDateView], tags=["occurrences"]
)
async def task_roster(
    task_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF, "trainer"))],
) -> Any:
    """Each date of the task with its places and the people on it."""
    async with service.unit_of_work() as uow:
        task = await tasks.get_task(uow, task_id)
        require_branch(principal, task.branch_code)
        dates = await excusals.roster(uow, task)
    return [
        RosterDateView(
            occurrence_date=item.when.day,
            until=item.when.until,
            starts_at=item.when.starts_at,
            ends_at=item.when.ends_at,
            places=item.places,
            taken=item.taken,
            shifts=[
                RosterLineView.model_validate({**line.occurrence.model_dump(), "name": line.name})
                for line in item.lines
            ],
        )
        for item in dates
    ]


@router.post(
    "/occurrences/{occurrence_id}/attendance", response_model=ShiftView, tags=["occurrences"]
)
async def mark_attendance(
    occurrence_id: uuid.UUID,
    body: AttendanceInput,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    """The coordinator marks one date attended, absent or excused (from that day on)."""
    async with service.unit_of_work() as uow:
        occurrence, task = await excusals.occurrence_with_task(uow, occurrence_id)
        require_branch(principal, task.branch_code)
        await excusals.mark(uow, occurrence, task, body.state)
    return ShiftView.model_validate(occurrence, from_attributes=True)


@router.get("/me/occurrences", response_model=list[MyShiftView], tags=["occurrences"])
async def my_shifts(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
    since: Annotated[date | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[PageOffset, Query()] = 0,
) -> Any:
    """The volunteer's dates, one line each, with the branch to go to (``since``: from
    that day on)."""
    volunteer_id = volunteer_id_of(principal)
    async with service.unit_of_work() as uow:
        found = await excusals.my_shifts(uow, volunteer_id, since=since, limit=limit, offset=offset)
    return [
        MyShiftView.model_validate(
            {
                **item.occurrence.model_dump(),
                "task_title": item.task.title,
                "task_type": item.task.type,
                "branch": place_of(item.branch, item.task.branch_code),
                "from_waitlist": item.from_waitlist,
            }
        )
        for item in found
    ]


@router.post("/occurrences/{occurrence_id}/excuse", response_model=ShiftView, tags=["occurrences"])
async def excuse(
    occurrence_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    """ "I can't come this time": the date's place goes to its waitlist. A date of the
    person's place in the series is excused and the coordinator told; a date only given to
    them from the waitlist is declined (no absence)."""
    async with service.unit_of_work() as uow:
        occurrence, task = await excusals.occurrence_with_task(uow, occurrence_id)
        if principal.subject != str(occurrence.volunteer_id):
            # Another person's date is not even said to exist.
            raise Problem(404, "Shift not found", f"no shift with id {occurrence_id}")
        await excusals.excuse(uow, occurrence, task)
    return ShiftView.model_validate(occurrence, from_attributes=True)


@router.post("/occurrences/{occurrence_id}/pass", response_model=PassView, tags=["occurrences"])
async def shift_pass(
    occurrence_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    """A short-lived signed pass (for a QR code) and the date's typed code, for the kiosk."""
    async with service.unit_of_work() as uow:
        occurrence, task = await excusals.occurrence_with_task(uow, occurrence_id)
        if principal.subject != str(occurrence.volunteer_id):
            # Another person's date is not even said to exist.
            raise Problem(404, "Shift not found", f"no shift with id {occurrence_id}")
        issued = checkin.issue_pass(link_secret(service), occurrence, task)
    return PassView(
        occurrence_id=occurrence.id,
        token=issued.token,
        code=issued.code,
        expires_at=issued.expires_at,
    )
