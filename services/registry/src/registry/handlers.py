"""Registry's use cases: one function per command or consumed event.

Each runs inside the caller's unit of work: the change and the integration events it
causes commit together (the outbox), or neither does.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from registry import events
from registry.commands import (
    AcceptReport,
    AssignCoordinator,
    AssignMentor,
    AssignTrainer,
    BranchChanges,
    BranchDetails,
    EditionChanges,
    EditionDetails,
    Enrol,
    EnrolmentChanges,
    ModuleDetails,
    ProgrammeDraft,
    ReachStage,
    RecordAttendance,
    ReportDraft,
    SessionDetails,
    StaffChanges,
    StaffDetails,
    TrainerChanges,
    TrainerDetails,
    VisitChanges,
    VisitDetails,
    Withdraw,
)
from registry.domain import NotFound, RuleViolation
from registry.domain.editions import (
    EditionStatus,
    EnrolmentStatus,
    check_can_change_dates,
    check_can_close,
    check_can_enrol,
    check_can_open,
    check_can_withdraw,
    check_enrolment_active,
)
from registry.domain.stages import Stage, check_stage_move
from registry.domain.training import MeetingKind, is_trained
from registry.tables import (
    AnnualReport,
    Attendance,
    Branch,
    CoordinatorAssignment,
    District,
    Edition,
    Enrolment,
    MentorAssignment,
    MonitoringVisit,
    Organisation,
    Programme,
    StaffMember,
    StageRecord,
    Trainer,
    TrainerAssignment,
    TrainingModule,
    TrainingSession,
)
from shared.logging import get_logger
from shared.unit_of_work import UnitOfWork

WARSAW = ZoneInfo("Europe/Warsaw")
log = get_logger(__name__)
T = TypeVar("T")


def today() -> date:
    """Today in Warsaw: a date a person in the office would write."""
    return datetime.now(WARSAW).date()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Scope:
    """The branches a caller may see: every one (``everything``), or those listed."""

    everything: bool
    branch_ids: frozenset[uuid.UUID] = frozenset()

    def allows(self, branch_id: uuid.UUID) -> bool:
        return self.everything or branch_id in self.branch_ids


EVERYTHING = Scope(everything=True)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


async def _page(uow: UnitOfWork, query: SelectOfScalar[T], limit: int, offset: int) -> Page[T]:
    total = (await uow.session.exec(select(sa.func.count()).select_from(query.subquery()))).one()
    items = list((await uow.session.exec(query.limit(limit).offset(offset))).all())
    return Page(items=items, total=int(total), limit=limit, offset=offset)


# -- districts and organisations ---------------------------------------------------------


async def list_districts(uow: UnitOfWork) -> Sequence[District]:
    return (await uow.session.exec(select(District).order_by(District.slug))).all()


async def list_organisations(uow: UnitOfWork) -> Sequence[Organisation]:
    return (await uow.session.exec(select(Organisation).order_by(Organisation.name))).all()


# -- branches ------------------------------------------------------------------------------


async def get_branch(uow: UnitOfWork, key: str | uuid.UUID) -> Branch:
    """A branch by id or by code."""
    branch = await find_branch(uow, key)
    if branch is None:
        raise NotFound(f"no branch with {'id' if isinstance(key, uuid.UUID) else 'code'} '{key}'")
    return branch


async def find_branch(uow: UnitOfWork, key: str | uuid.UUID) -> Branch | None:
    if isinstance(key, uuid.UUID):
        return await uow.session.get(Branch, key)
    return (await uow.session.exec(select(Branch).where(Branch.code == key))).first()


async def _organisation_for(
    uow: UnitOfWork, organisation_id: uuid.UUID | None, district: str, institution_type: str
) -> Organisation | None:
    if organisation_id is not None:
        organisation = await uow.session.get(Organisation, organisation_id)
        if organisation is None:
            raise NotFound(f"no organisation with id '{organisation_id}'")
        return organisation
    if institution_type != "library_branch":
        return None
    # A library branch belongs to its district's library unless told otherwise.
    district_row = await uow.session.get(District, district)
    assert district_row is not None, "districts are validated against the reference data"
    return (
        await uow.session.exec(
            select(Organisation).where(Organisation.name == district_row.district_library)
        )
    ).first()


def _branch_facts(branch: Branch, organisation: Organisation | None) -> dict[str, Any]:
    return {
        "branch_id": branch.id,
        "code": branch.code,
        "name": branch.name,
        "district": branch.district,
        "institution_type": branch.institution_type,
        "district_library": organisation.name if organisation else None,
        "address": branch.address,
    }


async def branch_organisation(uow: UnitOfWork, branch: Branch) -> Organisation | None:
    if branch.organisation_id is None:
        return None
    return await uow.session.get(Organisation, branch.organisation_id)


async def register_branch(uow: UnitOfWork, details: BranchDetails) -> Branch:
    if await find_branch(uow, details.code) is not None:
        raise RuleViolation(
            f"a branch with code '{details.code}' already exists; codes are unique and stable",
            title="Branch already exists",
        )
    organisation = await _organisation_for(
        uow, details.organisation_id, details.district, details.institution_type
    )
    branch = Branch(
        **details.model_dump(exclude={"organisation_id", "opening_hours"}, mode="json"),
        opening_hours=[entry.model_dump() for entry in details.opening_hours],
        organisation_id=organisation.id if organisation else None,
    )
    uow.session.add(branch)
    await uow.session.flush()
    await uow.emit(
        events.BranchRegistered(**_branch_facts(branch, organisation)), subject=branch.code
    )
    return branch


async def update_branch(uow: UnitOfWork, key: str | uuid.UUID, changes: BranchChanges) -> Branch:
    branch = await get_branch(uow, key)
    await _apply_branch_changes(uow, branch, changes.model_dump(exclude_unset=True, mode="json"))
    return branch


async def _apply_branch_changes(uow: UnitOfWork, branch: Branch, values: dict[str, Any]) -> bool:
    """Apply the changed fields; emit ``branch.updated`` only when something really changed."""
    if "institution_type" in values and values["institution_type"] != branch.institution_type:
        enrolled = (
            await uow.session.exec(select(Enrolment.id).where(Enrolment.branch_id == branch.id))
        ).first()
        if enrolled is not None:
            raise RuleViolation(
                f"branch '{branch.code}' has taken part in an edition; its institution type "
                "can no longer change"
            )
    if "organisation_id" in values and values["organisation_id"] is not None:
        organisation_id = uuid.UUID(str(values["organisation_id"]))
        if await uow.session.get(Organisation, organisation_id) is None:
            raise NotFound(f"no organisation with id '{organisation_id}'")
        values["organisation_id"] = organisation_id
    changed = False
    for field, value in values.items():
        if getattr(branch, field) != value:
            setattr(branch, field, value)
            changed = True
    if not changed:
        return False
    branch.updated_at = _now()
    uow.session.add(branch)
    await uow.session.flush()
    organisation = await branch_organisation(uow, branch)
    await uow.emit(events.BranchUpdated(**_branch_facts(branch, organisation)), subject=branch.code)
    return True


UpsertOutcome = Literal["created", "updated", "unchanged"]


async def register_or_update_branch(
    uow: UnitOfWork, details: BranchDetails
) -> tuple[Branch, UpsertOutcome]:
    """Idempotent by code: what bulk imports and the seed use."""
    branch = await find_branch(uow, details.code)
    if branch is None:
        return await register_branch(uow, details), "created"
    values = details.model_dump(exclude={"code"}, mode="json")
    if details.organisation_id is None:
        organisation = await _organisation_for(
            uow, None, details.district, details.institution_type
        )
        values["organisation_id"] = organisation.id if organisation else None
    changed = await _apply_branch_changes(uow, branch, values)
    return branch, "updated" if changed else "unchanged"


@dataclass(frozen=True)
class BranchFilters:
    edition_id: uuid.UUID | None = None
    district: str | None = None
    stage: str | None = None
    institution_type: str | None = None


def _filtered_branches(filters: BranchFilters, scope: Scope) -> SelectOfScalar[Branch]:
    query = select(Branch)
    if filters.edition_id is not None or filters.stage is not None:
        enrolled = select(Enrolment.branch_id).where(
            Enrolment.status == EnrolmentStatus.ENROLLED.value
        )
        if filters.edition_id is not None:
            enrolled = enrolled.where(Enrolment.edition_id == filters.edition_id)
        if filters.stage is not None:
            enrolled = enrolled.where(Enrolment.stage == filters.stage)
        query = query.where(col(Branch.id).in_(enrolled))
    if filters.district is not None:
        query = query.where(Branch.district == filters.district)
    if filters.institution_type is not None:
        query = query.where(Branch.institution_type == filters.institution_type)
    if not scope.everything:
        query = query.where(col(Branch.id).in_(scope.branch_ids))
    return query.order_by(Branch.code)


async def list_branches(
    uow: UnitOfWork, filters: BranchFilters, scope: Scope, *, limit: int, offset: int
) -> Page[Branch]:
    return await _page(uow, _filtered_branches(filters, scope), limit, offset)


async def organisations_by_id(
    uow: UnitOfWork, ids: Sequence[uuid.UUID | None]
) -> dict[uuid.UUID, Organisation]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await uow.session.exec(select(Organisation).where(col(Organisation.id).in_(wanted)))
    return {row.id: row for row in rows}


# -- editions ------------------------------------------------------------------------------


def edition_label(edition: Edition) -> str:
    return f"{edition.year} ({edition.name})"


def _edition_facts(edition: Edition) -> dict[str, Any]:
    return {
        "edition_id": edition.id,
        "year": edition.year,
        "name": edition.name,
        "institution_type": edition.institution_type,
        "starts_on": edition.starts_on,
        "ends_on": edition.ends_on,
    }


async def get_edition(
    uow: UnitOfWork, edition_id: uuid.UUID, *, lock: Literal["share", "update"] | None = None
) -> Edition:
    """``lock="update"`` to change the edition; ``"share"`` to keep it from changing meanwhile."""
    query = select(Edition).where(Edition.id == edition_id)
    if lock is not None:
        query = query.with_for_update(read=lock == "share")
    edition = (await uow.session.exec(query)).first()
    if edition is None:
        raise NotFound(f"no edition with id '{edition_id}'")
    return edition


async def find_edition(uow: UnitOfWork, institution_type: str, year: int) -> Edition | None:
    return (
        await uow.session.exec(
            select(Edition).where(
                Edition.institution_type == institution_type, Edition.year == year
            )
        )
    ).first()


async def open_edition_for(uow: UnitOfWork, institution_type: str) -> Edition | None:
    return (
        await uow.session.exec(
            select(Edition).where(
                Edition.institution_type == institution_type,
                Edition.status == EditionStatus.OPEN.value,
            )
        )
    ).first()


async def create_edition(uow: UnitOfWork, details: EditionDetails) -> Edition:
    existing = await find_edition(uow, details.institution_type, details.year)
    if existing is not None:
        raise RuleViolation(
            f"there is already an edition {details.year} for {details.institution_type}: "
            f"'{existing.name}' ({existing.id})",
            title="Edition already exists",
        )
    edition = Edition(**details.model_dump())
    uow.session.add(edition)
    await uow.session.flush()
    return edition


async def update_edition(
    uow: UnitOfWork, edition_id: uuid.UUID, changes: EditionChanges
) -> Edition:
    edition = await get_edition(uow, edition_id, lock="update")
    values = changes.model_dump(exclude_unset=True)
    if "starts_on" in values or "ends_on" in values:
        check_can_change_dates(edition_label(edition), EditionStatus(edition.status))
    for field, value in values.items():
        if value is None:
            raise RuleViolation(f"{field} cannot be emptied", title="Invalid change")
        setattr(edition, field, value)
    if edition.ends_on < edition.starts_on:
        raise RuleViolation(
            f"ends_on ({edition.ends_on}) must not be before starts_on ({edition.starts_on})",
            title="Invalid change",
        )
    uow.session.add(edition)
    await uow.session.flush()
    return edition


async def open_edition(uow: UnitOfWork, edition_id: uuid.UUID) -> Edition:
    edition = await get_edition(uow, edition_id, lock="update")
    other = await open_edition_for(uow, edition.institution_type)
    check_can_open(
        edition_label(edition),
        EditionStatus(edition.status),
        edition_label(other) if other is not None and other.id != edition.id else None,
        edition.institution_type,
    )
    edition.status = EditionStatus.OPEN.value
    edition.opened_at = _now()
    uow.session.add(edition)
    # Flushed here so that a concurrent opening trips the partial unique index now.
    await uow.session.flush()
    await uow.emit(events.EditionOpened(**_edition_facts(edition)), subject=str(edition.id))
    return edition


async def close_edition(uow: UnitOfWork, edition_id: uuid.UUID) -> Edition:
    edition = await get_edition(uow, edition_id, lock="update")
    check_can_close(edition_label(edition), EditionStatus(edition.status))
    edition.status = EditionStatus.CLOSED.value
    edition.closed_at = _now()
    uow.session.add(edition)
    await uow.session.flush()
    await uow.emit(events.EditionClosed(**_edition_facts(edition)), subject=str(edition.id))
    return edition


@dataclass(frozen=True)
class EditionFilters:
    institution_type: str | None = None
    status: str | None = None
    year: int | None = None


async def list_editions(
    uow: UnitOfWork, filters: EditionFilters, *, limit: int, offset: int
) -> Page[Edition]:
    query = select(Edition)
    if filters.institution_type is not None:
        query = query.where(Edition.institution_type == filters.institution_type)
    if filters.status is not None:
        query = query.where(Edition.status == filters.status)
    if filters.year is not None:
        query = query.where(Edition.year == filters.year)
    return await _page(
        uow, query.order_by(col(Edition.year).desc(), Edition.institution_type), limit, offset
    )


# -- enrolments ----------------------------------------------------------------------------


async def get_enrolment(
    uow: UnitOfWork, enrolment_id: uuid.UUID, *, lock: bool = False
) -> Enrolment:
    query = select(Enrolment).where(Enrolment.id == enrolment_id)
    if lock:
        query = query.with_for_update()
    enrolment = (await uow.session.exec(query)).first()
    if enrolment is None:
        raise NotFound(f"no enrolment with id '{enrolment_id}'")
    return enrolment


async def find_enrolment(
    uow: UnitOfWork, edition_id: uuid.UUID, branch_id: uuid.UUID, *, lock: bool = False
) -> Enrolment | None:
    query = select(Enrolment).where(
        Enrolment.edition_id == edition_id, Enrolment.branch_id == branch_id
    )
    if lock:
        query = query.with_for_update()
    return (await uow.session.exec(query)).first()


async def enrol_branch(uow: UnitOfWork, edition_id: uuid.UUID, command: Enrol) -> Enrolment:
    """Enrol a branch in an open edition of its type; a branch that withdrew may come back."""
    # A shared lock: enrolments run side by side, and closing the edition waits for them.
    edition = await get_edition(uow, edition_id, lock="share")
    branch = await get_branch(uow, command.branch_code)
    check_can_enrol(
        edition=edition_label(edition),
        edition_status=EditionStatus(edition.status),
        edition_type=edition.institution_type,
        branch_code=branch.code,
        branch_type=branch.institution_type,
    )
    enrolled_on = command.enrolled_on or today()
    enrolment = await find_enrolment(uow, edition.id, branch.id, lock=True)
    if enrolment is not None and enrolment.status == EnrolmentStatus.ENROLLED.value:
        raise RuleViolation(
            f"branch '{branch.code}' is already enrolled in edition {edition_label(edition)}",
            title="Already enrolled",
        )
    if enrolment is None:
        enrolment = Enrolment(
            edition_id=edition.id,
            branch_id=branch.id,
            funding_pln=command.funding_pln,
            enrolled_on=enrolled_on,
        )
    else:  # coming back after a withdrawal: the stages reached so far stay
        enrolment.status = EnrolmentStatus.ENROLLED.value
        enrolment.funding_pln = command.funding_pln
        enrolment.enrolled_on = enrolled_on
        enrolment.withdrawn_on = None
        enrolment.withdrawal_reason = None
        enrolment.updated_at = _now()
    uow.session.add(enrolment)
    await uow.session.flush()
    await uow.emit(
        events.BranchEnrolled(
            branch_id=branch.id,
            code=branch.code,
            edition_id=edition.id,
            funding_pln=enrolment.funding_pln,
        ),
        subject=branch.code,
    )
    return enrolment


async def update_enrolment(
    uow: UnitOfWork, enrolment_id: uuid.UUID, changes: EnrolmentChanges
) -> Enrolment:
    enrolment = await get_enrolment(uow, enrolment_id, lock=True)
    if enrolment.status == EnrolmentStatus.WITHDRAWN.value:
        branch = await get_branch(uow, enrolment.branch_id)
        raise RuleViolation(
            f"branch '{branch.code}' has withdrawn from this edition; its funding is closed"
        )
    enrolment.funding_pln = changes.funding_pln
    enrolment.updated_at = _now()
    uow.session.add(enrolment)
    await uow.session.flush()
    return enrolment


async def withdraw_branch(uow: UnitOfWork, enrolment_id: uuid.UUID, command: Withdraw) -> Enrolment:
    enrolment = await get_enrolment(uow, enrolment_id, lock=True)
    branch = await get_branch(uow, enrolment.branch_id)
    edition = await get_edition(uow, enrolment.edition_id)
    check_can_withdraw(branch.code, edition_label(edition), EnrolmentStatus(enrolment.status))
    enrolment.status = EnrolmentStatus.WITHDRAWN.value
    enrolment.withdrawn_on = command.withdrawn_on or today()
    enrolment.withdrawal_reason = command.reason
    enrolment.updated_at = _now()
    uow.session.add(enrolment)
    await uow.session.flush()
    await uow.emit(
        events.BranchWithdrawn(
            branch_id=branch.id, code=branch.code, edition_id=edition.id, reason=command.reason
        ),
        subject=branch.code,
    )
    return enrolment


@dataclass(frozen=True)
class EnrolmentFilters:
    edition_id: uuid.UUID | None = None
    district: str | None = None
    stage: str | None = None
    institution_type: str | None = None
    status: str | None = None


async def list_enrolments(
    uow: UnitOfWork, filters: EnrolmentFilters, scope: Scope, *, limit: int, offset: int
) -> Page[tuple[Enrolment, Branch]]:
    query: Any = select(Enrolment, Branch).join(Branch, col(Branch.id) == Enrolment.branch_id)
    if filters.edition_id is not None:
        query = query.where(Enrolment.edition_id == filters.edition_id)
    if filters.stage is not None:
        query = query.where(Enrolment.stage == filters.stage)
    if filters.status is not None:
        query = query.where(Enrolment.status == filters.status)
    if filters.district is not None:
        query = query.where(Branch.district == filters.district)
    if filters.institution_type is not None:
        query = query.where(Branch.institution_type == filters.institution_type)
    if not scope.everything:
        query = query.where(col(Branch.id).in_(scope.branch_ids))
    page: Page[tuple[Enrolment, Branch]] = await _page(
        uow, query.order_by(Branch.code, Enrolment.enrolled_on), limit, offset
    )
    return Page(
        items=[(row[0], row[1]) for row in page.items],
        total=page.total,
        limit=limit,
        offset=offset,
    )


async def active_enrolment(
    uow: UnitOfWork, enrolment_id: uuid.UUID
) -> tuple[Enrolment, Branch, Edition]:
    """An enrolment that work can be recorded on: enrolled, in an open edition."""
    enrolment = await get_enrolment(uow, enrolment_id, lock=True)
    branch = await get_branch(uow, enrolment.branch_id)
    edition = await get_edition(uow, enrolment.edition_id)
    check_enrolment_active(
        branch.code,
        edition_label(edition),
        EnrolmentStatus(enrolment.status),
        EditionStatus(edition.status),
    )
    return enrolment, branch, edition


# -- staff and trainers --------------------------------------------------------------------

Person = TypeVar("Person", StaffMember, Trainer)


async def _unique_email(
    uow: UnitOfWork, table: type[Person], email: str, own: uuid.UUID | None
) -> None:
    found = (await uow.session.exec(select(table).where(table.email == email))).first()
    if found is not None and found.id != own:
        raise RuleViolation(
            f"{email} already belongs to {found.name} ({found.id})", title="Email already used"
        )


async def _unique_subject(
    uow: UnitOfWork, table: type[Person], subject: str | None, own: uuid.UUID | None
) -> None:
    if subject is None:
        return
    found = (await uow.session.exec(select(table).where(table.subject == subject))).first()
    if found is not None and found.id != own:
        raise RuleViolation(
            f"user id '{subject}' already belongs to {found.name} ({found.id})",
            title="User id already used",
        )


async def _create_person(uow: UnitOfWork, table: type[Person], details: StaffDetails) -> Person:
    values = details.model_dump(mode="json")
    values["email"] = values["email"].lower()
    await _unique_email(uow, table, values["email"], None)
    await _unique_subject(uow, table, details.subject, None)
    person = table(**values)
    uow.session.add(person)
    await uow.session.flush()
    return person


async def _get_person(uow: UnitOfWork, table: type[Person], person_id: uuid.UUID) -> Person:
    person = await uow.session.get(table, person_id)
    if person is None:
        what = "staff member" if table is StaffMember else "trainer"
        raise NotFound(f"no {what} with id '{person_id}'")
    return person


def _not_erased(person: StaffMember | Trainer) -> None:
    if person.erased_at is not None:
        raise RuleViolation(
            "this person was erased and cannot be assigned or changed"
            " (osoba została usunięta z rejestru)",
            title="Person erased",
        )


async def _update_person(
    uow: UnitOfWork, table: type[Person], person_id: uuid.UUID, changes: StaffChanges
) -> Person:
    person = await _get_person(uow, table, person_id)
    _not_erased(person)
    values = changes.model_dump(exclude_unset=True, mode="json")
    for required in ("name", "email", "language"):
        if required in values and values[required] is None:
            raise RuleViolation(f"{required} cannot be emptied", title="Invalid change")
    if "email" in values:
        values["email"] = values["email"].lower()
        await _unique_email(uow, table, values["email"], person.id)
    if "subject" in values:
        await _unique_subject(uow, table, values["subject"], person.id)
    subject_changed = "subject" in values and values["subject"] != person.subject
    for field, value in values.items():
        setattr(person, field, value)
    uow.session.add(person)
    await uow.session.flush()
    if subject_changed:
        await _emit_subject_changed(uow, person)
    return person


async def _emit_subject_changed(uow: UnitOfWork, person: StaffMember | Trainer) -> None:
    """Notifications knows staff by the user id in their tokens: a linked, changed or
    removed account must reach it, not wait for the person's next assignment."""
    if isinstance(person, Trainer):
        await uow.emit(
            events.TrainerSubjectChanged(trainer_id=person.id, subject=person.subject),
            subject=str(person.id),
        )
    else:
        await uow.emit(
            events.StaffSubjectChanged(staff_id=person.id, subject=person.subject),
            subject=str(person.id),
        )


async def announce_subjects(uow: UnitOfWork) -> int:
    """Tell every linked user id once more: a consumer that began to keep user ids after the
    people were assigned (as notifications did) learns them without waiting for a change.
    Returns how many were told."""
    staff = select(StaffMember).where(col(StaffMember.subject).is_not(None))
    trainers = select(Trainer).where(col(Trainer.subject).is_not(None))
    people: list[StaffMember | Trainer] = [
        *(await uow.session.exec(staff.order_by(col(StaffMember.id)))).all(),
        *(await uow.session.exec(trainers.order_by(col(Trainer.id)))).all(),
    ]
    for person in people:
        await _emit_subject_changed(uow, person)
    return len(people)


async def create_staff(uow: UnitOfWork, details: StaffDetails) -> StaffMember:
    return await _create_person(uow, StaffMember, details)


async def get_staff(uow: UnitOfWork, staff_id: uuid.UUID) -> StaffMember:
    return await _get_person(uow, StaffMember, staff_id)


async def update_staff(uow: UnitOfWork, staff_id: uuid.UUID, changes: StaffChanges) -> StaffMember:
    return await _update_person(uow, StaffMember, staff_id, changes)


async def find_staff_by_email(uow: UnitOfWork, email: str) -> StaffMember | None:
    query = select(StaffMember).where(StaffMember.email == email.lower())
    return (await uow.session.exec(query)).first()


async def list_staff(uow: UnitOfWork, *, limit: int, offset: int) -> Page[StaffMember]:
    return await _page(uow, select(StaffMember).order_by(StaffMember.name), limit, offset)


async def create_trainer(uow: UnitOfWork, details: TrainerDetails) -> Trainer:
    return await _create_person(uow, Trainer, details)


async def get_trainer(uow: UnitOfWork, trainer_id: uuid.UUID) -> Trainer:
    return await _get_person(uow, Trainer, trainer_id)


async def update_trainer(
    uow: UnitOfWork, trainer_id: uuid.UUID, changes: TrainerChanges
) -> Trainer:
    return await _update_person(uow, Trainer, trainer_id, changes)


async def find_trainer_by_email(uow: UnitOfWork, email: str) -> Trainer | None:
    query = select(Trainer).where(Trainer.email == email.lower())
    return (await uow.session.exec(query)).first()


async def list_trainers(uow: UnitOfWork, *, limit: int, offset: int) -> Page[Trainer]:
    return await _page(uow, select(Trainer).order_by(Trainer.name), limit, offset)


# -- coordinators, trainers and mentors of branches ----------------------------------------


def _contact(person: StaffMember | Trainer) -> dict[str, Any]:
    return {
        "name": person.name,
        "email": person.email,
        "language": person.language,
        "subject": person.subject,
    }


async def current_coordination(
    uow: UnitOfWork, branch_id: uuid.UUID, staff_id: uuid.UUID
) -> CoordinatorAssignment | None:
    query = select(CoordinatorAssignment).where(
        CoordinatorAssignment.branch_id == branch_id,
        CoordinatorAssignment.staff_id == staff_id,
        col(CoordinatorAssignment.unassigned_on).is_(None),
    )
    return (await uow.session.exec(query.with_for_update())).first()


async def assign_coordinator(
    uow: UnitOfWork, key: str | uuid.UUID, command: AssignCoordinator
) -> CoordinatorAssignment:
    """A branch may have several coordinators; a person may coordinate several branches."""
    branch = await get_branch(uow, key)
    staff = await get_staff(uow, command.staff_id)
    _not_erased(staff)
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
            branch_id=branch.id, code=branch.code, staff_id=staff.id, **_contact(staff)
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
    assignment.unassigned_on = max(on or today(), assignment.assigned_on)
    uow.session.add(assignment)
    await uow.session.flush()
    await uow.emit(
        events.CoordinatorUnassigned(
            branch_id=branch.id, code=branch.code, staff_id=staff.id, **_contact(staff)
        ),
        subject=branch.code,
    )
    return assignment


async def coordinators_of(
    uow: UnitOfWork, branch_id: uuid.UUID
) -> list[tuple[CoordinatorAssignment, StaffMember]]:
    query = (
        select(CoordinatorAssignment, StaffMember)
        .join(StaffMember, col(StaffMember.id) == CoordinatorAssignment.staff_id)
        .where(
            CoordinatorAssignment.branch_id == branch_id,
            col(CoordinatorAssignment.unassigned_on).is_(None),
        )
        .order_by(StaffMember.name)
    )
    return [(row[0], row[1]) for row in (await uow.session.exec(query)).all()]


async def assign_trainer(
    uow: UnitOfWork, enrolment_id: uuid.UUID, command: AssignTrainer
) -> TrainerAssignment:
    enrolment, branch, edition = await active_enrolment(uow, enrolment_id)
    trainer = await get_trainer(uow, command.trainer_id)
    _not_erased(trainer)
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
            **_contact(trainer),
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
            **_contact(trainer),
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
                branch_id=branch.id, code=branch.code, staff_id=staff.id, **_contact(staff)
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
                **_contact(trainer),
            ),
            subject=branch.code,
        )
        told += 1
    return told


# -- erasure of staff and trainers ---------------------------------------------------------

ERASED_NAME = "(usunięto / erased)"


async def erase_staff(uow: UnitOfWork, staff_id: uuid.UUID) -> StaffMember:
    """A staff member asked to be forgotten (or left, and the city keeps no more than it
    needs): their name, e-mail, phone and user id go; their coordination ends today (told
    as coordinator.unassigned, without the name); their mentoring goes; the outbox keeps
    nothing about them; every service's copy forgets them (staff.erased). The id stays
    where records refer to it (attendance, past assignments)."""
    staff = await get_staff(uow, staff_id)
    _not_erased(staff)
    ended = (
        await uow.session.exec(
            select(CoordinatorAssignment, Branch)
            .join(Branch, col(Branch.id) == CoordinatorAssignment.branch_id)
            .where(
                CoordinatorAssignment.staff_id == staff.id,
                col(CoordinatorAssignment.unassigned_on).is_(None),
            )
            .with_for_update(of=CoordinatorAssignment)
        )
    ).all()
    connection = await uow.session.connection()
    await connection.execute(
        sa.delete(MentorAssignment).where(col(MentorAssignment.staff_id) == staff.id)
    )
    _redact(staff)
    uow.session.add(staff)
    for assignment, _ in ended:
        assignment.unassigned_on = max(today(), assignment.assigned_on)
        uow.session.add(assignment)
    await uow.session.flush()
    await purge_outbox_about(uow, "staff_id", staff.id)
    for _, branch in ended:
        await uow.emit(
            events.CoordinatorUnassigned(
                branch_id=branch.id, code=branch.code, staff_id=staff.id, **_contact(staff)
            ),
            subject=branch.code,
        )
    await uow.emit(events.StaffErased(staff_id=staff.id), subject=str(staff.id))
    return staff


async def erase_trainer(uow: UnitOfWork, trainer_id: uuid.UUID) -> Trainer:
    """As ``erase_staff``, for a trainer: their assignments end (told as
    trainer.unassigned, without the name); visits keep the id only."""
    trainer = await get_trainer(uow, trainer_id)
    _not_erased(trainer)
    ended = (
        await uow.session.exec(
            select(TrainerAssignment, Enrolment, Branch)
            .join(Enrolment, col(Enrolment.id) == TrainerAssignment.enrolment_id)
            .join(Branch, col(Branch.id) == Enrolment.branch_id)
            .where(TrainerAssignment.trainer_id == trainer.id)
        )
    ).all()
    await (await uow.session.connection()).execute(
        sa.delete(TrainerAssignment).where(col(TrainerAssignment.trainer_id) == trainer.id)
    )
    _redact(trainer)
    trainer.organisation = None
    uow.session.add(trainer)
    await uow.session.flush()
    await purge_outbox_about(uow, "trainer_id", trainer.id)
    for _, enrolment, branch in ended:
        await uow.emit(
            events.TrainerUnassigned(
                branch_id=branch.id,
                code=branch.code,
                edition_id=enrolment.edition_id,
                trainer_id=trainer.id,
                **_contact(trainer),
            ),
            subject=branch.code,
        )
    await uow.emit(events.TrainerErased(trainer_id=trainer.id), subject=str(trainer.id))
    return trainer


def _redact(person: StaffMember | Trainer) -> None:
    person.name = ERASED_NAME
    # The column is unique and required: an address that is nobody's and cannot be mailed.
    person.email = f"erased-{person.id}@erased.invalid"
    person.phone = None
    person.subject = None
    person.erased_at = datetime.now(UTC)


async def purge_outbox_about(uow: UnitOfWork, field: str, person_id: uuid.UUID) -> None:
    """Events about the person in registry's outbox: published ones are deleted at once
    (not after the retention period); ones still waiting lose the name, e-mail and user id
    (consumers still learn of the assignment change; staff.erased follows them)."""
    connection = await uow.session.connection()
    await connection.execute(
        sa.text(
            "DELETE FROM outbox WHERE published_at IS NOT NULL"
            " AND convert_from(body, 'UTF8')::jsonb -> 'data' ->> CAST(:field AS text)"
            " = CAST(:person_id AS text)"
        ),
        {"field": field, "person_id": str(person_id)},
    )
    await connection.execute(
        sa.text(
            "UPDATE outbox SET body = convert_to(jsonb_set(convert_from(body, 'UTF8')::jsonb,"
            " '{data}', (convert_from(body, 'UTF8')::jsonb -> 'data')"
            " || jsonb_build_object('name', CAST(:name AS text), 'email', CAST(:email AS text),"
            " 'subject', NULL))::text, 'UTF8') WHERE published_at IS NULL"
            " AND convert_from(body, 'UTF8')::jsonb -> 'data' ->> CAST(:field AS text)"
            " = CAST(:person_id AS text)"
            " AND convert_from(body, 'UTF8')::jsonb -> 'data' ? 'email'"
        ),
        {
            "field": field,
            "person_id": str(person_id),
            "name": ERASED_NAME,
            "email": f"erased-{person_id}@erased.invalid",
        },
    )


async def assign_mentor(
    uow: UnitOfWork, enrolment_id: uuid.UUID, command: AssignMentor
) -> MentorAssignment:
    """A mentor is an experienced coordinator from elsewhere, never the branch's own."""
    enrolment, branch, edition = await active_enrolment(uow, enrolment_id)
    staff = await get_staff(uow, command.staff_id)
    _not_erased(staff)
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


# -- implementation stages -------------------------------------------------------------------


async def move_stage(
    uow: UnitOfWork,
    enrolment: Enrolment,
    branch: Branch,
    target: Stage,
    *,
    reached_on: date,
    reason: str | None = None,
) -> StageRecord:
    """The one way a branch's stage changes: checked, recorded with its history, announced."""
    current = Stage(enrolment.stage) if enrolment.stage else None
    check_stage_move(
        current,
        target,
        reason=reason,
        reached_on=reached_on,
        current_reached_on=enrolment.stage_reached_on,
    )
    record = StageRecord(
        enrolment_id=enrolment.id,
        stage=target.value,
        previous_stage=enrolment.stage,
        reached_on=reached_on,
        reason=reason,
    )
    enrolment.stage = target.value
    enrolment.stage_reached_on = reached_on
    enrolment.updated_at = _now()
    uow.session.add_all([record, enrolment])
    await uow.session.flush()
    await uow.emit(
        events.StageReached(
            branch_id=branch.id,
            code=branch.code,
            edition_id=enrolment.edition_id,
            stage=target.value,
            reached_on=reached_on,
        ),
        subject=branch.code,
    )
    return record


async def reach_stage(uow: UnitOfWork, enrolment_id: uuid.UUID, command: ReachStage) -> Enrolment:
    enrolment, branch, _ = await active_enrolment(uow, enrolment_id)
    await move_stage(
        uow, enrolment, branch, command.stage, reached_on=command.reached_on, reason=command.reason
    )
    return enrolment


async def stage_history(uow: UnitOfWork, enrolment_id: uuid.UUID) -> Sequence[StageRecord]:
    query = (
        select(StageRecord)
        .where(StageRecord.enrolment_id == enrolment_id)
        .order_by(col(StageRecord.recorded_at), col(StageRecord.reached_on))
    )
    return (await uow.session.exec(query)).all()


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


# -- the volunteer programme -------------------------------------------------------------------


async def find_programme(uow: UnitOfWork, enrolment_id: uuid.UUID) -> Programme | None:
    query = select(Programme).where(Programme.enrolment_id == enrolment_id)
    return (await uow.session.exec(query)).first()


async def save_programme(
    uow: UnitOfWork, enrolment_id: uuid.UUID, draft: ProgrammeDraft
) -> Programme:
    """Write or rewrite the programme; a submitted one becomes a draft again until resubmitted."""
    enrolment, _, _ = await active_enrolment(uow, enrolment_id)
    programme = await find_programme(uow, enrolment.id)
    if programme is None:
        programme = Programme(enrolment_id=enrolment.id, **draft.model_dump())
    else:
        for field, value in draft.model_dump().items():
            setattr(programme, field, value)
        programme.status = "draft"
        programme.updated_at = _now()
    uow.session.add(programme)
    await uow.session.flush()
    return programme


async def submit_programme(uow: UnitOfWork, enrolment_id: uuid.UUID, on: date | None) -> Programme:
    """Submitting moves a trained branch to "programme prepared"."""
    enrolment, branch, edition = await active_enrolment(uow, enrolment_id)
    programme = await find_programme(uow, enrolment.id)
    if programme is None:
        raise RuleViolation(
            f"branch '{branch.code}' has no volunteer programme yet: save it first (PUT)"
        )
    if programme.status == "submitted":
        raise RuleViolation(
            f"the programme of branch '{branch.code}' is already submitted", title="Already done"
        )
    if enrolment.stage is None:
        raise RuleViolation(
            f"branch '{branch.code}' is not trained yet: its staff must attend every module "
            "before the programme is submitted"
        )
    submitted_on = on or today()
    programme.status = "submitted"
    programme.submitted_on = submitted_on
    programme.updated_at = _now()
    uow.session.add(programme)
    if enrolment.stage == Stage.TRAINED.value:
        await move_stage(uow, enrolment, branch, Stage.PROGRAMME_PREPARED, reached_on=submitted_on)
    await uow.emit(
        events.ProgrammeSubmitted(
            branch_id=branch.id, code=branch.code, edition_id=edition.id, submitted_on=submitted_on
        ),
        subject=branch.code,
    )
    return programme


# -- monitoring visits -------------------------------------------------------------------------


async def _trainer_for_visit(
    uow: UnitOfWork, trainer_id: uuid.UUID | None, acting_subject: str | None
) -> Trainer:
    if trainer_id is not None:
        trainer = await get_trainer(uow, trainer_id)
    elif acting_subject is not None:
        found = (
            await uow.session.exec(select(Trainer).where(Trainer.subject == acting_subject))
        ).first()
        if found is None:
            raise RuleViolation(
                "your user account is not linked to a trainer: say who visited (trainer_id)",
                title="Trainer unknown",
            )
        trainer = found
    else:
        raise RuleViolation("say which trainer visited (trainer_id)", title="Trainer unknown")
    if acting_subject is not None and trainer.subject not in (None, acting_subject):
        raise RuleViolation(
            f"visits of {trainer.name} are recorded by {trainer.name} or the city office",
            title="Someone else's visit",
        )
    return trainer


async def record_visit(
    uow: UnitOfWork, enrolment_id: uuid.UUID, details: VisitDetails, *, acting_subject: str | None
) -> MonitoringVisit:
    """``acting_subject`` is the trainer's user id when a trainer records it (None for the city)."""
    enrolment, branch, edition = await active_enrolment(uow, enrolment_id)
    trainer = await _trainer_for_visit(uow, details.trainer_id, acting_subject)
    if not await is_assigned_trainer(uow, enrolment.id, trainer.id):
        raise RuleViolation(
            f"{trainer.name} is not assigned to branch '{branch.code}' in edition "
            f"{edition_label(edition)}"
        )
    visit = MonitoringVisit(
        enrolment_id=enrolment.id,
        trainer_id=trainer.id,
        **details.model_dump(exclude={"trainer_id"}),
    )
    uow.session.add(visit)
    await uow.session.flush()
    await uow.emit(
        events.VisitRecorded(
            visit_id=visit.id,
            branch_id=branch.id,
            code=branch.code,
            edition_id=edition.id,
            trainer_id=trainer.id,
            visited_on=visit.visited_on,
            follow_up_on=visit.follow_up_on,
        ),
        subject=branch.code,
    )
    return visit


async def get_visit(uow: UnitOfWork, visit_id: uuid.UUID) -> MonitoringVisit:
    visit = await uow.session.get(MonitoringVisit, visit_id)
    if visit is None:
        raise NotFound(f"no monitoring visit with id '{visit_id}'")
    return visit


async def update_visit(
    uow: UnitOfWork, visit_id: uuid.UUID, changes: VisitChanges, *, acting_subject: str | None
) -> MonitoringVisit:
    visit = await get_visit(uow, visit_id)
    await _trainer_for_visit(uow, visit.trainer_id, acting_subject)
    values = changes.model_dump(exclude_unset=True)
    if "notes" in values and values["notes"] is None:
        raise RuleViolation("notes cannot be emptied", title="Invalid change")
    for field, value in values.items():
        setattr(visit, field, value)
    if visit.follow_up_on is not None and visit.follow_up_on < visit.visited_on:
        raise RuleViolation(
            f"follow_up_on ({visit.follow_up_on}) must not be before the visit "
            f"({visit.visited_on})",
            title="Invalid change",
        )
    uow.session.add(visit)
    await uow.session.flush()
    return visit


@dataclass(frozen=True)
class VisitFilters:
    edition_id: uuid.UUID | None = None
    enrolment_id: uuid.UUID | None = None
    trainer_id: uuid.UUID | None = None
    district: str | None = None


async def list_visits(
    uow: UnitOfWork, filters: VisitFilters, scope: Scope, *, limit: int, offset: int
) -> Page[tuple[MonitoringVisit, Enrolment, Branch]]:
    query: Any = (
        select(MonitoringVisit, Enrolment, Branch)
        .join(Enrolment, col(Enrolment.id) == MonitoringVisit.enrolment_id)
        .join(Branch, col(Branch.id) == Enrolment.branch_id)
    )
    if filters.edition_id is not None:
        query = query.where(Enrolment.edition_id == filters.edition_id)
    if filters.enrolment_id is not None:
        query = query.where(Enrolment.id == filters.enrolment_id)
    if filters.trainer_id is not None:
        query = query.where(MonitoringVisit.trainer_id == filters.trainer_id)
    if filters.district is not None:
        query = query.where(Branch.district == filters.district)
    if not scope.everything:
        query = query.where(col(Branch.id).in_(scope.branch_ids))
    page: Page[Any] = await _page(
        uow, query.order_by(col(MonitoringVisit.visited_on).desc(), Branch.code), limit, offset
    )
    items = [(row[0], row[1], row[2]) for row in page.items]
    return Page(items=items, total=page.total, limit=limit, offset=offset)


# -- the annual report -------------------------------------------------------------------------


async def find_report(uow: UnitOfWork, enrolment_id: uuid.UUID) -> AnnualReport | None:
    query = select(AnnualReport).where(AnnualReport.enrolment_id == enrolment_id)
    return (await uow.session.exec(query)).first()


async def save_report(uow: UnitOfWork, enrolment_id: uuid.UUID, draft: ReportDraft) -> AnnualReport:
    enrolment, branch, _ = await active_enrolment(uow, enrolment_id)
    report = await find_report(uow, enrolment.id)
    if report is not None and report.status == "accepted":
        raise RuleViolation(
            f"the annual report of branch '{branch.code}' is accepted and can no longer change"
        )
    if report is None:
        report = AnnualReport(enrolment_id=enrolment.id, **draft.model_dump())
    else:
        for field, value in draft.model_dump().items():
            setattr(report, field, value)
        report.status = "draft"
        report.updated_at = _now()
    uow.session.add(report)
    await uow.session.flush()
    return report


async def submit_report(uow: UnitOfWork, enrolment_id: uuid.UUID, on: date | None) -> AnnualReport:
    enrolment, branch, edition = await active_enrolment(uow, enrolment_id)
    report = await find_report(uow, enrolment.id)
    if report is None:
        raise RuleViolation(f"branch '{branch.code}' has no annual report yet: save it first (PUT)")
    if report.status != "draft":
        raise RuleViolation(
            f"the annual report of branch '{branch.code}' is already {report.status}",
            title="Already done",
        )
    report.status = "submitted"
    report.submitted_on = on or today()
    report.updated_at = _now()
    uow.session.add(report)
    await uow.session.flush()
    await uow.emit(
        events.ReportSubmitted(
            branch_id=branch.id,
            code=branch.code,
            edition_id=edition.id,
            submitted_on=report.submitted_on,
        ),
        subject=branch.code,
    )
    return report


async def accept_report(
    uow: UnitOfWork, enrolment_id: uuid.UUID, command: AcceptReport
) -> AnnualReport:
    """The city accepts the report: the branch is evaluated."""
    enrolment, branch, _ = await active_enrolment(uow, enrolment_id)
    report = await find_report(uow, enrolment.id)
    if report is None or report.status != "submitted":
        state = "none" if report is None else report.status
        raise RuleViolation(
            f"only a submitted annual report can be accepted; branch '{branch.code}' has {state}"
        )
    accepted_on = command.accepted_on or today()
    report.status = "accepted"
    report.accepted_on = accepted_on
    report.updated_at = _now()
    uow.session.add(report)
    await move_stage(
        uow, enrolment, branch, Stage.EVALUATED, reached_on=accepted_on, reason=command.reason
    )
    return report


# -- what other services tell us ---------------------------------------------------------------


async def note_volunteer_activity(
    uow: UnitOfWork, branch_id: uuid.UUID, *, worked_on: date
) -> None:
    """Volunteers worked at a branch: a branch still recruiting in the open edition of its type
    moves on to "volunteers active". Anything else changes nothing (later hours, a branch not
    yet recruiting, hours from a branch the registry does not enrol), so redeliveries and
    out-of-order events are harmless."""
    branch = await find_branch(uow, branch_id)
    if branch is None:
        log.warning(
            "approved hours at a branch the registry does not know", branch_id=str(branch_id)
        )
        return
    edition = await open_edition_for(uow, branch.institution_type)
    if edition is None:
        return
    enrolment = await find_enrolment(uow, edition.id, branch.id, lock=True)
    if (
        enrolment is None
        or enrolment.status != EnrolmentStatus.ENROLLED.value
        or enrolment.stage != Stage.RECRUITING.value
    ):
        return
    # Hours worked before recruiting was recorded still count from the day it was.
    reached_on = max(worked_on, enrolment.stage_reached_on or worked_on)
    await move_stage(uow, enrolment, branch, Stage.VOLUNTEERS_ACTIVE, reached_on=reached_on)
