"""Matching's HTTP API: thin routes that authorize and call a use case."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from html import escape
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field, StringConstraints

from matching import (
    agreements,
    assignments,
    child_protection,
    feeds,
    handlers,
    hours,
    proposals,
    tasks,
    volunteer_access,
)
from matching.domain.matching import ReasonCode
from matching.settings import MatchingSettings
from shared.auth import Principal, require_roles
from shared.problems import Problem
from shared.service import Service, get_service
from shared.validation import CleanInput, Code, PageOffset, SingleLine

router = APIRouter(prefix="/v1", tags=["volunteers"])


class VolunteerView(BaseModel):
    id: uuid.UUID
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    birth_date: date | None
    districts: list[str]
    skills: list[str]
    interests: list[str]
    languages: list[str]
    availability: list[dict[str, Any]]
    consent_email: bool
    consent_sms: bool
    guardian: dict[str, Any] | None
    registered_at: datetime
    erased_at: datetime | None


@router.get("/volunteers/{volunteer_id}", response_model=VolunteerView)
async def read_volunteer(
    volunteer_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("coordinator"))],
) -> Any:
    """A volunteer's profile: the city office, or a coordinator of a branch the volunteer is
    linked to (an application, proposal, assignment or agreement there); otherwise 404."""
    async with service.unit_of_work() as uow:
        volunteer = await volunteer_access.require_linked(uow, principal, volunteer_id)
    return VolunteerView.model_validate(volunteer, from_attributes=True)


@router.get("/me", response_model=VolunteerView)
async def read_my_profile(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    """The volunteer's own profile (their token's subject is their volunteer id)."""
    volunteer_id = volunteer_id_of(principal)
    async with service.unit_of_work() as uow:
        volunteer = await handlers.get_volunteer(uow, volunteer_id)
    if volunteer is None or volunteer.erased_at is not None:
        raise Problem(404, "Volunteer not found", f"no volunteer with id {volunteer_id}")
    return VolunteerView.model_validate(volunteer, from_attributes=True)


# -- tasks ---------------------------------------------------------------------------------

STAFF = ("coordinator",)
ANYONE = ("coordinator", "trainer", "volunteer")


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
    status: str
    cancel_reason: str | None
    calendar_id: str | None


class CancelRequest(CleanInput):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = None


def _require_branch(principal: Principal, branch_code: str) -> None:
    if not principal.can_act_for_branch(branch_code):
        raise Problem(403, "Forbidden", f"you do not act for branch {branch_code!r}")


@router.post("/tasks", response_model=TaskView, status_code=201, tags=["tasks"])
async def publish_task(
    body: tasks.TaskInput,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    """A coordinator publishes a task at their branch (enrolled in the open edition)."""
    _require_branch(principal, body.branch_code)
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
        _require_branch(principal, task.branch_code)
        task = await tasks.change_task(uow, task, body)
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
        _require_branch(principal, task.branch_code)
        task = await tasks.cancel_task(uow, task, body.reason)
    return TaskView.model_validate(task, from_attributes=True)


@router.get("/tasks", response_model=list[TaskView], tags=["tasks"])
async def list_tasks(
    service: Annotated[Service, Depends(get_service)],
    _: Annotated[Principal, Depends(require_roles(*ANYONE))],
    branch_code: Annotated[Code | None, Query(max_length=64)] = None,
    status: Annotated[Literal["published", "cancelled"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[PageOffset, Query()] = 0,
) -> Any:
    """Tasks are public within the programme: volunteers browse them to apply."""
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


class ChildProtectionView(BaseModel):
    id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_code: str | None = Field(description="the branch it was recorded for")
    recorded_by: str | None = Field(description="the subject of the staff member who recorded it")
    recorded_at: datetime
    register_checked_on: date = Field(description="the day the sex-offender register was checked")
    criminal_record_on: date | None = Field(description="the criminal-record certificate's date")
    expires_on: date = Field(description="the first day it no longer opens work with children")
    opens_work_with_children: bool = Field(description="today, if it is the volunteer's latest")


def _check_view(check: Any, *, latest: bool) -> ChildProtectionView:
    holds = child_protection.protection(check).valid_on(child_protection.warsaw_today())
    return ChildProtectionView.model_validate(
        {**check.model_dump(), "opens_work_with_children": latest and holds}
    )


@router.put(
    "/volunteers/{volunteer_id}/child-protection-check",
    response_model=ChildProtectionView,
    tags=["volunteers"],
)
async def record_child_protection_check(
    volunteer_id: uuid.UUID,
    body: child_protection.CheckInput,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    """A coordinator records what they saw (register check, certificate) for their branch,
    for a volunteer linked to it; it becomes the check that counts."""
    settings = service.settings
    assert isinstance(settings, MatchingSettings)
    async with service.unit_of_work() as uow:
        volunteer = await volunteer_access.require_linked(
            uow, principal, volunteer_id, branch_code=body.branch_code
        )
        check = await child_protection.record_check(
            uow,
            volunteer,
            body,
            recorded_by=principal.subject,
            valid_months=settings.child_protection_valid_months,
            today=child_protection.warsaw_today(),
        )
        return _check_view(check, latest=True)


@router.get(
    "/volunteers/{volunteer_id}/child-protection-checks",
    response_model=list[ChildProtectionView],
    tags=["volunteers"],
)
async def list_child_protection_checks(
    volunteer_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    """The volunteer's checks, the one that counts first (staff of a linked branch)."""
    async with service.unit_of_work() as uow:
        await volunteer_access.require_linked(uow, principal, volunteer_id)
        found = await child_protection.checks_of(uow, volunteer_id)
        return [_check_view(check, latest=index == 0) for index, check in enumerate(found)]


class SweepView(BaseModel):
    expiring: int
    expired: int


@router.post("/child-protection-checks/sweep", response_model=SweepView, tags=["volunteers"])
async def sweep_child_protection_checks(
    service: Annotated[Service, Depends(get_service)],
    _: Annotated[Principal, Depends(require_roles())],
) -> Any:
    """For a scheduler (city_admin token): tell branches now about checks that expire soon or
    have expired. Every replica also sweeps on its own; a check is told of once either way."""
    settings = service.settings
    assert isinstance(settings, MatchingSettings)
    async with service.unit_of_work() as uow:
        result = await child_protection.sweep(
            uow,
            today=child_protection.warsaw_today(),
            notice_days=settings.child_protection_notice_days,
        )
    return SweepView(expiring=result.expiring, expired=result.expired)


# -- applications and assignments -------------------------------------------------------


class ApplicationView(BaseModel):
    id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    status: str
    created_at: datetime
    decided_at: datetime | None
    volunteer_name: str | None = Field(default=None, description="in the coordinator's list")


class AssignmentView(BaseModel):
    id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    application_id: uuid.UUID | None
    proposal_id: uuid.UUID | None
    status: str
    created_at: datetime
    changed_at: datetime


def volunteer_id_of(principal: Principal) -> uuid.UUID:
    """A volunteer's token carries their volunteer id as ``sub``."""
    try:
        return uuid.UUID(principal.subject)
    except ValueError as error:
        raise Problem(403, "Forbidden", "the token's subject is not a volunteer id") from error


def _is_staff_for(principal: Principal, task_branch: str) -> bool:
    staff = principal.has_any_role(("city_admin", "coordinator"))
    return staff and principal.can_act_for_branch(task_branch)


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
        _require_branch(principal, task.branch_code)
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
        _require_branch(principal, task.branch_code)
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
        _require_branch(principal, task.branch_code)
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
        if not _is_staff_for(principal, task.branch_code) and not (own and cancelling):
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


# -- the matching engine: candidates, plans and proposals -------------------------------


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
        _require_branch(principal, task.branch_code)
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


class PlanRequest(CleanInput):
    task_ids: list[uuid.UUID] = Field(min_length=1, max_length=2000)
    expires_in_hours: int = Field(default=48, ge=1, le=336)


class ProposalView(BaseModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    points: int
    status: str
    expires_at: datetime
    created_at: datetime
    responded_at: datetime | None


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
            _require_branch(principal, (await tasks.get_task(uow, task_id)).branch_code)
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


class ProposalRequest(CleanInput):
    volunteer_id: uuid.UUID
    expires_in_hours: int = Field(default=48, ge=1, le=336)


@router.post(
    "/tasks/{task_id}/proposals", response_model=ProposalView, status_code=201, tags=["matching"]
)
async def propose_candidate(
    task_id: uuid.UUID,
    body: ProposalRequest,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    """The coordinator proposes one ranked candidate; the engine must find them eligible."""
    async with service.unit_of_work() as uow:
        task = await tasks.get_task(uow, task_id, for_update=True)
        _require_branch(principal, task.branch_code)
        linked = await volunteer_access.visible_to(uow, principal, [body.volunteer_id])
        proposal = await proposals.propose(
            uow,
            task,
            body.volunteer_id,
            timedelta(hours=body.expires_in_hours),
            explain=body.volunteer_id in linked,
        )
        return ProposalView.model_validate(proposal, from_attributes=True)


@router.get("/me/proposals", response_model=list[ProposalView], tags=["matching"])
async def my_proposals(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[PageOffset, Query()] = 0,
) -> Any:
    volunteer_id = volunteer_id_of(principal)
    async with service.unit_of_work() as uow:
        found = await proposals.list_for_volunteer(uow, volunteer_id, limit, offset)
    return [ProposalView.model_validate(p, from_attributes=True) for p in found]


class ExpiryView(BaseModel):
    expired: int


@router.post("/proposals/expire-overdue", response_model=ExpiryView, tags=["matching"])
async def expire_overdue_proposals(
    service: Annotated[Service, Depends(get_service)],
    _: Annotated[Principal, Depends(require_roles())],
) -> Any:
    """For a scheduler (city_admin token): overdue proposals expire now. Plans and answers
    also expire overdue proposals on their way, so this only makes it timely."""
    async with service.unit_of_work() as uow:
        count = await proposals.expire_overdue(uow)
    return ExpiryView(expired=count)


async def _answer(
    service: Service, principal: Principal, proposal_id: uuid.UUID, accept: bool
) -> ProposalView:
    async with service.unit_of_work() as uow:
        proposal = await proposals.get_proposal(uow, proposal_id)
        if principal.subject != str(proposal.volunteer_id) and "city_admin" not in principal.roles:
            raise Problem(403, "Forbidden", "this proposal was made to someone else")
        await proposals.respond(uow, proposal, accept=accept)
    return ProposalView.model_validate(proposal, from_attributes=True)


@router.post("/proposals/{proposal_id}/accept", response_model=ProposalView, tags=["matching"])
async def accept_proposal(
    proposal_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    """The volunteer accepts their proposal: the place is confirmed (if still free)."""
    return await _answer(service, principal, proposal_id, accept=True)


@router.post("/proposals/{proposal_id}/decline", response_model=ProposalView, tags=["matching"])
async def decline_proposal(
    proposal_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    return await _answer(service, principal, proposal_id, accept=False)


def _link_secret(service: Service) -> str:
    settings = service.settings
    assert isinstance(settings, MatchingSettings)
    return settings.proposal_link_secret


_ANSWERS = {"accept": "przyjąć", "decline": "odrzucić"}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="pl"><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<body><h1>{escape(title)}</h1>{body}</body></html>",
        status_code=status,
    )


@router.get("/proposals/{proposal_id}/respond", response_class=HTMLResponse, tags=["matching"])
async def respond_link_page(
    proposal_id: uuid.UUID,
    token: Annotated[SingleLine, Query(min_length=10, max_length=2000)],
    service: Annotated[Service, Depends(get_service)],
) -> Any:
    """The no-login link from an email: shows the choice and asks to confirm it, so that a
    mail scanner that opens links changes nothing."""
    secret = _link_secret(service)
    async with service.unit_of_work() as uow:
        _, action = await proposals.respond_by_link(uow, secret, proposal_id, token, dry_run=True)
    form = (
        f'<form method="post"><input type="hidden" name="token" value="{escape(token)}">'
        f'<button type="submit">Potwierdzam: chcę {_ANSWERS[action]} propozycję</button></form>'
    )
    return _page("Propozycja wolontariatu", form)


@router.post("/proposals/{proposal_id}/respond", response_class=HTMLResponse, tags=["matching"])
async def respond_link(
    proposal_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    request: Request,
    token: Annotated[SingleLine | None, Query(max_length=2000)] = None,
) -> Any:
    """Apply the link's answer once (the token comes in the form or the query)."""
    body = (await request.body())[:4096].decode("utf-8", errors="replace")
    form_token = parse_qs(body).get("token", [None])[0]
    given = form_token or token
    if not given or len(given) > 2000:
        raise Problem(422, "Invalid request", "token: required, at most 2000 characters")
    secret = _link_secret(service)
    async with service.unit_of_work() as uow:
        _, action = await proposals.respond_by_link(uow, secret, proposal_id, given)
    done = "Dziękujemy! Propozycja przyjęta." if action == "accept" else "Propozycja odrzucona."
    return _page("Propozycja wolontariatu", f"<p>{done}</p>")


# -- hours ----------------------------------------------------------------------------------


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
        if _is_staff_for(principal, task.branch_code):
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
        _require_branch(principal, entry.branch_code)
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
        _require_branch(principal, task.branch_code)
        found = await hours.list_entries(
            uow, task_id=task_id, status=status, limit=limit, offset=offset
        )
    return [HoursView.model_validate(entry, from_attributes=True) for entry in found]


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


# -- agreements and certificates ------------------------------------------------------------


class AgreementView(BaseModel):
    id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_code: str
    scope: str
    starts_on: date
    ends_on: date
    written_form_required: bool
    guardian_role: str
    guardian_name: str | None
    created_at: datetime


@router.post("/agreements", response_model=AgreementView, status_code=201, tags=["agreements"])
async def conclude_agreement(
    body: agreements.AgreementInput,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    """An agreement's terms: written form over 30 days; for minors, the guardian's role.
    The volunteer must be linked to the branch already (otherwise 404)."""
    _require_branch(principal, body.branch_code)
    async with service.unit_of_work() as uow:
        await volunteer_access.require_linked(
            uow, principal, body.volunteer_id, branch_code=body.branch_code
        )
        agreement = await agreements.conclude_agreement(uow, body)
    return AgreementView.model_validate(agreement, from_attributes=True)


@router.get("/agreements", response_model=list[AgreementView], tags=["agreements"])
async def list_agreements(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF, "volunteer"))],
    volunteer_id: Annotated[uuid.UUID | None, Query()] = None,
    branch_code: Annotated[Code | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[PageOffset, Query()] = 0,
) -> Any:
    """Staff see their branches' agreements; a volunteer sees their own."""
    scope: set[str] | None = None
    if "city_admin" not in principal.roles:
        if principal.has_any_role(("coordinator",)):
            scope = set(principal.branches)
        else:
            volunteer_id = volunteer_id_of(principal)
    if branch_code is not None:
        if scope is not None and branch_code not in scope:
            raise Problem(403, "Forbidden", f"you do not act for branch {branch_code!r}")
        scope = {branch_code}
    async with service.unit_of_work() as uow:
        found = await agreements.list_agreements(
            uow, volunteer_id=volunteer_id, branch_codes=scope, limit=limit, offset=offset
        )
    return [AgreementView.model_validate(item, from_attributes=True) for item in found]


class CertificateRequest(CleanInput):
    branch_code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    volunteer_id: uuid.UUID | None = Field(
        default=None, description="staff name the volunteer; a volunteer asks for themselves"
    )


class CertificateView(BaseModel):
    id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_code: str
    approved_hours: Decimal
    period_from: date
    period_to: date
    issued_at: datetime
    pdf_url: str


def _certificate_view(certificate: Any) -> CertificateView:
    return CertificateView(
        id=certificate.id,
        volunteer_id=certificate.volunteer_id,
        branch_code=certificate.branch_code,
        approved_hours=certificate.approved_hours,
        period_from=certificate.period_from,
        period_to=certificate.period_to,
        issued_at=certificate.issued_at,
        pdf_url=f"/v1/certificates/{certificate.id}/pdf",
    )


@router.post("/certificates", response_model=CertificateView, status_code=201, tags=["agreements"])
async def issue_certificate(
    body: CertificateRequest,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF, "volunteer"))],
) -> Any:
    """A certificate on request: the volunteer asks, or their branch's coordinator issues it."""
    for_staff = principal.has_any_role(("city_admin", "coordinator"))
    if for_staff and body.volunteer_id is not None:
        _require_branch(principal, body.branch_code)
        volunteer_id = body.volunteer_id
    else:
        for_staff = False
        volunteer_id = volunteer_id_of(principal)
    async with service.unit_of_work() as uow:
        if for_staff:
            await volunteer_access.require_linked(
                uow, principal, volunteer_id, branch_code=body.branch_code
            )
        certificate = await agreements.issue_certificate(uow, volunteer_id, body.branch_code)
    return _certificate_view(certificate)


@router.get("/certificates/{certificate_id}/pdf", tags=["agreements"])
async def certificate_pdf(
    certificate_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF, "volunteer"))],
) -> Response:
    async with service.unit_of_work() as uow:
        certificate = await agreements.get_certificate(uow, certificate_id)
    own = principal.subject == str(certificate.volunteer_id)
    if not own and not _is_staff_for(principal, certificate.branch_code):
        raise Problem(403, "Forbidden", "this certificate belongs to someone else")
    assert certificate.pdf is not None
    return Response(
        certificate.pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'inline; filename="zaswiadczenie-{certificate.id}.pdf"'},
    )


# -- the personal iCal feed -------------------------------------------------------------------


class FeedLink(BaseModel):
    url: str


@router.post("/me/calendar-feed", response_model=FeedLink, status_code=201, tags=["calendar"])
async def create_calendar_feed(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    """A new unguessable link to the volunteer's confirmed shifts (the old one stops working)."""
    volunteer_id = volunteer_id_of(principal)
    async with service.unit_of_work() as uow:
        token = await feeds.create_feed(uow, volunteer_id)
    return FeedLink(url=f"/v1/calendar-feeds/{token}.ics")


@router.get("/calendar-feeds/{token}.ics", tags=["calendar"])
async def calendar_feed(
    token: Annotated[str, Path(min_length=20, max_length=100)],
    service: Annotated[Service, Depends(get_service)],
) -> Response:
    """No login: the link itself is the secret (only its digest is stored)."""
    async with service.unit_of_work() as uow:
        body = await feeds.render_feed(uow, token)
    return Response(body, media_type="text/calendar; charset=utf-8")
