"""Matching's tables, all in schema ``matching``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel

from shared.db import schema_registry

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
    guardian: dict[str, Any] | None = Field(default=None, sa_type=pg.JSONB(none_as_null=True))
    registered_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    profile_updated_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    erased_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class ErasedPortalId(MatchingTable, table=True):
    """A one-way digest of an erased portal id, so a late, older copy of an event
    cannot bring the person's data back."""

    __tablename__ = "erased_portal_ids"

    portal_id_digest: str = Field(primary_key=True, max_length=64)
    erased_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


metadata = MatchingTable.metadata
