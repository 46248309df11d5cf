"""Matching's own models of the registry events it consumes (only the fields it needs)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

REGISTRY = "pl.waw.volunteering.registry"
EDITION_OPENED = f"{REGISTRY}.edition.opened.v1"
EDITION_CLOSED = f"{REGISTRY}.edition.closed.v1"
BRANCH_REGISTERED = f"{REGISTRY}.branch.registered.v1"
BRANCH_UPDATED = f"{REGISTRY}.branch.updated.v1"
BRANCH_ENROLLED = f"{REGISTRY}.branch.enrolled.v1"
BRANCH_WITHDRAWN = f"{REGISTRY}.branch.withdrawn.v1"

InstitutionType = Literal["library_branch", "culture_centre", "care_home"]


class _Reader(BaseModel):
    model_config = ConfigDict(extra="ignore")


class EditionFacts(_Reader):
    edition_id: uuid.UUID
    year: int
    name: str
    institution_type: InstitutionType
    starts_on: date
    ends_on: date


class OpeningHours(_Reader):
    day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    opens: Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    closes: Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class BranchFacts(_Reader):
    branch_id: uuid.UUID
    code: str
    name: str
    district: str
    institution_type: InstitutionType
    address: str | None = None
    opening_hours: list[OpeningHours] = Field(default_factory=list)
    district_library: str | None = None


class EnrolmentFacts(_Reader):
    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID
