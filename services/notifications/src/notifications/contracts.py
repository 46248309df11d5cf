"""Our own reading of the events we consume: only the fields notifications needs."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import ConfigDict

from shared.validation import CleanInput

PREFIX = "pl.waw.volunteering"


def matching(fact: str) -> str:
    return f"{PREFIX}.matching.{fact}"


def registry(fact: str) -> str:
    return f"{PREFIX}.registry.{fact}"


Language = Literal["pl", "en"]


class Reader(CleanInput):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Consents(Reader):
    email: bool
    sms: bool


class Guardian(Reader):
    name: str
    email: str
    phone: str | None = None


class VolunteerContact(Reader):
    volunteer_id: uuid.UUID
    first_name: str | None
    email: str | None
    phone: str | None
    consents: Consents
    language: str
    guardian: Guardian | None


class VolunteerErased(Reader):
    volunteer_id: uuid.UUID


class TaskFacts(Reader):
    task_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str
    type: str
    title: str
    starts_at: datetime | None
    ends_at: datetime | None
    places: int
    min_age: int | None = None
    with_children: bool = False
    reason: str | None = None


class ApplicationFacts(Reader):
    application_id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str


class ProposalFacts(Reader):
    proposal_id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str
    expires_at: datetime


class AssignmentFacts(Reader):
    assignment_id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str
    starts_at: datetime | None
    ends_at: datetime | None


class HoursFacts(Reader):
    entry_id: uuid.UUID
    assignment_id: uuid.UUID
    task_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str
    volunteer_id: uuid.UUID
    hours: Decimal
    worked_on: date


class CertificateFacts(Reader):
    certificate_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str


class CoordinatorFacts(Reader):
    branch_id: uuid.UUID
    code: str
    staff_id: uuid.UUID
    name: str
    email: str
    language: Language
    subject: str | None = None  # the user id in the person's tokens; older events lack it


class TrainerFacts(Reader):
    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID
    trainer_id: uuid.UUID
    name: str
    email: str
    language: Language
    subject: str | None = None


class StaffSubjectFacts(Reader):
    staff_id: uuid.UUID
    subject: str | None


class TrainerSubjectFacts(Reader):
    trainer_id: uuid.UUID
    subject: str | None


class StaffErasedFacts(Reader):
    staff_id: uuid.UUID


class TrainerErasedFacts(Reader):
    trainer_id: uuid.UUID


class VisitFacts(Reader):
    visit_id: uuid.UUID
    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID
    trainer_id: uuid.UUID
    visited_on: date
    follow_up_on: date | None


class ChildProtectionCheckFacts(Reader):
    check_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str
    expires_on: date
