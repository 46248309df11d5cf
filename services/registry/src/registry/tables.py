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


metadata = RegistryTable.metadata
