"""Use cases for who works with a branch: coordinators, trainers and mentors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import col, select

from registry import events
from registry.branches import get_branch
from registry.clock import today
from registry.commands import (
    AssignCoordinator,
    AssignMentor,
    AssignTrainer,
)
from registry.domain import NotFound, RuleViolation
from registry.editions import edition_label
from registry.enrolments import active_enrolment, get_enrolment
from registry.staff import check_not_erased, contact, get_staff, get_trainer
from registry.tables import (
    Branch,
    CoordinatorAssignment,
    Enrolment,
    MentorAssignment,
    OrganisationAdministrator,
    StaffMember,
    Trainer,
    TrainerAssignment,
)
from shared.unit_of_work import UnitOfWork

# -- coordinators, trainers and mentors of branches ----------------------------------------


# A staff member's current tie to a branch (coordination) or an organisation (its
# administration): open until unassigned.
Tie = TypeVar("Tie", CoordinatorAssignment, OrganisationAdministrator)


async def current_tie(
    uow: UnitOfWork, table: type[Tie], to: Any, staff_id: uuid.UUID
) -> Tie | None:
    """The open tie of the staff member to what ``to`` selects (a column compared with an
    id), locked for the change about to be made."""
    query = select(table).where(to, table.staff_id == staff_id, col(table.unassigned_on).is_(None))
    return (await uow.session.exec(query.with_for_update())).first()


async def current_holders(
    uow: UnitOfWork, table: type[Tie], to: Any
) -> list[tuple[Tie, StaffMember]]:
    """Who holds the open ties to what ``to`` selects, by name."""
    query = (
        select(table, StaffMember)
        .join(StaffMember, col(StaffMember.id) == table.staff_id)
        .where(to, col(table.unassigned_on).is_(None))
        .order_by(StaffMember.name)
    )
    return [(row[0], row[1]) for row in (await uow.session.exec(query)).all()]


async def end_tie(uow: UnitOfWork, tie: Tie, on: date | None) -> None:
    """The tie ends on ``on`` (today by default), never before it began."""
    tie.unassigned_on = max(on or today(), tie.assigned_on)
    uow.session.add(tie)
    await uow.session.flush()


async def current_coordination(
    uow: UnitOfWork, branch_id: uuid.UUID, staff_id: uuid.UUID
) -> CoordinatorAssignment | None:
    to = CoordinatorAssignment.branch_id == branch_id
    return await current_tie(uow, CoordinatorAssignment, to, staff_id)


async def assign_coordinator(
    uow: UnitOfWork, key: str | uuid.UUID, command: AssignCoordinator
) -> CoordinatorAssignment:
    """A branch may have several coordinators; a person may coordinate several branches."""
    branch = await get_branch(uow, key)
    staff = await get_staff(uow, command.staff_id)
    check_not_erased(staff)
    if await current_coordination(uow, branch.id, staff.id) is not None:
        raise RuleViolation(
            f"{staff.name} already coordinates volunteers at branch '{branch.code}'",
            title="Already assigned",
        )
    assignment = CoordinatorAssignment(
        branch_id=branch.id, staff_id=staff.id, assigned_on=command.assigned_on or today()
    )
    uow.session.add(assignment)
    await uow.session.flush()
    await uow.emit(
        events.CoordinatorAssigned(
            branch_id=branch.id, code=branch.code, staff_id=staff.id, **contact(staff)
        ),
        subject=branch.code,
    )
    return assignment


async def unassign_coordinator(
    uow: UnitOfWork, key: str | uuid.UUID, staff_id: uuid.UUID, on: date | None = None
) -> CoordinatorAssignment:
    branch = await get_branch(uow, key)
    staff = await get_staff(uow, staff_id)
    assignment = await current_coordination(uow, branch.id, staff.id)
    if assignment is None:
        raise NotFound(f"{staff.name} does not coordinate volunteers at branch '{branch.code}'")
    await end_tie(uow, assignment, on)
    await uow.emit(
        events.CoordinatorUnassigned(
            branch_id=branch.id, code=branch.code, staff_id=staff.id, **contact(staff)
        ),
        subject=branch.code,
    )
    return assignment


async def coordinators_of(
    uow: UnitOfWork, branch_id: uuid.UUID | None = None
) -> list[tuple[CoordinatorAssignment, StaffMember]]:
    """A branch's coordinators now; every branch's without one (the city office's list)."""
    to = sa.true() if branch_id is None else CoordinatorAssignment.branch_id == branch_id
    return await current_holders(uow, CoordinatorAssignment, to)


async def assign_trainer(
    uow: UnitOfWork, enrolment_id: uuid.UUID, command: AssignTrainer
) -> TrainerAssignment:
    enrolment, branch, edition = await active_enrolment(uow, enrolment_id)
    trainer = await get_trainer(uow, command.trainer_id)
    check_not_erased(trainer)
    existing = (
        await uow.session.exec(
            select(TrainerAssignment).where(
                TrainerAssignment.enrolment_id == enrolment.id,
                TrainerAssignment.trainer_id == trainer.id,
            )
        )
    ).first()
    if existing is not None:
        raise RuleViolation(
            f"{trainer.name} is already assigned to branch '{branch.code}' in edition "
            f"{edition_label(edition)}",
            title="Already assigned",
        )
    assignment = TrainerAssignment(
        enrolment_id=enrolment.id, trainer_id=trainer.id, assigned_on=command.assigned_on or today()
    )
    uow.session.add(assignment)
    await uow.session.flush()
    await uow.emit(
        events.TrainerAssigned(
            branch_id=branch.id,
            code=branch.code,
            edition_id=edition.id,
            trainer_id=trainer.id,
            **contact(trainer),
        ),
        subject=branch.code,
    )
    return assignment


async def unassign_trainer(uow: UnitOfWork, enrolment_id: uuid.UUID, trainer_id: uuid.UUID) -> None:
    """The trainer no longer supports the branch in this edition; their access to it ends
    in every service when the event is consumed."""
    enrolment = await get_enrolment(uow, enrolment_id)
    branch = await get_branch(uow, enrolment.branch_id)
    trainer = await get_trainer(uow, trainer_id)
    assignment = (
        await uow.session.exec(
            select(TrainerAssignment)
            .where(
                TrainerAssignment.enrolment_id == enrolment.id,
                TrainerAssignment.trainer_id == trainer.id,
            )
            .with_for_update()
        )
    ).first()
    if assignment is None:
        raise NotFound(f"{trainer.name} is not assigned to branch '{branch.code}' in this edition")
    await uow.session.delete(assignment)
    await uow.session.flush()
    await uow.emit(
        events.TrainerUnassigned(
            branch_id=branch.id,
            code=branch.code,
            edition_id=enrolment.edition_id,
            trainer_id=trainer.id,
            **contact(trainer),
        ),
        subject=branch.code,
    )


async def announce_assignments(uow: UnitOfWork) -> int:
    """Tell every current coordinator and trainer assignment once more, so that a service
    that keeps a copy of them (``shared.staff_scope``) catches up. Returns how many."""
    coordinators = await uow.session.exec(
        select(CoordinatorAssignment, StaffMember, Branch)
        .join(StaffMember, col(StaffMember.id) == CoordinatorAssignment.staff_id)
        .join(Branch, col(Branch.id) == CoordinatorAssignment.branch_id)
        .where(col(CoordinatorAssignment.unassigned_on).is_(None))
        .order_by(col(CoordinatorAssignment.id))
    )
    told = 0
    for _, staff, branch in coordinators.all():
        await uow.emit(
            events.CoordinatorAssigned(
                branch_id=branch.id, code=branch.code, staff_id=staff.id, **contact(staff)
            ),
            subject=branch.code,
        )
        told += 1
    trainers = await uow.session.exec(
        select(TrainerAssignment, Trainer, Enrolment, Branch)
        .join(Trainer, col(Trainer.id) == TrainerAssignment.trainer_id)
        .join(Enrolment, col(Enrolment.id) == TrainerAssignment.enrolment_id)
        .join(Branch, col(Branch.id) == Enrolment.branch_id)
        .order_by(col(TrainerAssignment.id))
    )
    for _, trainer, enrolment, branch in trainers.all():
        await uow.emit(
            events.TrainerAssigned(
                branch_id=branch.id,
                code=branch.code,
                edition_id=enrolment.edition_id,
                trainer_id=trainer.id,
                **contact(trainer),
            ),
            subject=branch.code,
        )
        told += 1
    return told


async def assign_mentor(
    uow: UnitOfWork, enrolment_id: uuid.UUID, command: AssignMentor
) -> MentorAssignment:
    """A mentor is an experienced coordinator from elsewhere, never the branch's own."""
    enrolment, branch, edition = await active_enrolment(uow, enrolment_id)
    staff = await get_staff(uow, command.staff_id)
    check_not_erased(staff)
    if await current_coordination(uow, branch.id, staff.id) is not None:
        raise RuleViolation(
            f"{staff.name} coordinates branch '{branch.code}' and cannot also mentor it"
        )
    existing = (
        await uow.session.exec(
            select(MentorAssignment).where(
                MentorAssignment.enrolment_id == enrolment.id,
                MentorAssignment.staff_id == staff.id,
            )
        )
    ).first()
    if existing is not None:
        raise RuleViolation(
            f"{staff.name} already mentors branch '{branch.code}' in edition "
            f"{edition_label(edition)}",
            title="Already assigned",
        )
    assignment = MentorAssignment(
        enrolment_id=enrolment.id, staff_id=staff.id, assigned_on=command.assigned_on or today()
    )
    uow.session.add(assignment)
    await uow.session.flush()
    return assignment


@dataclass(frozen=True)
class Team:
    coordinators: list[StaffMember]
    trainers: list[Trainer]
    mentors: list[StaffMember]


async def team_of(uow: UnitOfWork, enrolment: Enrolment) -> Team:
    coordinators = [staff for _, staff in await coordinators_of(uow, enrolment.branch_id)]
    trainers = (
        await uow.session.exec(
            select(Trainer)
            .join(TrainerAssignment, col(TrainerAssignment.trainer_id) == Trainer.id)
            .where(TrainerAssignment.enrolment_id == enrolment.id)
            .order_by(Trainer.name)
        )
    ).all()
    mentors = (
        await uow.session.exec(
            select(StaffMember)
            .join(MentorAssignment, col(MentorAssignment.staff_id) == StaffMember.id)
            .where(MentorAssignment.enrolment_id == enrolment.id)
            .order_by(StaffMember.name)
        )
    ).all()
    return Team(coordinators=coordinators, trainers=list(trainers), mentors=list(mentors))


async def is_assigned_trainer(
    uow: UnitOfWork, enrolment_id: uuid.UUID, trainer_id: uuid.UUID
) -> bool:
    query = select(TrainerAssignment.id).where(
        TrainerAssignment.enrolment_id == enrolment_id, TrainerAssignment.trainer_id == trainer_id
    )
    return (await uow.session.exec(query)).first() is not None
