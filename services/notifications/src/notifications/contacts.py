"""Contacts: volunteers' as matching tells of them, staff's as registry tells of them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import col, select

from notifications import contracts as c
from notifications.notifier import serialize
from notifications.tables import ErasedVolunteer, Staff, VolunteerContact
from shared.unit_of_work import UnitOfWork


async def record_volunteer_contact(
    uow: UnitOfWork, data: c.VolunteerContact, *, occurred_at: datetime
) -> None:
    """Keep the newest copy; a person who was forgotten is not brought back."""
    session = uow.session
    await serialize(uow, "person", data.volunteer_id)
    if await session.get(ErasedVolunteer, data.volunteer_id) is not None:
        return
    contact = await session.get(VolunteerContact, data.volunteer_id, with_for_update=True)
    if contact is not None and occurred_at < contact.changed_at:
        return
    contact = contact or VolunteerContact(volunteer_id=data.volunteer_id, changed_at=occurred_at)
    contact.first_name = data.first_name
    contact.email = data.email
    contact.phone = data.phone
    contact.consent_email = data.consents.email
    contact.consent_sms = data.consents.sms
    contact.language = data.language if data.language in ("pl", "en") else "pl"
    contact.guardian = data.guardian.model_dump() if data.guardian else None
    contact.changed_at = occurred_at
    session.add(contact)


async def record_staff(
    uow: UnitOfWork,
    *,
    role: str,
    staff_id: uuid.UUID,
    branch_id: uuid.UUID,
    branch_code: str,
    name: str,
    email: str,
    language: str,
    subject: str | None,
    occurred_at: datetime,
) -> None:
    session = uow.session
    staff = await session.get(Staff, (staff_id, role, branch_code), with_for_update=True)
    if staff is not None and occurred_at < staff.changed_at:
        return
    staff = staff or Staff(
        staff_id=staff_id,
        role=role,
        branch_code=branch_code,
        branch_id=branch_id,
        name=name,
        email=email,
        changed_at=occurred_at,
    )
    staff.branch_id, staff.name, staff.email = branch_id, name, email
    staff.language, staff.subject, staff.changed_at = language, subject, occurred_at
    session.add(staff)


async def record_staff_subject(
    uow: UnitOfWork, *, role: str, staff_id: uuid.UUID, subject: str | None, occurred_at: datetime
) -> None:
    """registry's staff / trainer subject.changed: the person's rows at every branch take the
    new user id, unless a newer event already told them more."""
    rows = await uow.session.exec(
        select(Staff)
        .where(Staff.staff_id == staff_id, Staff.role == role, col(Staff.changed_at) <= occurred_at)
        .with_for_update()
    )
    for staff in rows.all():
        staff.subject, staff.changed_at = subject, occurred_at
        uow.session.add(staff)


async def coordinator_by_subject(uow: UnitOfWork, subject: str) -> uuid.UUID | None:
    """The staff id of the coordinator whose tokens carry ``subject`` (None if nobody's)."""
    query = (
        select(Staff.staff_id)
        .where(Staff.subject == subject, Staff.role == "coordinator")
        # Registry keeps user ids unique; should events about a moved id cross, the latest wins.
        .order_by(col(Staff.changed_at).desc())
        .limit(1)
    )
    return (await uow.session.exec(query)).first()


async def remove_staff(
    uow: UnitOfWork, *, role: str, staff_id: uuid.UUID, branch_code: str
) -> None:
    staff = await uow.session.get(Staff, (staff_id, role, branch_code))
    if staff is not None:
        await uow.session.delete(staff)
