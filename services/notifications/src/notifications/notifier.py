"""What notifications' use cases share: the Notifier (settings, templates, the clock),
the tables they write with plain SQL, the lock that makes events about one task or one
person take turns, and the confirmed places of a task as copied from matching."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import col, select

from notifications.clock import Clock
from notifications.rendering import Renderer
from notifications.settings import NotificationsSettings
from notifications.tables import SCHEMA, Assignment, metadata
from shared.unit_of_work import UnitOfWork


def table(name: str) -> sa.Table:
    return metadata.tables[f"{SCHEMA}.{name}"]


MESSAGES = table("messages")
LOG = table("delivery_log")
REMINDERS = table("reminders")
ERASED = table("erased_volunteers")
CONTACTS = table("volunteer_contacts")
PREFERENCES = table("preferences")
STAFF_PREFERENCES = table("staff_preferences")


@dataclass(frozen=True)
class Notifier:
    """What the use cases need besides the unit of work: settings, templates, the clock."""

    settings: NotificationsSettings
    renderer: Renderer
    clock: Clock


async def serialize(uow: UnitOfWork, kind: str, entity: uuid.UUID) -> None:
    """Events about one task (or one person) may be handled at the same time by concurrent
    consumers; a transaction-scoped advisory lock makes them take turns, so each sees what
    the other committed. Order when both are taken: task, then person."""
    connection = await uow.session.connection()
    await connection.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"notifications:{kind}:{entity}"},
    )


async def confirmed_assignments(uow: UnitOfWork, task_id: uuid.UUID) -> list[Assignment]:
    result = await uow.session.exec(
        select(Assignment)
        .where(Assignment.task_id == task_id, Assignment.status == "confirmed")
        .order_by(col(Assignment.assignment_id))
        .with_for_update()
    )
    return list(result.all())
