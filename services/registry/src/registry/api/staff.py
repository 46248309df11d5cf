"""Staff, trainers, and who coordinates, trains and mentors which branch."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from registry import administrators, assignments, branches, staff
from registry.access import ensure_in_scope
from registry.api.common import (
    Admin,
    Limit,
    Offset,
    PageView,
    RegistryRoute,
    ServiceDep,
    Staff,
    page_of,
)
from registry.api.institutions import branch_key, scoped_enrolment
from registry.commands import (
    AssignAdministrator,
    AssignCoordinator,
    AssignMentor,
    AssignTrainer,
    StaffChanges,
    StaffDetails,
    TrainerChanges,
    TrainerDetails,
)
from shared.validation import Code, SaneDate

router = APIRouter(prefix="/v1", route_class=RegistryRoute)


class StaffView(BaseModel):
    id: uuid.UUID
    name: str
    email: str
    phone: str | None
    language: str
    subject: str | None
    created_at: datetime


class TrainerView(StaffView):
    organisation: str | None


class CoordinatorView(BaseModel):
    staff: StaffView
    assigned_on: date


class AdministratorView(CoordinatorView):
    organisation_id: uuid.UUID


class BranchCoordinatorView(CoordinatorView):
    branch_id: uuid.UUID


class TeamView(BaseModel):
    coordinators: list[StaffView]
    trainers: list[TrainerView]
    mentors: list[StaffView]


class AssignmentView(BaseModel):
    id: uuid.UUID
    assigned_on: date


def staff_view(person: Any) -> StaffView:
    return StaffView.model_validate(person, from_attributes=True)


def trainer_view(person: Any) -> TrainerView:
    return TrainerView.model_validate(person, from_attributes=True)


def administrator_view(administration: Any, person: Any) -> AdministratorView:
    return AdministratorView(
        staff=staff_view(person),
        assigned_on=administration.assigned_on,
        organisation_id=administration.organisation_id,
    )


# -- staff ---------------------------------------------------------------------------------


@router.post("/staff", status_code=201, response_model=StaffView, tags=["staff"])
async def create_staff(details: StaffDetails, service: ServiceDep, _: Admin) -> Any:
    """A branch staff member (a coordinator, or a mentor from an earlier edition)."""
    async with service.unit_of_work() as uow:
        return staff_view(await staff.create_staff(uow, details))


@router.get("/staff", response_model=PageView[StaffView], tags=["staff"])
async def list_staff(service: ServiceDep, _: Admin, limit: Limit = 50, offset: Offset = 0) -> Any:
    async with service.unit_of_work() as uow:
        page = await staff.list_staff(uow, limit=limit, offset=offset)
        return page_of([staff_view(p) for p in page.items], page.total, limit, offset)


@router.get("/staff/{staff_id}", response_model=StaffView, tags=["staff"])
async def read_staff(staff_id: uuid.UUID, service: ServiceDep, _: Admin) -> Any:
    async with service.unit_of_work() as uow:
        return staff_view(await staff.get_staff(uow, staff_id))


@router.patch("/staff/{staff_id}", response_model=StaffView, tags=["staff"])
async def update_staff(
    staff_id: uuid.UUID, changes: StaffChanges, service: ServiceDep, _: Admin
) -> Any:
    async with service.unit_of_work() as uow:
        return staff_view(await staff.update_staff(uow, staff_id, changes))


@router.post("/staff/{staff_id}/erasure", response_model=StaffView, tags=["staff"])
async def erase_staff(staff_id: uuid.UUID, service: ServiceDep, _: Admin) -> Any:
    """Erase a staff member (usunięcie danych pracownika): name, e-mail, phone and user id
    are redacted, their coordination ends, and every service forgets them (staff.erased)."""
    async with service.unit_of_work() as uow:
        return staff_view(await staff.erase_staff(uow, staff_id))


# -- trainers ------------------------------------------------------------------------------


@router.post("/trainers", status_code=201, response_model=TrainerView, tags=["trainers"])
async def create_trainer(details: TrainerDetails, service: ServiceDep, _: Admin) -> Any:
    async with service.unit_of_work() as uow:
        return trainer_view(await staff.create_trainer(uow, details))


@router.get("/trainers", response_model=PageView[TrainerView], tags=["trainers"])
async def list_trainers(
    service: ServiceDep, _: Admin, limit: Limit = 50, offset: Offset = 0
) -> Any:
    async with service.unit_of_work() as uow:
        page = await staff.list_trainers(uow, limit=limit, offset=offset)
        return page_of([trainer_view(p) for p in page.items], page.total, limit, offset)


@router.get("/trainers/{trainer_id}", response_model=TrainerView, tags=["trainers"])
async def read_trainer(trainer_id: uuid.UUID, service: ServiceDep, _: Admin) -> Any:
    async with service.unit_of_work() as uow:
        return trainer_view(await staff.get_trainer(uow, trainer_id))


@router.patch("/trainers/{trainer_id}", response_model=TrainerView, tags=["trainers"])
async def update_trainer(
    trainer_id: uuid.UUID, changes: TrainerChanges, service: ServiceDep, _: Admin
) -> Any:
    async with service.unit_of_work() as uow:
        return trainer_view(await staff.update_trainer(uow, trainer_id, changes))


@router.post("/trainers/{trainer_id}/erasure", response_model=TrainerView, tags=["trainers"])
async def erase_trainer(trainer_id: uuid.UUID, service: ServiceDep, _: Admin) -> Any:
    """Erase a trainer (usunięcie danych trenera): name, e-mail, phone and user id are
    redacted, their assignments end, and every service forgets them (trainer.erased)."""
    async with service.unit_of_work() as uow:
        return trainer_view(await staff.erase_trainer(uow, trainer_id))


# -- coordinators of a branch ----------------------------------------------------------------


@router.get("/coordinators", response_model=list[BranchCoordinatorView], tags=["staff"])
async def list_all_coordinators(service: ServiceDep, _: Admin) -> Any:
    """Every branch's coordinators now, in one answer (the city office's staff page)."""
    async with service.unit_of_work() as uow:
        return [
            BranchCoordinatorView(
                staff=staff_view(staff),
                assigned_on=assignment.assigned_on,
                branch_id=assignment.branch_id,
            )
            for assignment, staff in await assignments.coordinators_of(uow)
        ]


@router.get("/branches/{key}/coordinators", response_model=list[CoordinatorView], tags=["staff"])
async def list_coordinators(key: str, service: ServiceDep, principal: Staff) -> Any:
    async with service.unit_of_work() as uow:
        branch = await branches.get_branch(uow, branch_key(key))
        ensure_in_scope(principal, branch)
        return [
            CoordinatorView(staff=staff_view(staff), assigned_on=assignment.assigned_on)
            for assignment, staff in await assignments.coordinators_of(uow, branch.id)
        ]


@router.post(
    "/branches/{key}/coordinators",
    status_code=201,
    response_model=AssignmentView,
    tags=["staff"],
)
async def assign_coordinator(
    key: str, command: AssignCoordinator, service: ServiceDep, _: Admin
) -> Any:
    """A branch may have several coordinators; a person may coordinate several branches."""
    async with service.unit_of_work() as uow:
        assignment = await assignments.assign_coordinator(uow, branch_key(key), command)
        return AssignmentView.model_validate(assignment, from_attributes=True)


@router.delete("/branches/{key}/coordinators/{staff_id}", status_code=204, tags=["staff"])
async def unassign_coordinator(
    key: Code,
    staff_id: uuid.UUID,
    service: ServiceDep,
    _: Admin,
    on: Annotated[SaneDate | None, Query(description="the last day; today by default")] = None,
) -> None:
    async with service.unit_of_work() as uow:
        await assignments.unassign_coordinator(uow, branch_key(key), staff_id, on)


# -- administrators of a district library ----------------------------------------------------


@router.get("/administrators", response_model=list[AdministratorView], tags=["staff"])
async def list_all_administrators(service: ServiceDep, _: Admin) -> Any:
    """Every organisation's administrators now, in one answer (the city office's staff page)."""
    async with service.unit_of_work() as uow:
        return [
            administrator_view(administration, person)
            for administration, person in await administrators.administrators_of(uow)
        ]


@router.get(
    "/organisations/{organisation_id}/administrators",
    response_model=list[AdministratorView],
    tags=["staff"],
)
async def list_administrators(organisation_id: uuid.UUID, service: ServiceDep, _: Admin) -> Any:
    """Who administers the organisation (a district library) now."""
    async with service.unit_of_work() as uow:
        found = await administrators.administrators_of(uow, organisation_id)
        return [administrator_view(administration, person) for administration, person in found]


@router.post(
    "/organisations/{organisation_id}/administrators",
    status_code=201,
    response_model=AssignmentView,
    tags=["staff"],
)
async def assign_administrator(
    organisation_id: uuid.UUID, command: AssignAdministrator, service: ServiceDep, _: Admin
) -> Any:
    """The staff member administers the organisation: they see its branches' enrolments,
    coordinators and progress, and apply to calls for them (role district_admin)."""
    async with service.unit_of_work() as uow:
        administration = await administrators.assign_administrator(uow, organisation_id, command)
        return AssignmentView.model_validate(administration, from_attributes=True)


@router.delete(
    "/organisations/{organisation_id}/administrators/{staff_id}",
    status_code=204,
    tags=["staff"],
)
async def unassign_administrator(
    organisation_id: uuid.UUID,
    staff_id: uuid.UUID,
    service: ServiceDep,
    _: Admin,
    on: Annotated[SaneDate | None, Query(description="the last day; today by default")] = None,
) -> None:
    async with service.unit_of_work() as uow:
        await administrators.unassign_administrator(uow, organisation_id, staff_id, on)


# -- trainers and mentors of an enrolment ----------------------------------------------------


@router.post(
    "/enrolments/{enrolment_id}/trainers",
    status_code=201,
    response_model=AssignmentView,
    tags=["trainers"],
)
async def assign_trainer(
    enrolment_id: uuid.UUID, command: AssignTrainer, service: ServiceDep, _: Admin
) -> Any:
    """A trainer supports and monitors the branch in this edition."""
    async with service.unit_of_work() as uow:
        assignment = await assignments.assign_trainer(uow, enrolment_id, command)
        return AssignmentView.model_validate(assignment, from_attributes=True)


@router.delete(
    "/enrolments/{enrolment_id}/trainers/{trainer_id}", status_code=204, tags=["trainers"]
)
async def unassign_trainer(
    enrolment_id: uuid.UUID, trainer_id: uuid.UUID, service: ServiceDep, _: Admin
) -> None:
    """The trainer no longer supports the branch in this edition (trainer.unassigned)."""
    async with service.unit_of_work() as uow:
        await assignments.unassign_trainer(uow, enrolment_id, trainer_id)


@router.post(
    "/enrolments/{enrolment_id}/mentors",
    status_code=201,
    response_model=AssignmentView,
    tags=["staff"],
)
async def assign_mentor(
    enrolment_id: uuid.UUID, command: AssignMentor, service: ServiceDep, _: Admin
) -> Any:
    """An experienced coordinator from an earlier edition mentors the branch."""
    async with service.unit_of_work() as uow:
        assignment = await assignments.assign_mentor(uow, enrolment_id, command)
        return AssignmentView.model_validate(assignment, from_attributes=True)


@router.get("/enrolments/{enrolment_id}/team", response_model=TeamView, tags=["staff"])
async def read_team(enrolment_id: uuid.UUID, service: ServiceDep, principal: Staff) -> Any:
    """The branch's coordinators, and its trainers and mentors in this edition."""
    async with service.unit_of_work() as uow:
        enrolment, _ = await scoped_enrolment(uow, enrolment_id, principal)
        team = await assignments.team_of(uow, enrolment)
        return TeamView(
            coordinators=[staff_view(p) for p in team.coordinators],
            trainers=[trainer_view(p) for p in team.trainers],
            mentors=[staff_view(p) for p in team.mentors],
        )
