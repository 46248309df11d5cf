"""People's choices: a volunteer's reminder lead time, a coordinator's daily digest."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import select

from notifications.domain.rules import reminder_due
from notifications.message_queue import log_delivery
from notifications.notifier import MESSAGES, PREFERENCES, STAFF_PREFERENCES, Notifier
from notifications.tables import Preference, Reminder
from shared.unit_of_work import UnitOfWork


async def set_reminder_preference(uow: UnitOfWork, volunteer_id: uuid.UUID, hours: int) -> None:
    """A volunteer's own lead time; their pending shift reminders move with it."""
    connection = await uow.session.connection()
    await connection.execute(
        insert(PREFERENCES)
        .values(volunteer_id=volunteer_id, reminder_hours_before=hours)
        .on_conflict_do_update(
            index_elements=["volunteer_id"], set_={"reminder_hours_before": hours}
        )
    )
    pending = await uow.session.exec(
        select(Reminder).where(
            Reminder.volunteer_id == volunteer_id,
            Reminder.kind == "shift_reminder",
            Reminder.status == "pending",
        )
    )
    for reminder in pending.all():
        starts_at = datetime.fromisoformat(reminder.payload["starts_at"])
        reminder.due_at = reminder_due(starts_at, hours)
        uow.session.add(reminder)


async def reminder_hours(uow: UnitOfWork, notifier: Notifier, volunteer_id: uuid.UUID) -> int:
    preference = await uow.session.get(Preference, volunteer_id)
    if preference is not None:
        return preference.reminder_hours_before
    return notifier.settings.reminder_hours_before


async def set_staff_preference(uow: UnitOfWork, staff_id: uuid.UUID, daily_digest: bool) -> None:
    connection = await uow.session.connection()
    await connection.execute(
        insert(STAFF_PREFERENCES)
        .values(staff_id=staff_id, daily_digest=daily_digest)
        .on_conflict_do_update(index_elements=["staff_id"], set_={"daily_digest": daily_digest})
    )
    if not daily_digest:
        # What waits for a digest goes now, one by one.
        released = await connection.execute(
            MESSAGES.update()
            .where(MESSAGES.c.recipient_ref == f"staff:{staff_id}", MESSAGES.c.status == "held")
            .values(status="queued")
            .returning(MESSAGES.c.id)
        )
        for (message_id,) in released:
            await log_delivery(uow, message_id, "queued", "the daily digest was turned off")
