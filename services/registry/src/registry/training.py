"""Use cases for training: modules, sessions, attendance and who is trained."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import col, select

from registry import events
from registry.branches import get_branch
from registry.commands import (
    ModuleDetails,
    RecordAttendance,
    SessionDetails,
)
from registry.domain import NotFound, RuleViolation
from registry.domain.editions import (
    EditionStatus,
)
from registry.domain.stages import Stage
from registry.domain.training import MeetingKind, is_trained
from registry.editions import edition_label, get_edition
from registry.enrolments import active_enrolment, find_enrolment
from registry.staff import get_staff, get_trainer
from registry.stages import move_stage
from registry.tables import (
    Attendance,
    Branch,
    Enrolment,
    StaffMember,
    TrainingModule,
    TrainingSession,
)
from shared.unit_of_work import UnitOfWork

# -- training ----------------------------------------------------------------------------------


async def create_module(
    uow: UnitOfWork, edition_id: uuid.UUID, details: ModuleDetails
) -> TrainingModule:
    edition = await get_edition(uow, edition_id)
    if edition.status == EditionStatus.CLOSED.value:
        raise RuleViolation(f"edition {edition_label(edition)} is closed")
    existing = (
        await uow.session.exec(
            select(TrainingModule).where(
                TrainingModule.edition_id == edition.id,
                TrainingModule.kind == details.kind.value,
                TrainingModule.number == details.number,
            )
        )
    ).first()
    if existing is not None:
        raise RuleViolation(
            f"edition {edition_label(edition)} already has {details.kind} {details.number}: "
            f"'{existing.title}'",
            title="Already exists",
        )
    module = TrainingModule(edition_id=edition.id, **details.model_dump())
    uow.session.add(module)
    await uow.session.flush()
    return module


async def list_modules(uow: UnitOfWork, edition_id: uuid.UUID) -> Sequence[TrainingModule]:
    await get_edition(uow, edition_id)
    query = (
        select(TrainingModule)
        .where(TrainingModule.edition_id == edition_id)
        .order_by(col(TrainingModule.kind), col(TrainingModule.number))
    )
    return (await uow.session.exec(query)).all()


async def get_module(uow: UnitOfWork, module_id: uuid.UUID) -> TrainingModule:
    module = await uow.session.get(TrainingModule, module_id)
    if module is None:
        raise NotFound(f"no training module with id '{module_id}'")
    return module


async def create_session(
    uow: UnitOfWork, module_id: uuid.UUID, details: SessionDetails
) -> TrainingSession:
    module = await get_module(uow, module_id)
    if details.trainer_id is not None:
        await get_trainer(uow, details.trainer_id)
    session = TrainingSession(module_id=module.id, **details.model_dump())
    uow.session.add(session)
    await uow.session.flush()
    return session


async def list_sessions(uow: UnitOfWork, module_id: uuid.UUID) -> Sequence[TrainingSession]:
    await get_module(uow, module_id)
    query = (
        select(TrainingSession)
        .where(TrainingSession.module_id == module_id)
        .order_by(col(TrainingSession.held_on))
    )
    return (await uow.session.exec(query)).all()


async def get_session(uow: UnitOfWork, session_id: uuid.UUID) -> TrainingSession:
    session = await uow.session.get(TrainingSession, session_id)
    if session is None:
        raise NotFound(f"no training session with id '{session_id}'")
    return session


@dataclass(frozen=True)
class TrainingProgress:
    required: list[TrainingModule]
    attended: set[uuid.UUID]

    @property
    def trained(self) -> bool:
        return is_trained([m.id for m in self.required], self.attended)


async def training_progress(
    uow: UnitOfWork, edition_id: uuid.UUID, branch_id: uuid.UUID
) -> TrainingProgress:
    required = (
        await uow.session.exec(
            select(TrainingModule)
            .where(
                TrainingModule.edition_id == edition_id,
                TrainingModule.kind == MeetingKind.MODULE.value,
            )
            .order_by(col(TrainingModule.number))
        )
    ).all()
    attended = (
        await uow.session.exec(
            select(TrainingSession.module_id)
            .join(Attendance, col(Attendance.session_id) == TrainingSession.id)
            .where(
                Attendance.branch_id == branch_id,
                col(TrainingSession.module_id).in_([m.id for m in required]),
            )
            .distinct()
        )
    ).all()
    return TrainingProgress(required=list(required), attended=set(attended))


async def record_attendance(
    uow: UnitOfWork, session_id: uuid.UUID, command: RecordAttendance
) -> tuple[Attendance, Enrolment]:
    """A branch's staff member attended; the branch is trained once every module is attended."""
    session = await get_session(uow, session_id)
    module = await get_module(uow, session.module_id)
    branch = await get_branch(uow, command.branch_code)
    staff = await get_staff(uow, command.staff_id)
    enrolment = await find_enrolment(uow, module.edition_id, branch.id)
    edition = await get_edition(uow, module.edition_id)
    if enrolment is None:
        raise RuleViolation(
            f"branch '{branch.code}' is not enrolled in edition {edition_label(edition)}"
        )
    enrolment, branch, edition = await active_enrolment(uow, enrolment.id)
    if await uow.session.get(Attendance, (session.id, staff.id, branch.id)) is not None:
        raise RuleViolation(
            f"{staff.name}'s attendance at this session for branch '{branch.code}' is already "
            "recorded",
            title="Already recorded",
        )
    attendance = Attendance(session_id=session.id, staff_id=staff.id, branch_id=branch.id)
    uow.session.add(attendance)
    await uow.session.flush()
    await uow.emit(
        events.TrainingAttended(
            branch_id=branch.id,
            code=branch.code,
            edition_id=edition.id,
            session_id=session.id,
            staff_id=staff.id,
            meeting="forum" if module.kind == MeetingKind.FORUM.value else "module",
            held_on=session.held_on,
        ),
        subject=branch.code,
    )
    if module.kind == MeetingKind.MODULE.value and enrolment.stage is None:
        progress = await training_progress(uow, edition.id, branch.id)
        if progress.trained:
            await move_stage(uow, enrolment, branch, Stage.TRAINED, reached_on=session.held_on)
    return attendance, enrolment


async def attendance_of(
    uow: UnitOfWork, session_id: uuid.UUID
) -> list[tuple[Attendance, Branch, StaffMember]]:
    await get_session(uow, session_id)
    query = (
        select(Attendance, Branch, StaffMember)
        .join(Branch, col(Branch.id) == Attendance.branch_id)
        .join(StaffMember, col(StaffMember.id) == Attendance.staff_id)
        .where(Attendance.session_id == session_id)
        .order_by(Branch.code, StaffMember.name)
    )
    return [(row[0], row[1], row[2]) for row in (await uow.session.exec(query)).all()]
