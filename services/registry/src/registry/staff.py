"""Use cases for staff members and trainers: their accounts, and erasing them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import col, select

from registry import events
from registry.clock import today
from registry.commands import (
    StaffChanges,
    StaffDetails,
    TrainerChanges,
    TrainerDetails,
)
from registry.domain import NotFound, RuleViolation
from registry.scope import Page, one_page
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


def check_not_erased(person: StaffMember | Trainer) -> None:
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
    check_not_erased(person)
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
    return await one_page(uow, select(StaffMember).order_by(StaffMember.name), limit, offset)


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
    return await one_page(uow, select(Trainer).order_by(Trainer.name), limit, offset)


def contact(person: StaffMember | Trainer) -> dict[str, Any]:
    """What consumers learn of a person with an assignment: enough to address them."""
    return {
        "name": person.name,
        "email": person.email,
        "language": person.language,
        "subject": person.subject,
    }


# -- erasure of staff and trainers ---------------------------------------------------------

ERASED_NAME = "(usunięto / erased)"


async def erase_staff(uow: UnitOfWork, staff_id: uuid.UUID) -> StaffMember:
    """A staff member asked to be forgotten (or left, and the city keeps no more than it
    needs): their name, e-mail, phone and user id go; their coordination ends today (told
    as coordinator.unassigned, without the name), and so does their administration of a
    district library; their mentoring goes; the outbox keeps
    nothing about them; every service's copy forgets them (staff.erased). The id stays
    where records refer to it (attendance, past assignments)."""
    staff = await get_staff(uow, staff_id)
    check_not_erased(staff)
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
    await connection.execute(
        sa.update(OrganisationAdministrator)
        .where(
            col(OrganisationAdministrator.staff_id) == staff.id,
            col(OrganisationAdministrator.unassigned_on).is_(None),
        )
        .values(
            unassigned_on=sa.func.greatest(
                sa.cast(today(), sa.Date), OrganisationAdministrator.assigned_on
            )
        )
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
                branch_id=branch.id, code=branch.code, staff_id=staff.id, **contact(staff)
            ),
            subject=branch.code,
        )
    await uow.emit(events.StaffErased(staff_id=staff.id), subject=str(staff.id))
    return staff


async def erase_trainer(uow: UnitOfWork, trainer_id: uuid.UUID) -> Trainer:
    """As ``erase_staff``, for a trainer: their assignments end (told as
    trainer.unassigned, without the name); visits keep the id only."""
    trainer = await get_trainer(uow, trainer_id)
    check_not_erased(trainer)
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
                **contact(trainer),
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
