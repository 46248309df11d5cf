"""Implementation stages, training, the volunteer programme, monitoring visits, reports."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from registry import branches, monitoring, programmes, reports, stages, training
from registry.access import CITY_ADMIN, ensure_in_scope, scope_of
from registry.api.common import (
    Admin,
    Coordinating,
    Limit,
    Monitoring,
    Offset,
    PageView,
    RegistryRoute,
    ServiceDep,
    Staff,
    page_of,
)
from registry.api.institutions import (
    EnrolmentView,
    enrolment_view,
    on_enrolment,
    scoped_enrolment,
)
from registry.commands import (
    AcceptReport,
    DistrictSlug,
    ModuleDetails,
    ProgrammeDraft,
    ReachStage,
    RecordAttendance,
    ReportDraft,
    SessionDetails,
    SubmitDocument,
    VisitChanges,
    VisitDetails,
)
from registry.domain import NotFound
from registry.domain.stages import Stage
from registry.domain.training import MeetingKind
from shared.auth import Principal

router = APIRouter(prefix="/v1", route_class=RegistryRoute)


class StageRecordView(BaseModel):
    stage: Stage
    previous_stage: Stage | None
    reached_on: date
    reason: str | None
    recorded_at: datetime


class ModuleView(BaseModel):
    id: uuid.UUID
    edition_id: uuid.UUID
    kind: MeetingKind
    number: int
    title: str
    description: str | None


class SessionView(BaseModel):
    id: uuid.UUID
    module_id: uuid.UUID
    held_on: date
    trainer_id: uuid.UUID | None
    topic: str
    place: str
    notes: str | None


class AttendanceView(BaseModel):
    session_id: uuid.UUID
    branch_code: str
    staff_id: uuid.UUID
    staff_name: str


class TrainingView(BaseModel):
    trained: bool
    attended: list[ModuleView]
    missing: list[ModuleView]


class ProgrammeView(BaseModel):
    enrolment_id: uuid.UUID
    spaces: str
    hours_available: str
    task_types: list[str]
    volunteer_profiles: str
    welcome_and_care: str
    status: str
    submitted_on: date | None
    accepted_on: date | None
    updated_at: datetime


class VisitView(BaseModel):
    id: uuid.UUID
    enrolment_id: uuid.UUID
    branch_code: str
    trainer_id: uuid.UUID
    visited_on: date
    notes: str
    next_steps: str | None
    follow_up_on: date | None
    recorded_at: datetime


class ReportView(BaseModel):
    enrolment_id: uuid.UUID
    summary: str
    volunteers_count: int
    volunteer_hours: Decimal
    tasks_carried_out: list[str]
    conclusions: str | None
    spent_pln: Decimal | None
    status: str
    submitted_on: date | None
    accepted_on: date | None
    updated_at: datetime


def _acting_subject(principal: Principal) -> str | None:
    """The trainer's own user id, unless the city office acts."""
    return None if CITY_ADMIN in principal.roles else principal.subject


def _view(model: type[BaseModel], row: Any, **extra: Any) -> Any:
    return model.model_validate({**row.model_dump(), **extra})


# -- stages ------------------------------------------------------------------------------------


@router.get(
    "/enrolments/{enrolment_id}/stages", response_model=list[StageRecordView], tags=["stages"]
)
async def stage_history(enrolment_id: uuid.UUID, service: ServiceDep, principal: Staff) -> Any:
    """Every stage the branch reached in this edition, in order, with dates and reasons."""
    async with service.unit_of_work() as uow:
        await scoped_enrolment(uow, enrolment_id, principal)
        return [_view(StageRecordView, r) for r in await stages.stage_history(uow, enrolment_id)]


@router.post("/enrolments/{enrolment_id}/stages", response_model=EnrolmentView, tags=["stages"])
async def reach_stage(
    enrolment_id: uuid.UUID, command: ReachStage, service: ServiceDep, principal: Monitoring
) -> Any:
    """The next stage; skipping one or moving back needs a reason."""
    async with service.unit_of_work() as uow:
        await scoped_enrolment(uow, enrolment_id, principal)
        enrolment = await stages.reach_stage(uow, enrolment_id, command)
        return enrolment_view(enrolment, await branches.get_branch(uow, enrolment.branch_id))


# -- training ----------------------------------------------------------------------------------


@router.post(
    "/editions/{edition_id}/modules", status_code=201, response_model=ModuleView, tags=["training"]
)
async def create_module(
    edition_id: uuid.UUID, details: ModuleDetails, service: ServiceDep, _: Admin
) -> Any:
    """A training module (every one counts towards "trained") or a coordinators' forum."""
    async with service.unit_of_work() as uow:
        return _view(ModuleView, await training.create_module(uow, edition_id, details))


@router.get("/editions/{edition_id}/modules", response_model=list[ModuleView], tags=["training"])
async def list_modules(edition_id: uuid.UUID, service: ServiceDep, _: Staff) -> Any:
    async with service.unit_of_work() as uow:
        return [_view(ModuleView, m) for m in await training.list_modules(uow, edition_id)]


@router.post(
    "/modules/{module_id}/sessions", status_code=201, response_model=SessionView, tags=["training"]
)
async def create_session(
    module_id: uuid.UUID, details: SessionDetails, service: ServiceDep, _: Admin
) -> Any:
    async with service.unit_of_work() as uow:
        return _view(SessionView, await training.create_session(uow, module_id, details))


@router.get("/modules/{module_id}/sessions", response_model=list[SessionView], tags=["training"])
async def list_sessions(module_id: uuid.UUID, service: ServiceDep, _: Staff) -> Any:
    async with service.unit_of_work() as uow:
        return [_view(SessionView, s) for s in await training.list_sessions(uow, module_id)]


@router.post(
    "/sessions/{session_id}/attendance",
    status_code=201,
    response_model=EnrolmentView,
    tags=["training"],
)
async def record_attendance(
    session_id: uuid.UUID, command: RecordAttendance, service: ServiceDep, principal: Monitoring
) -> Any:
    """A branch's staff member attended; returns the enrolment (trained once all modules are)."""
    async with service.unit_of_work() as uow:
        branch = await branches.get_branch(uow, command.branch_code)
        ensure_in_scope(principal, branch)
        _, enrolment = await training.record_attendance(uow, session_id, command)
        return enrolment_view(enrolment, branch)


@router.get(
    "/sessions/{session_id}/attendance", response_model=list[AttendanceView], tags=["training"]
)
async def list_attendance(session_id: uuid.UUID, service: ServiceDep, principal: Staff) -> Any:
    """Who attended, for the branches the caller may see."""
    async with service.unit_of_work() as uow:
        scope = await scope_of(uow, principal)
        return [
            AttendanceView(
                session_id=attendance.session_id,
                branch_code=branch.code,
                staff_id=staff.id,
                staff_name=staff.name,
            )
            for attendance, branch, staff in await training.attendance_of(uow, session_id)
            if scope.allows(branch.id)
        ]


@router.get("/enrolments/{enrolment_id}/training", response_model=TrainingView, tags=["training"])
async def training_progress(enrolment_id: uuid.UUID, service: ServiceDep, principal: Staff) -> Any:
    """Which modules the branch's staff attended and which are missing."""
    async with service.unit_of_work() as uow:
        enrolment, branch = await scoped_enrolment(uow, enrolment_id, principal)
        progress = await training.training_progress(uow, enrolment.edition_id, branch.id)
        return TrainingView(
            trained=progress.trained,
            attended=[_view(ModuleView, m) for m in progress.required if m.id in progress.attended],
            missing=[
                _view(ModuleView, m) for m in progress.required if m.id not in progress.attended
            ],
        )


# -- the volunteer programme -------------------------------------------------------------------


@router.put(
    "/enrolments/{enrolment_id}/programme", response_model=ProgrammeView, tags=["programme"]
)
async def save_programme(
    enrolment_id: uuid.UUID, draft: ProgrammeDraft, service: ServiceDep, principal: Coordinating
) -> Any:
    """Write the branch's volunteer programme (a draft until submitted)."""
    return await on_enrolment(
        service,
        enrolment_id,
        principal,
        lambda uow: programmes.save_programme(uow, enrolment_id, draft),
        ProgrammeView,
    )


@router.get(
    "/enrolments/{enrolment_id}/programme", response_model=ProgrammeView, tags=["programme"]
)
async def read_programme(enrolment_id: uuid.UUID, service: ServiceDep, principal: Staff) -> Any:
    async with service.unit_of_work() as uow:
        _, branch = await scoped_enrolment(uow, enrolment_id, principal)
        programme = await programmes.find_programme(uow, enrolment_id)
        if programme is None:
            raise NotFound(f"branch '{branch.code}' has no volunteer programme yet")
        return _view(ProgrammeView, programme)


@router.post(
    "/enrolments/{enrolment_id}/programme/submit",
    response_model=ProgrammeView,
    tags=["programme"],
)
async def submit_programme(
    enrolment_id: uuid.UUID,
    command: SubmitDocument,
    service: ServiceDep,
    principal: Coordinating,
) -> Any:
    """Submit the programme: a trained branch moves to "programme prepared"."""
    return await on_enrolment(
        service,
        enrolment_id,
        principal,
        lambda uow: programmes.submit_programme(uow, enrolment_id, command.submitted_on),
        ProgrammeView,
    )


# -- monitoring visits -------------------------------------------------------------------------


def _visit_view(visit: Any, branch_code: str) -> VisitView:
    return VisitView.model_validate({**visit.model_dump(), "branch_code": branch_code})


@router.post(
    "/enrolments/{enrolment_id}/visits",
    status_code=201,
    response_model=VisitView,
    tags=["monitoring"],
)
async def record_visit(
    enrolment_id: uuid.UUID, details: VisitDetails, service: ServiceDep, principal: Monitoring
) -> Any:
    """A trainer's monitoring visit: notes, agreed next steps, a follow-up date."""
    async with service.unit_of_work() as uow:
        _, branch = await scoped_enrolment(uow, enrolment_id, principal)
        visit = await monitoring.record_visit(
            uow, enrolment_id, details, acting_subject=_acting_subject(principal)
        )
        return _visit_view(visit, branch.code)


@router.patch("/visits/{visit_id}", response_model=VisitView, tags=["monitoring"])
async def update_visit(
    visit_id: uuid.UUID, changes: VisitChanges, service: ServiceDep, principal: Monitoring
) -> Any:
    async with service.unit_of_work() as uow:
        visit = await monitoring.get_visit(uow, visit_id)
        _, branch = await scoped_enrolment(uow, visit.enrolment_id, principal)
        visit = await monitoring.update_visit(
            uow, visit_id, changes, acting_subject=_acting_subject(principal)
        )
        return _visit_view(visit, branch.code)


@router.get("/visits", response_model=PageView[VisitView], tags=["monitoring"])
async def list_visits(
    service: ServiceDep,
    principal: Staff,
    limit: Limit = 50,
    offset: Offset = 0,
    edition: uuid.UUID | None = None,
    enrolment: uuid.UUID | None = None,
    trainer: uuid.UUID | None = None,
    district: DistrictSlug | None = None,
) -> Any:
    """Monitoring visits, latest first, for the branches the caller may see."""
    filters = monitoring.VisitFilters(
        edition_id=edition, enrolment_id=enrolment, trainer_id=trainer, district=district
    )
    async with service.unit_of_work() as uow:
        scope = await scope_of(uow, principal)
        page = await monitoring.list_visits(uow, filters, scope, limit=limit, offset=offset)
        items = [_visit_view(visit, branch.code) for visit, _, branch in page.items]
        return page_of(items, page.total, limit, offset)


# -- the annual report -------------------------------------------------------------------------


@router.put("/enrolments/{enrolment_id}/report", response_model=ReportView, tags=["report"])
async def save_report(
    enrolment_id: uuid.UUID, draft: ReportDraft, service: ServiceDep, principal: Coordinating
) -> Any:
    """Write the branch's annual report (sprawozdanie), a draft until submitted."""
    return await on_enrolment(
        service,
        enrolment_id,
        principal,
        lambda uow: reports.save_report(uow, enrolment_id, draft),
        ReportView,
    )


@router.get("/enrolments/{enrolment_id}/report", response_model=ReportView, tags=["report"])
async def read_report(enrolment_id: uuid.UUID, service: ServiceDep, principal: Staff) -> Any:
    async with service.unit_of_work() as uow:
        _, branch = await scoped_enrolment(uow, enrolment_id, principal)
        report = await reports.find_report(uow, enrolment_id)
        if report is None:
            raise NotFound(f"branch '{branch.code}' has no annual report yet")
        return _view(ReportView, report)


@router.post("/enrolments/{enrolment_id}/report/submit", response_model=ReportView, tags=["report"])
async def submit_report(
    enrolment_id: uuid.UUID,
    command: SubmitDocument,
    service: ServiceDep,
    principal: Coordinating,
) -> Any:
    return await on_enrolment(
        service,
        enrolment_id,
        principal,
        lambda uow: reports.submit_report(uow, enrolment_id, command.submitted_on),
        ReportView,
    )


@router.post("/enrolments/{enrolment_id}/report/accept", response_model=ReportView, tags=["report"])
async def accept_report(
    enrolment_id: uuid.UUID, command: AcceptReport, service: ServiceDep, _: Admin
) -> Any:
    """The city accepts the report; the branch reaches "evaluated"."""
    async with service.unit_of_work() as uow:
        return _view(ReportView, await reports.accept_report(uow, enrolment_id, command))
