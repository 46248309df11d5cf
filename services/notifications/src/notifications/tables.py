"""Notifications's tables, all in schema ``notifications``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel

from shared.db import schema_registry
from shared.staff_scope import staff_scope_tables

SCHEMA = "notifications"

TZ = sa.DateTime(timezone=True)


class NotificationsTable(SQLModel, registry=schema_registry(SCHEMA)):
    pass


class VolunteerContact(NotificationsTable, table=True):
    """A copy of a volunteer's contact data and consents (matching's contact.changed)."""

    __tablename__ = "volunteer_contacts"

    volunteer_id: uuid.UUID = Field(primary_key=True)
    first_name: str | None = None
    email: str | None = None
    phone: str | None = None
    consent_email: bool = False
    consent_sms: bool = False
    language: str = "pl"
    guardian: dict[str, Any] | None = Field(default=None, sa_type=pg.JSONB(none_as_null=True))
    changed_at: datetime = Field(sa_type=TZ)


class ErasedVolunteer(NotificationsTable, table=True):
    """Who asked to be forgotten: a late copy of their contact data is not taken back."""

    __tablename__ = "erased_volunteers"

    volunteer_id: uuid.UUID = Field(primary_key=True)
    erased_at: datetime = Field(sa_type=TZ)


class Preference(NotificationsTable, table=True):
    __tablename__ = "preferences"

    volunteer_id: uuid.UUID = Field(primary_key=True)
    reminder_hours_before: int


class StaffPreference(NotificationsTable, table=True):
    """A coordinator may prefer one daily digest to single messages."""

    __tablename__ = "staff_preferences"

    staff_id: uuid.UUID = Field(primary_key=True)
    daily_digest: bool = False


class Staff(NotificationsTable, table=True):
    """Coordinators and trainers of a branch (registry's events)."""

    __tablename__ = "staff"

    staff_id: uuid.UUID = Field(primary_key=True)
    role: str = Field(primary_key=True)  # "coordinator" | "trainer"
    branch_code: str = Field(primary_key=True)
    branch_id: uuid.UUID
    name: str
    email: str
    language: str = "pl"
    # The identity provider's user id: tokens name staff by it, never by staff_id.
    subject: str | None = Field(default=None, index=True)
    changed_at: datetime = Field(sa_type=TZ)


class Branch(NotificationsTable, table=True):
    """Where a message sends a person: a branch's name, address and opening hours, as
    registry's branch.registered / branch.updated tell them."""

    __tablename__ = "branches"

    branch_id: uuid.UUID = Field(primary_key=True)
    code: str = Field(index=True)
    name: str
    address: str | None = None
    # [{"day": "mon", "opens": "10:00", "closes": "19:00"}, ...]
    opening_hours: list[dict[str, str]] = Field(default_factory=list, sa_type=pg.JSONB)
    changed_at: datetime = Field(sa_type=TZ)


class Task(NotificationsTable, table=True):
    """What messages about a task need: its title, times and places."""

    __tablename__ = "tasks"

    task_id: uuid.UUID = Field(primary_key=True)
    branch_id: uuid.UUID
    branch_code: str
    title: str
    type: str
    starts_at: datetime | None = Field(default=None, sa_type=TZ)
    ends_at: datetime | None = Field(default=None, sa_type=TZ)
    places: int
    cancelled: bool = False
    changed_at: datetime = Field(sa_type=TZ)


class Assignment(NotificationsTable, table=True):
    __tablename__ = "assignments"

    assignment_id: uuid.UUID = Field(primary_key=True)
    task_id: uuid.UUID = Field(index=True)
    volunteer_id: uuid.UUID = Field(index=True)
    branch_id: uuid.UUID
    branch_code: str
    starts_at: datetime | None = Field(default=None, sa_type=TZ)
    ends_at: datetime | None = Field(default=None, sa_type=TZ)
    status: str  # "confirmed" | "cancelled" | "completed" | "no_show"
    changed_at: datetime = Field(sa_type=TZ)


class Reminder(NotificationsTable, table=True):
    """Something to send at a time: a shift reminder, an unfilled-task check, a follow-up.

    Stored, not held in memory: a restart loses none; the sender fires due ones with
    FOR UPDATE SKIP LOCKED, so replicas never fire one twice."""

    __tablename__ = "reminders"
    # The sender reads only what is still to fire.
    __table_args__ = (
        sa.Index("reminders_pending_due", "due_at", postgresql_where=sa.text("status = 'pending'")),
    )

    key: str = Field(primary_key=True)  # e.g. "shift_reminder:<occurrence id>"
    kind: str  # "shift_reminder" | "task_unfilled" | "follow_up_due" | "daily_digest"
    due_at: datetime = Field(sa_type=TZ)
    status: str = "pending"  # "pending" | "done" | "cancelled"
    volunteer_id: uuid.UUID | None = Field(default=None, index=True)
    subject_id: uuid.UUID  # the shift's occurrence, the task, the visit or the coordinator
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=pg.JSONB)
    # The trace it was scheduled in (W3C): its messages, when it fires, continue that trace.
    traceparent: str | None = None
    tracestate: str | None = None


class Message(NotificationsTable, table=True):
    """One message to one recipient on one channel; the idempotency key makes it one."""

    __tablename__ = "messages"
    # The sender reads only what is queued.
    __table_args__ = (
        sa.Index("messages_queued", "created_at", postgresql_where=sa.text("status = 'queued'")),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    idempotency_key: str = Field(unique=True)
    channel: str  # "email" | "sms" | "in_app"
    template: str
    language: str
    recipient_ref: str  # "volunteer:<id>" | "guardian:<volunteer id>" | "staff:<id>"
    volunteer_id: uuid.UUID | None = Field(default=None, index=True)
    branch_code: str | None = None
    address: str | None = None
    subject: str | None = None
    body: str | None = Field(default=None, sa_type=sa.Text)
    # "queued" | "sent" | "failed" | "cancelled"; "held" for a digest, then "digested"
    status: str = "queued"
    attempts: int = 0
    not_before: datetime | None = Field(default=None, sa_type=TZ)
    lease_until: datetime | None = Field(default=None, sa_type=TZ)
    # The sender holding the lease: it sends and records only while this is still its own.
    claim_token: uuid.UUID | None = None
    last_answer: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(sa_type=TZ)
    sent_at: datetime | None = Field(default=None, sa_type=TZ)
    read_at: datetime | None = Field(default=None, sa_type=TZ)
    # The trace the message was created in (W3C): its send continues that trace.
    traceparent: str | None = None
    tracestate: str | None = None


class DeliveryLogEntry(NotificationsTable, table=True):
    __tablename__ = "delivery_log"

    id: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True)
    )
    message_id: uuid.UUID = Field(
        foreign_key="notifications.messages.id", ondelete="CASCADE", index=True
    )
    at: datetime = Field(sa_type=TZ)
    status: str  # "queued" | "sent" | "retry" | "failed" | "cancelled"
    detail: str | None = Field(default=None, sa_type=sa.Text)


metadata = NotificationsTable.metadata
# Registry's coordinator and trainer assignments, as every service keeps them.
STAFF_ASSIGNMENTS, STAFF_SUBJECTS = staff_scope_tables(metadata)
