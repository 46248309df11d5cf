"""Reporting's tables in schema ``reporting``: the fact log and the read models built from it.

Reporting holds no personal data: only ids and anonymous facts.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel

from shared.db import schema_registry

SCHEMA = "reporting"


class ReportingTable(SQLModel, registry=schema_registry(SCHEMA)):
    pass


class Fact(ReportingTable, table=True):
    """Append-only log of every event consumed; every read model can be rebuilt from it."""

    __tablename__ = "facts"

    seq: int | None = Field(
        default=None, primary_key=True, sa_column_kwargs={"autoincrement": True}
    )
    event_id: str
    event_source: str
    event_type: str = Field(index=True)
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

    kind: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    data: dict[str, Any] = Field(sa_type=pg.JSONB)


class LogVersion(ReportingTable, table=True):
    """Bumped in the transaction of every fact (and by a rebuild): readers that cache the
    views know from it, in one cheap query, whether anything changed."""

    __tablename__ = "log_version"

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, sa_type=sa.BigInteger)


metadata = ReportingTable.metadata
