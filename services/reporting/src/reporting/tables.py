"""Reporting's tables in schema ``reporting``: the fact log and the read models built from it.

Reporting holds no personal data: only ids and anonymous facts.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel

from shared.db import schema_registry
from shared.staff_scope import staff_scope_tables

SCHEMA = "reporting"


class ReportingTable(SQLModel, registry=schema_registry(SCHEMA)):
    pass


class Fact(ReportingTable, table=True):
    """Append-only log of every event consumed; every read model can be rebuilt from it."""

    __tablename__ = "facts"
    # A redelivered event is one fact.
    __table_args__ = (sa.UniqueConstraint("event_source", "event_id"),)

    seq: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True)
    )
    event_id: str = Field(sa_type=sa.Text)
    event_source: str = Field(sa_type=sa.Text)
    event_type: str = Field(index=True, sa_type=sa.Text)
    occurred_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    recorded_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    data: dict[str, Any] = Field(sa_type=pg.JSONB)


class VolunteerFact(ReportingTable, table=True):
    """One anonymous volunteer: known by id only."""

    __tablename__ = "volunteers"

    volunteer_id: uuid.UUID = Field(primary_key=True)
    minor: bool
    districts: list[str] = Field(default_factory=list, sa_type=pg.ARRAY(sa.Text))
    registered_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    erased: bool = False


class VolunteerTotals(ReportingTable, table=True):
    """Running totals, incremented per fact: a fact applied twice would show here."""

    __tablename__ = "volunteer_totals"

    id: int = Field(default=1, primary_key=True)
    registered: int = 0
    erased: int = 0
    minors: int = 0


class Snapshot(ReportingTable, table=True):
    """The merged state of one entity (an edition, a branch, a task, an hours entry...).

    ``data`` holds the entity as reporting.domain.entities defines it: ids, dates, counts,
    never names or contacts. Every view is computed from these rows.
    """

    __tablename__ = "snapshots"
    # The context an item's contribution is derived from: a branch's enrolments, a task's
    # assignments (whether it is filled).
    __table_args__ = tuple(
        sa.Index(
            f"snapshots_{kind}_{field}",
            sa.text(f"(data ->> '{field}'::text)"),
            postgresql_where=sa.text(f"kind = '{kind}'::text"),
        )
        for kind, field in (
            ("enrolment", "branch_id"),
            ("enrolment", "edition_id"),
            ("assignment", "task_id"),
        )
    )

    kind: str = Field(primary_key=True, sa_type=sa.Text)
    key: str = Field(primary_key=True, sa_type=sa.Text)
    data: dict[str, Any] = Field(sa_type=pg.JSONB)


class BranchActivity(ReportingTable, table=True):
    """The day each task, assignment and hours entry is activity at its branch on
    (``views.activity_of``), kept with its snapshot: the monitoring's last activity is
    read from here (the latest day per branch) instead of from every item's snapshot."""

    __tablename__ = "branch_activity"
    __table_args__ = (sa.Index("ix_branch_activity_branch_day", "branch_id", "day"),)

    kind: str = Field(primary_key=True, sa_type=sa.Text)
    key: str = Field(primary_key=True, sa_type=sa.Text)
    branch_id: uuid.UUID
    day: date


class LogVersion(ReportingTable, table=True):
    """Bumped in the transaction of every fact (and by a rebuild): readers that cache the
    views know from it, in one cheap query, whether anything changed."""

    __tablename__ = "log_version"

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, sa_type=sa.BigInteger)


CELL_TEXT = sa.Text(collation="C")
"""Cells compare byte by byte: no locale rules in every index step of millions of rows."""


class Contribution(ReportingTable, table=True):
    """What each item (enrolment, task, assignment, approved hours, proposal, certificate)
    adds to the totals, as it was added: the live consumer subtracts it when the item or
    its context (branch, enrolments, editions, task) changes, and adds the new one."""

    __tablename__ = "contributions"
    # A selection (a date range, a reader's branches) reads by edition or branch, and days.
    __table_args__ = (
        sa.Index("ix_contributions_edition_day", "edition", "day"),
        sa.Index("ix_contributions_branch_day", "branch", "day"),
    )

    kind: str = Field(primary_key=True, sa_type=sa.Text)
    key: str = Field(primary_key=True, sa_type=sa.Text)
    branch_id: uuid.UUID = Field(index=True)
    task_id: uuid.UUID | None = Field(default=None, index=True)
    edition: str = Field(sa_type=CELL_TEXT)
    district: str = Field(sa_type=CELL_TEXT)
    branch: str = Field(sa_type=CELL_TEXT)
    institution_type: str = Field(sa_type=CELL_TEXT)
    task_type: str = Field(sa_type=CELL_TEXT)
    day: date | None = None
    role: str | None = Field(default=None, sa_type=sa.Text)
    member_id: uuid.UUID | None = None
    items: int = 0
    approved_hours: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric)
    tasks_published: int = 0
    tasks_cancelled: int = 0
    tasks_filled: int = 0
    no_shows: int = 0
    proposals_made: int = 0
    proposals_accepted: int = 0
    proposals_declined: int = 0
    proposals_expired: int = 0
    certificates_issued: int = 0


class Total(ReportingTable, table=True):
    """One cell of a view: sums and distinct counts, kept by delta (domain/totals.py)."""

    __tablename__ = "totals"

    edition: str = Field(primary_key=True, sa_type=CELL_TEXT)
    grouped_by: str = Field(primary_key=True, sa_type=CELL_TEXT)
    value: str = Field(primary_key=True, sa_type=CELL_TEXT)
    items: int = 0
    approved_hours: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric)
    tasks_published: int = 0
    tasks_cancelled: int = 0
    tasks_filled: int = 0
    no_shows: int = 0
    proposals_made: int = 0
    proposals_accepted: int = 0
    proposals_declined: int = 0
    proposals_expired: int = 0
    certificates_issued: int = 0
    recruited: int = 0
    active: int = 0
    enrolled: int = 0
    known: int = 0
    minors: int = 0


class TotalVolunteer(ReportingTable, table=True):
    """A volunteer's membership of a cell: how many of its items recruit them, and how
    many approved entries they have in it (counted once however many)."""

    __tablename__ = "total_volunteers"

    volunteer_id: uuid.UUID = Field(primary_key=True)
    edition: str = Field(primary_key=True, sa_type=CELL_TEXT)
    grouped_by: str = Field(primary_key=True, sa_type=CELL_TEXT)
    value: str = Field(primary_key=True, sa_type=CELL_TEXT)
    recruiting: int = 0
    active: int = 0


class TotalBranch(ReportingTable, table=True):
    """An enrolled branch's membership of a cell."""

    __tablename__ = "total_branches"

    branch_id: uuid.UUID = Field(primary_key=True)
    edition: str = Field(primary_key=True, sa_type=CELL_TEXT)
    grouped_by: str = Field(primary_key=True, sa_type=CELL_TEXT)
    value: str = Field(primary_key=True, sa_type=CELL_TEXT)
    enrolments: int = 0


class MessageTotal(ReportingTable, table=True):
    """Messages sent and failed per channel and template."""

    __tablename__ = "message_totals"

    channel: str = Field(primary_key=True, sa_type=sa.Text)
    template: str = Field(primary_key=True, sa_type=sa.Text)
    sent: int = 0
    failed: int = 0


metadata = ReportingTable.metadata
# Registry's coordinator and trainer assignments, as every service keeps them.
STAFF_ASSIGNMENTS, STAFF_SUBJECTS = staff_scope_tables(metadata)
