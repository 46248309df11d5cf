"""Matching's own models of the registry events it consumes (only the fields it needs)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

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


class BranchFacts(_Reader):
    branch_id: uuid.UUID
    code: str
    name: str
    district: str
    institution_type: InstitutionType


class EnrolmentFacts(_Reader):
    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID
