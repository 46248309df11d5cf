"""Registry's tables, all in schema ``registry``."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel

from shared.db import schema_registry

SCHEMA = "registry"


def _now() -> datetime:
    return datetime.now(UTC)


def _timestamp() -> Any:
    return Field(default_factory=_now, sa_type=sa.DateTime(timezone=True))


class RegistryTable(SQLModel, registry=schema_registry(SCHEMA)):
    pass


class District(RegistryTable, table=True):
    """One of Warsaw's 18 districts (loaded by migration 0002)."""

    __tablename__ = "districts"

    slug: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=100)
    district_library: str = Field(max_length=300)


class Organisation(RegistryTable, table=True):
    """An organisation that runs branches: a district library (or a culture centre's body)."""

    __tablename__ = "organisations"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=300, unique=True)
    district: str = Field(foreign_key="registry.districts.slug", max_length=40)
    institution_type: str = Field(max_length=20)


class Branch(RegistryTable, table=True):
    """A branch (filia) or another institution that can take part in an edition."""

    __tablename__ = "branches"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    institution_type: str = Field(max_length=20)
    district: str = Field(foreign_key="registry.districts.slug", max_length=40, index=True)
    organisation_id: uuid.UUID | None = Field(default=None, foreign_key="registry.organisations.id")
    address: str = Field(max_length=300)
    opening_hours: list[dict[str, Any]] = Field(default_factory=list, sa_type=pg.JSONB)
    volunteer_spaces: int = 0
    contact_name: str | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, max_length=320)
    contact_phone: str | None = Field(default=None, max_length=16)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class Edition(RegistryTable, table=True):
    """An edition of the programme for one institution type; at most one open per type."""

    __tablename__ = "editions"
    __table_args__ = (
        sa.UniqueConstraint("institution_type", "year", name="editions_type_year_key"),
        sa.Index(
            "editions_one_open_per_type",
            "institution_type",
            unique=True,
            postgresql_where=sa.text("status = 'open'"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    year: int
    name: str = Field(max_length=200)
    institution_type: str = Field(max_length=20)
    starts_on: date
    ends_on: date
    status: str = Field(default="planned", max_length=10)
    opened_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    closed_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    created_at: datetime = _timestamp()


class Enrolment(RegistryTable, table=True):
    """A branch taking part in an edition, with its funding and its current stage."""

    __tablename__ = "enrolments"
    __table_args__ = (
        sa.UniqueConstraint("edition_id", "branch_id", name="enrolments_edition_branch_key"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    edition_id: uuid.UUID = Field(foreign_key="registry.editions.id")
    branch_id: uuid.UUID = Field(foreign_key="registry.branches.id", index=True)
    funding_pln: Decimal = Field(sa_type=sa.Numeric(12, 2))
    enrolled_on: date
    status: str = Field(default="enrolled", max_length=10)
    withdrawn_on: date | None = None
    withdrawal_reason: str | None = Field(default=None, max_length=1000)
    # The latest stage reached (kept with its history in stage_records, in one transaction):
    # lists filter on it.
    stage: str | None = Field(default=None, max_length=20)
    stage_reached_on: date | None = None
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class StaffMember(RegistryTable, table=True):
    """A member of a branch's staff: a coordinator, and later perhaps a mentor."""

    __tablename__ = "staff"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320, unique=True)
    phone: str | None = Field(default=None, max_length=16)
    language: str = Field(default="pl", max_length=2)
    subject: str | None = Field(default=None, max_length=200, unique=True)
    created_at: datetime = _timestamp()
    # Erased: name, e-mail, phone and user id redacted; never assigned again.
    erased_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class Trainer(RegistryTable, table=True):
    """A trainer from the NGO the city chose: trains branch staff and monitors branches."""

    __tablename__ = "trainers"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320, unique=True)
    phone: str | None = Field(default=None, max_length=16)
    language: str = Field(default="pl", max_length=2)
    subject: str | None = Field(default=None, max_length=200, unique=True)
    organisation: str | None = Field(default=None, max_length=300)
    created_at: datetime = _timestamp()
    # Erased: name, e-mail, phone and user id redacted; never assigned again.
    erased_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class CoordinatorAssignment(RegistryTable, table=True):
    """A staff member coordinates volunteers at a branch, from a date until unassigned."""

    __tablename__ = "coordinator_assignments"
    __table_args__ = (
        sa.Index(
            "coordinator_assignments_one_current",
            "branch_id",
            "staff_id",
            unique=True,
            postgresql_where=sa.text("unassigned_on IS NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    branch_id: uuid.UUID = Field(foreign_key="registry.branches.id")
    staff_id: uuid.UUID = Field(foreign_key="registry.staff.id", index=True)
    assigned_on: date
    unassigned_on: date | None = None


class OrganisationAdministrator(RegistryTable, table=True):
    """A staff member administers an organisation (a district library's director or their
    deputy) and so acts for all its branches, from a date until unassigned."""

    __tablename__ = "organisation_administrators"
    __table_args__ = (
        sa.Index(
            "organisation_administrators_one_current",
            "organisation_id",
            "staff_id",
            unique=True,
            postgresql_where=sa.text("unassigned_on IS NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="registry.organisations.id")
    staff_id: uuid.UUID = Field(foreign_key="registry.staff.id", index=True)
    assigned_on: date
    unassigned_on: date | None = None


class TrainerAssignment(RegistryTable, table=True):
    """A trainer supports a branch in an edition (through its enrolment)."""

    __tablename__ = "trainer_assignments"
    __table_args__ = (
        sa.UniqueConstraint("enrolment_id", "trainer_id", name="trainer_assignments_key"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enrolment_id: uuid.UUID = Field(foreign_key="registry.enrolments.id")
    trainer_id: uuid.UUID = Field(foreign_key="registry.trainers.id", index=True)
    assigned_on: date


class MentorAssignment(RegistryTable, table=True):
    """An experienced coordinator mentors a branch in an edition."""

    __tablename__ = "mentor_assignments"
    __table_args__ = (
        sa.UniqueConstraint("enrolment_id", "staff_id", name="mentor_assignments_key"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enrolment_id: uuid.UUID = Field(foreign_key="registry.enrolments.id")
    staff_id: uuid.UUID = Field(foreign_key="registry.staff.id", index=True)
    assigned_on: date


class StageRecord(RegistryTable, table=True):
    """Each stage a branch reached in an edition, with its date (and why, when out of order)."""

    __tablename__ = "stage_records"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enrolment_id: uuid.UUID = Field(foreign_key="registry.enrolments.id", index=True)
    stage: str = Field(max_length=20)
    previous_stage: str | None = Field(default=None, max_length=20)
    reached_on: date
    reason: str | None = Field(default=None, max_length=1000)
    recorded_at: datetime = _timestamp()


class TrainingModule(RegistryTable, table=True):
    """A training module of an edition, or a coordinators' forum meeting."""

    __tablename__ = "training_modules"
    __table_args__ = (
        sa.UniqueConstraint("edition_id", "kind", "number", name="training_modules_key"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    edition_id: uuid.UUID = Field(foreign_key="registry.editions.id")
    kind: str = Field(max_length=10)
    number: int
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=5000)


class TrainingSession(RegistryTable, table=True):
    """One meeting of a module: a date, a trainer, a topic, a place."""

    __tablename__ = "training_sessions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    module_id: uuid.UUID = Field(foreign_key="registry.training_modules.id", index=True)
    held_on: date
    trainer_id: uuid.UUID | None = Field(default=None, foreign_key="registry.trainers.id")
    topic: str = Field(max_length=200)
    place: str = Field(max_length=300)
    # What was said and agreed (kept for forum meetings, shown to every coordinator).
    notes: str | None = Field(default=None, max_length=5000)


class Attendance(RegistryTable, table=True):
    """A staff member attended a session on behalf of a branch (a person who coordinates two
    branches attends once for both)."""

    __tablename__ = "attendance"

    session_id: uuid.UUID = Field(foreign_key="registry.training_sessions.id", primary_key=True)
    staff_id: uuid.UUID = Field(foreign_key="registry.staff.id", primary_key=True)
    branch_id: uuid.UUID = Field(foreign_key="registry.branches.id", primary_key=True, index=True)
    recorded_at: datetime = _timestamp()


class Programme(RegistryTable, table=True):
    """A branch's volunteer programme in an edition."""

    __tablename__ = "programmes"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enrolment_id: uuid.UUID = Field(foreign_key="registry.enrolments.id", unique=True)
    spaces: str = Field(max_length=5000)
    hours_available: str = Field(max_length=5000)
    task_types: list[str] = Field(default_factory=list, sa_type=pg.ARRAY(sa.Text))
    volunteer_profiles: str = Field(max_length=5000)
    welcome_and_care: str = Field(max_length=5000)
    status: str = Field(default="draft", max_length=10)
    submitted_on: date | None = None
    accepted_on: date | None = None
    updated_at: datetime = _timestamp()


class ReviewComment(RegistryTable, table=True):
    """A trainer's (or the city office's) comment on a branch's programme or annual report;
    ``returned`` when it sent the document back to the coordinator for changes."""

    __tablename__ = "review_comments"
    __table_args__ = (sa.Index("review_comments_enrolment", "enrolment_id", "document"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enrolment_id: uuid.UUID = Field(foreign_key="registry.enrolments.id")
    document: str = Field(max_length=10)
    trainer_id: uuid.UUID | None = Field(default=None, foreign_key="registry.trainers.id")
    author: str = Field(max_length=200)
    body: str = Field(max_length=5000)
    returned: bool = False
    written_at: datetime = _timestamp()


class MonitoringVisit(RegistryTable, table=True):
    """A trainer's monitoring visit at a branch."""

    __tablename__ = "monitoring_visits"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enrolment_id: uuid.UUID = Field(foreign_key="registry.enrolments.id", index=True)
    trainer_id: uuid.UUID = Field(foreign_key="registry.trainers.id", index=True)
    visited_on: date
    notes: str = Field(max_length=5000)
    next_steps: str | None = Field(default=None, max_length=5000)
    follow_up_on: date | None = None
    recorded_at: datetime = _timestamp()


class AnnualReport(RegistryTable, table=True):
    """A branch's annual report (sprawozdanie): its coordinator submits, the city accepts."""

    __tablename__ = "annual_reports"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enrolment_id: uuid.UUID = Field(foreign_key="registry.enrolments.id", unique=True)
    summary: str = Field(max_length=5000)
    volunteers_count: int
    volunteer_hours: Decimal = Field(sa_type=sa.Numeric(9, 2))
    tasks_carried_out: list[str] = Field(default_factory=list, sa_type=pg.ARRAY(sa.Text))
    conclusions: str | None = Field(default=None, max_length=5000)
    # What the branch spent of its funding: the accepted report settles the edition's budget.
    spent_pln: Decimal | None = Field(default=None, sa_type=sa.Numeric(12, 2))
    status: str = Field(default="draft", max_length=10)
    submitted_on: date | None = None
    accepted_on: date | None = None
    updated_at: datetime = _timestamp()


class ApplicationCall(RegistryTable, table=True):
    """An edition's call for applications: when branches may apply, on what criteria, and
    the edition's budget the city grants from."""

    __tablename__ = "application_calls"

    edition_id: uuid.UUID = Field(foreign_key="registry.editions.id", primary_key=True)
    opens_on: date
    closes_on: date
    criteria: str = Field(max_length=5000)
    budget_pln: Decimal = Field(sa_type=sa.Numeric(12, 2))
    announced_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class Application(RegistryTable, table=True):
    """A branch's application to an edition; at most one per branch and edition. Accepted,
    it becomes the branch's enrolment with the funding granted."""

    __tablename__ = "applications"
    __table_args__ = (
        sa.UniqueConstraint("edition_id", "branch_id", name="applications_edition_branch_key"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    edition_id: uuid.UUID = Field(foreign_key="registry.editions.id", index=True)
    branch_id: uuid.UUID = Field(foreign_key="registry.branches.id", index=True)
    motivation: str = Field(max_length=5000)
    team: str = Field(max_length=5000)
    task_types: list[str] = Field(default_factory=list, sa_type=pg.ARRAY(sa.Text))
    status: str = Field(default="submitted", max_length=20)
    submitted_on: date
    # What the city office answered: funding on acceptance, a reason on rejection, what to
    # change when it asks for changes.
    funding_pln: Decimal | None = Field(default=None, sa_type=sa.Numeric(12, 2))
    answer: str | None = Field(default=None, max_length=1000)
    decided_on: date | None = None
    enrolment_id: uuid.UUID | None = Field(default=None, foreign_key="registry.enrolments.id")
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


metadata = RegistryTable.metadata
