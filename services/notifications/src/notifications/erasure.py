"""Forgetting a person: a volunteer (matching's erasure) or a member of staff (registry's)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from notifications.message_queue import log_delivery
from notifications.notifier import (
    CONTACTS,
    ERASED,
    LOG,
    MESSAGES,
    PREFERENCES,
    REMINDERS,
    STAFF_PREFERENCES,
    serialize,
    table,
)
from notifications.tables import SCHEMA, VolunteerContact
from shared.erasure import purge_outbox
from shared.unit_of_work import UnitOfWork


async def erase_volunteer(uow: UnitOfWork, volunteer_id: uuid.UUID) -> None:
    """Forget the person: contact data, preferences, inbox and the texts and addresses of
    messages to them (and to their guardian) go; queued messages and reminders are cancelled;
    outbox rows carrying their contact data go; the delivery log stays, anonymous and
    without the providers' answers."""
    connection = await uow.session.connection()
    # Reminders first: the sender locks a reminder row, then the person.
    await connection.execute(
        REMINDERS.update()
        .where(REMINDERS.c.volunteer_id == volunteer_id, REMINDERS.c.status == "pending")
        .values(status="cancelled")
    )
    await serialize(uow, "person", volunteer_id)
    # Events about the person that repeat their contact data (a provider's answer naming
    # the address) leave the outbox now, not when it is trimmed after 72 h.
    contact = await uow.session.get(VolunteerContact, volunteer_id)
    if contact is not None:
        guardian = contact.guardian or {}
        await purge_outbox(
            connection,
            SCHEMA,
            identifiers=[str(volunteer_id)],
            personal=[
                contact.first_name,
                contact.email,
                contact.phone,
                guardian.get("name"),
                guardian.get("email"),
            ],
        )
    await connection.execute(
        insert(ERASED)
        .values(volunteer_id=volunteer_id, erased_at=datetime.now(UTC))
        .on_conflict_do_nothing()
    )
    await connection.execute(CONTACTS.delete().where(CONTACTS.c.volunteer_id == volunteer_id))
    await connection.execute(PREFERENCES.delete().where(PREFERENCES.c.volunteer_id == volunteer_id))
    cancelled = await connection.execute(
        MESSAGES.update()
        .where(MESSAGES.c.volunteer_id == volunteer_id, MESSAGES.c.status == "queued")
        .values(status="cancelled", lease_until=None)
        .returning(MESSAGES.c.id)
    )
    for (message_id,) in cancelled:
        await log_delivery(uow, message_id, "cancelled", "the person asked to be forgotten")
    await connection.execute(
        MESSAGES.delete().where(
            MESSAGES.c.volunteer_id == volunteer_id, MESSAGES.c.channel == "in_app"
        )
    )
    await connection.execute(
        MESSAGES.update()
        .where(MESSAGES.c.volunteer_id == volunteer_id)
        .values(address=None, subject=None, body=None, last_answer=None, claim_token=None)
    )
    # The log keeps what happened and when; what the providers said about them goes.
    await connection.execute(
        LOG.update()
        .where(
            LOG.c.message_id.in_(
                sa.select(MESSAGES.c.id).where(MESSAGES.c.volunteer_id == volunteer_id)
            ),
            LOG.c.status.in_(("sent", "retry", "failed")),
        )
        .values(detail=None)
    )
    await connection.execute(
        REMINDERS.update()
        .where(REMINDERS.c.volunteer_id == volunteer_id, REMINDERS.c.status == "pending")
        .values(status="cancelled")
    )


async def forget_staff(uow: UnitOfWork, *, role: str, staff_id: uuid.UUID) -> None:
    """registry erased a coordinator or trainer: their rows at every branch, their choices,
    and the address and text of every message to them go; queued ones are cancelled.
    (The copy of their assignments forgets them in the same transaction: staff_scope.)"""
    connection = await uow.session.connection()
    staff = table("staff")
    await connection.execute(
        staff.delete().where(staff.c.staff_id == staff_id, staff.c.role == role)
    )
    if role == "coordinator":
        await connection.execute(
            STAFF_PREFERENCES.delete().where(STAFF_PREFERENCES.c.staff_id == staff_id)
        )
    ref = f"staff:{staff_id}"
    await connection.execute(
        MESSAGES.update()
        .where(MESSAGES.c.recipient_ref == ref, MESSAGES.c.status.in_(("queued", "held")))
        .values(status="cancelled", lease_until=None)
    )
    mine = sa.select(MESSAGES.c.id).where(MESSAGES.c.recipient_ref == ref)
    await connection.execute(LOG.update().where(LOG.c.message_id.in_(mine)).values(detail=None))
    await connection.execute(
        MESSAGES.update()
        .where(MESSAGES.c.recipient_ref == ref)
        .values(address=None, subject=None, body=None, last_answer=None)
    )
