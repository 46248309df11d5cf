"""Matching's tables, all in schema ``matching``."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel

from shared.db import schema_registry
from shared.staff_scope import staff_scope_tables

SCHEMA = "matching"


class MatchingTable(SQLModel, registry=schema_registry(SCHEMA)):
    pass


class Volunteer(MatchingTable, table=True):
    """A volunteer's profile. Erasure empties every personal field and keeps the anonymous row."""

    __tablename__ = "volunteers"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    portal_id: str | None = Field(default=None, max_length=64, unique=True)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=16)
    birth_date: date | None = None
    districts: list[str] = Field(default_factory=list, sa_type=pg.ARRAY(sa.Text))
    skills: list[str] = Field(default_factory=list, sa_type=pg.ARRAY(sa.Text))
    interests: list[str] = Field(default_factory=list, sa_type=pg.ARRAY(sa.Text))
    languages: list[str] = Field(default_factory=list, sa_type=pg.ARRAY(sa.Text))
    availability: list[dict[str, Any]] = Field(default_factory=list, sa_type=pg.JSONB)
    consent_email: bool = False
    consent_sms: bool = False
    # The language the person chose for their messages (None: from the languages they speak).
    message_language: str | None = Field(default=None, max_length=2)
    guardian: dict[str, Any] | None = Field(default=None, sa_type=pg.JSONB(none_as_null=True))
    registered_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    profile_updated_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    erased_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class ChildProtectionCheck(MatchingTable, table=True):
    """A child-protection check (ustawa Kamilka) as recorded: who recorded it, for which
    branch, when, and what they saw (the day the sex-offender register was checked, the date
    of the criminal-record certificate if one was shown). A volunteer's latest check is the
    one that counts; it opens work with children until ``expires_on``. Erasure deletes them."""

    __tablename__ = "child_protection_checks"
    # A volunteer's latest check; the daily sweep's expiring checks.
    __table_args__ = (
        sa.Index("child_protection_checks_latest", "volunteer_id", "recorded_at"),
        sa.Index("child_protection_checks_expiry", "expires_on"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    volunteer_id: uuid.UUID
    # Null only on checks recorded before checks named their branch and recorder.
    branch_id: uuid.UUID | None = None
    branch_code: str | None = Field(default=None, max_length=64)
    recorded_by: str | None = Field(default=None, max_length=255)
    recorded_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    register_checked_on: date
    criminal_record_on: date | None = None
    expires_on: date
    # When the coordinator was told it is about to expire / has expired (once each).
    expiring_told_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    expired_told_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class ErasedPortalId(MatchingTable, table=True):
    """A one-way digest of an erased portal id, so a late, older copy of an event
    cannot bring the person's data back."""

    __tablename__ = "erased_portal_ids"

    portal_id_digest: str = Field(primary_key=True, max_length=64)
    erased_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class ParkedPurge(MatchingTable, table=True):
    """An erasure still to be carried to the broker's parked messages (dead letters and
    unrouted inbound): one-way digests of the person's ids and contact data, never the
    values. The row goes once the queues are clean."""

    __tablename__ = "parked_purges"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    digests: list[str] = Field(sa_type=pg.ARRAY(sa.Text))
    requested_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class Branch(MatchingTable, table=True):
    """Matching's copy of a registry branch (from branch.registered / updated)."""

    __tablename__ = "branches"

    id: uuid.UUID = Field(primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(sa_type=sa.Text)
    district: str = Field(max_length=64)
    institution_type: str = Field(max_length=32)
    # Where a volunteer goes: the address and opening hours registry announces
    # (``[{"day": "mon", "opens": "10:00", "closes": "18:00"}]``).
    address: str | None = Field(default=None, sa_type=sa.Text)
    opening_hours: list[dict[str, str]] = Field(default_factory=list, sa_type=pg.JSONB)
    # The organisation the branch belongs to (its district library): a party to agreements.
    district_library: str | None = Field(default=None, sa_type=sa.Text)
    changed_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class Edition(MatchingTable, table=True):
    """An edition of the programme; open until its closed event arrives."""

    __tablename__ = "editions"

    id: uuid.UUID = Field(primary_key=True)
    year: int
    name: str = Field(sa_type=sa.Text)
    institution_type: str = Field(max_length=32)
    starts_on: date
    ends_on: date
    closed: bool = False


class Enrolment(MatchingTable, table=True):
    """A branch's enrolment in an edition; the latest event by time wins."""

    __tablename__ = "enrolments"

    branch_id: uuid.UUID = Field(primary_key=True)
    edition_id: uuid.UUID = Field(primary_key=True)
    enrolled: bool
    changed_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class Task(MatchingTable, table=True):
    """A task at a branch. Shifts are Warsaw wall-clock (first_day, start, end, rrule);
    ``starts_at`` / ``ends_at`` are the whole span in UTC."""

    __tablename__ = "tasks"
    # A branch's tasks by status: the coordinator's lists.
    __table_args__ = (sa.Index("tasks_branch", "branch_code", "status"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    branch_id: uuid.UUID
    branch_code: str = Field(max_length=64)
    type: str = Field(max_length=32)
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, sa_type=sa.Text)
    schedule_kind: str = Field(max_length=16)
    first_day: date
    last_day: date | None = None
    start: time | None = None
    end: time | None = None
    rrule: str | None = Field(default=None, sa_type=sa.Text)
    hours: Decimal | None = Field(default=None, sa_type=sa.Numeric(7, 2))
    starts_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    ends_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    places: int
    min_age: int | None = None
    skills: list[str] = Field(default_factory=list, sa_type=pg.ARRAY(sa.Text))
    with_children: bool = False
    # For the volunteer's task page: what to bring, whom to ask for, the language spoken.
    what_to_bring: str | None = Field(default=None, sa_type=sa.Text)
    contact_first_name: str | None = Field(default=None, max_length=100)
    languages: list[str] = Field(default_factory=list, sa_type=pg.ARRAY(sa.Text))
    status: str = Field(default="published", max_length=16)
    cancel_reason: str | None = Field(default=None, sa_type=sa.Text)
    calendar_id: str | None = Field(default=None, unique=True, sa_type=sa.Text)
    source_time: datetime = Field(sa_type=sa.DateTime(timezone=True))
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class CalendarCancellation(MatchingTable, table=True):
    """A calendar cancellation, kept so that an older 'scheduled' arriving late stays void."""

    __tablename__ = "calendar_cancellations"

    calendar_id: str = Field(primary_key=True, sa_type=sa.Text)
    cancelled_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class Application(MatchingTable, table=True):
    """A volunteer's application to a task: submitted, waitlisted, accepted or rejected."""

    __tablename__ = "applications"
    __table_args__ = (sa.UniqueConstraint("task_id", "volunteer_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    task_id: uuid.UUID = Field(index=True)
    volunteer_id: uuid.UUID
    status: str = Field(max_length=16)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    decided_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class Assignment(MatchingTable, table=True):
    """A volunteer's place on a task: confirmed, then completed, no-show or cancelled."""

    __tablename__ = "assignments"
    # One live place per person and task, whatever path (application, proposal) led there.
    __table_args__ = (
        sa.Index(
            "assignments_one_confirmed",
            "task_id",
            "volunteer_id",
            unique=True,
            postgresql_where=sa.text("status = 'confirmed'"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    task_id: uuid.UUID = Field(index=True)
    volunteer_id: uuid.UUID = Field(index=True)
    application_id: uuid.UUID | None = None
    proposal_id: uuid.UUID | None = None
    status: str = Field(max_length=16)
    # False while the person holds only dates given from a date's waitlist (their
    # application still waits for a place in the whole series).
    whole_series: bool = True
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    changed_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class Occurrence(MatchingTable, table=True):
    """One date of a volunteer's assignment: planned, then attended, absent or excused
    ("I can't come this time"); declined or cancelled when the date is not theirs after all.
    ``code`` is the six characters typed at the branch's kiosk on that day."""

    __tablename__ = "occurrences"
    __table_args__ = (
        sa.UniqueConstraint("assignment_id", "occurrence_date"),
        # A date's roster and places; a volunteer's shifts by date.
        sa.Index("occurrences_task_date", "task_id", "occurrence_date"),
        sa.Index("occurrences_volunteer_date", "volunteer_id", "occurrence_date"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    assignment_id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    occurrence_date: date
    # Null for a flexible task: it has a period (up to ``until``), no time.
    starts_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    ends_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    until: date
    state: str = Field(max_length=16)
    code: str = Field(max_length=6, unique=True)
    checked_in_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    checked_out_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    hours_entry_id: uuid.UUID | None = None
    changed_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class Proposal(MatchingTable, table=True):
    """A plan's proposal to a volunteer: proposed, then accepted, declined or expired."""

    __tablename__ = "proposals"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    plan_id: uuid.UUID = Field(index=True)
    task_id: uuid.UUID = Field(index=True)
    volunteer_id: uuid.UUID = Field(index=True)
    points: int
    status: str = Field(max_length=16)
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    responded_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class UsedLinkToken(MatchingTable, table=True):
    """A signed no-login link works once: its ``jti`` is recorded when it is used."""

    __tablename__ = "used_link_tokens"

    jti: str = Field(primary_key=True, max_length=64)
    used_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class HoursEntry(MatchingTable, table=True):
    """Hours worked on an assignment: logged, then approved or rejected by the coordinator.
    Anonymous once the volunteer is erased (hours per branch stay correct)."""

    __tablename__ = "hours"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    assignment_id: uuid.UUID = Field(index=True)
    task_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str = Field(max_length=64)
    volunteer_id: uuid.UUID = Field(index=True)
    hours: Decimal = Field(sa_type=sa.Numeric(5, 2))
    worked_on: date
    status: str = Field(max_length=16)
    logged_by: str = Field(max_length=16)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    decided_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class Agreement(MatchingTable, table=True):
    """A volunteer agreement (porozumienie) between a volunteer and a branch."""

    __tablename__ = "agreements"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    volunteer_id: uuid.UUID = Field(index=True)
    branch_id: uuid.UUID
    branch_code: str = Field(max_length=64)
    scope: str = Field(sa_type=sa.Text)
    starts_on: date
    ends_on: date
    written_form_required: bool
    guardian_role: str = Field(max_length=32)
    # Personal: cleared on erasure.
    guardian_name: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    # For the document: when the volunteer works (else the branch's opening hours) and
    # which costs beyond travel the branch has agreed to reimburse (none when empty).
    working_hours: str | None = Field(default=None, sa_type=sa.Text)
    reimbursed_costs: str | None = Field(default=None, sa_type=sa.Text)
    # Set when a signed copy came back.
    signed_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class AgreementSignedCopy(MatchingTable, table=True):
    """The signed agreement sent back as a PDF (kept apart: lists of agreements never
    load it). It bears the person's signature, so erasure drops it."""

    __tablename__ = "agreement_signed_copies"

    agreement_id: uuid.UUID = Field(
        foreign_key="matching.agreements.id", ondelete="CASCADE", primary_key=True
    )
    pdf: bytes = Field(sa_type=sa.LargeBinary)
    size_bytes: int
    uploaded_by: str = Field(max_length=32)
    uploaded_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class ReferenceRequest(MatchingTable, table=True):
    """A volunteer's request for a written reference (opinia) about the work under one
    agreement; the coordinator's text and its PDF once written. Erasure drops both."""

    __tablename__ = "reference_requests"
    __table_args__ = (
        # One open request per agreement: asking twice is the same request.
        sa.Index(
            "reference_requests_one_open",
            "agreement_id",
            unique=True,
            postgresql_where=sa.text("written_at IS NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agreement_id: uuid.UUID = Field(
        foreign_key="matching.agreements.id", ondelete="CASCADE", index=True
    )
    volunteer_id: uuid.UUID = Field(index=True)
    branch_code: str = Field(max_length=64, index=True)
    requested_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    text: str | None = Field(default=None, sa_type=sa.Text)
    pdf: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    written_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class Certificate(MatchingTable, table=True):
    """An issued certificate (zaświadczenie); the PDF names the person, so erasure drops it."""

    __tablename__ = "certificates"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    volunteer_id: uuid.UUID = Field(index=True)
    branch_id: uuid.UUID
    branch_code: str = Field(max_length=64)
    approved_hours: Decimal = Field(sa_type=sa.Numeric(8, 2))
    period_from: date
    period_to: date
    pdf: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    issued_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class Milestone(MatchingTable, table=True):
    """A milestone a volunteer reached (first shift, approved hours, a year): once each.
    Anonymous (an id and hours), so it stays after erasure like the hours it counts."""

    __tablename__ = "milestones"

    volunteer_id: uuid.UUID = Field(primary_key=True)
    milestone: str = Field(primary_key=True, max_length=16)
    reached_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    approved_hours: Decimal = Field(sa_type=sa.Numeric(8, 2))
    branch_id: uuid.UUID | None = None


class CalendarFeed(MatchingTable, table=True):
    """A volunteer's personal iCal feed; only the SHA-256 of its secret link token is kept."""

    __tablename__ = "calendar_feeds"

    volunteer_id: uuid.UUID = Field(primary_key=True)
    token_digest: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class KioskSession(MatchingTable, table=True):
    """A branch's kiosk opened on one device by a coordinator: its token names this row, so
    a lost tablet is shut out at once by revoking it. Rows (with the staff names on them)
    are dropped a month after the kiosk expired; a coordinator or trainer erased in
    registry loses their name and user id here at once (``kiosks.forget_staff``)."""

    __tablename__ = "kiosk_sessions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    branch_code: str = Field(max_length=64, index=True)
    # What the coordinator called the device ("tablet przy wypożyczalni"), if anything.
    device: str | None = Field(default=None, max_length=60)
    opened_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    opened_by_subject: str = Field(max_length=255)
    opened_by: str | None = Field(default=None, max_length=120)
    last_used_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    revoked_by: str | None = Field(default=None, max_length=120)
    # registry's person ids (from the staff copy), so that erasing them reaches these rows.
    opened_by_person: uuid.UUID | None = Field(default=None, index=True)
    revoked_by_person: uuid.UUID | None = Field(default=None, index=True)


metadata = MatchingTable.metadata
# Registry's coordinator and trainer assignments, as every service keeps them.
STAFF_ASSIGNMENTS, STAFF_SUBJECTS = staff_scope_tables(metadata)
