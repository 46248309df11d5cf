"""Our own reading of the events we consume: only the fields notifications needs."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import ConfigDict, Field

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
    # False while the place holds only dates given from a date's waitlist: the person hears
    # of each date (shift.promoted), not of a place in the whole series.
    whole_series: bool = True


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


class ReferenceFacts(Reader):
    """matching's reference.requested / written: a volunteer's request for an opinia."""

    reference_id: uuid.UUID
    agreement_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str


class ChildProtectionCheckFacts(Reader):
    check_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str
    expires_on: date


class ShiftFacts(Reader):
    """matching's shift.planned / promoted / excused / declined / cancelled / attended /
    absent: one occurrence
    (date) of a volunteer's confirmed assignment."""

    occurrence_id: uuid.UUID
    assignment_id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str
    occurrence_date: date
    starts_at: datetime | None  # None: a flexible task without a time, nothing to remind of
    ends_at: datetime | None


Milestone = Literal["first_shift", "hours_10", "hours_25", "hours_50", "hours_100", "one_year"]


class MilestoneFacts(Reader):
    volunteer_id: uuid.UUID
    milestone: Milestone
    reached_at: datetime
    approved_hours: Decimal
    branch_id: uuid.UUID | None = None


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HOUR_MINUTE = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class OpeningHours(Reader):
    day: Weekday
    opens: str = Field(pattern=HOUR_MINUTE)
    closes: str = Field(pattern=HOUR_MINUTE)


class BranchFacts(Reader):
    """registry's branch.registered / branch.updated: what a message needs to send a person
    to the branch."""

    branch_id: uuid.UUID
    code: str
    name: str
    address: str | None = None
    opening_hours: list[OpeningHours] = Field(default_factory=list, max_length=21)
