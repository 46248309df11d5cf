"""What callers ask of the registry, validated field by field at the edge.

The same models serve the HTTP API, the CSV import and the seed command, so a branch is
checked the same way whichever door it comes through. Names keep Polish characters
exactly (normalised to NFC, so a decomposed "ś" compares equal to a composed one).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    ConfigDict,
    EmailStr,
    Field,
    field_validator,
    model_validator,
)

from registry.domain.editions import InstitutionType
from registry.domain.stages import Stage
from registry.domain.training import MeetingKind
from shared.reference import warsaw_districts
from shared.validation import CleanInput

CODE_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_HH_MM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(min_length: int, max_length: int) -> AfterValidator:
    def check(value: str) -> str:
        value = unicodedata.normalize("NFC", value).strip()
        if _CONTROL.search(value):
            raise ValueError("must not contain control characters")
        if not min_length <= len(value) <= max_length:
            raise ValueError(f"must be {min_length}-{max_length} characters")
        return value

    return AfterValidator(check)


def _code(value: str) -> str:
    value = value.strip().lower()
    if not 2 <= len(value) <= 40 or not CODE_PATTERN.fullmatch(value):
        raise ValueError(
            "must be 2-40 lowercase letters, digits and single hyphens, like 'wola-12'"
        )
    return value


def _district(value: str) -> str:
    value = value.strip().lower()
    known = warsaw_districts()
    if value not in known:
        raise ValueError(f"unknown district '{value}'; known: {', '.join(sorted(known))}")
    return value


def _phone(value: str) -> str:
    value = value.replace(" ", "")
    if not _E164.fullmatch(value):
        raise ValueError("must be in E.164 form, e.g. +48221234567")
    return value


Name = Annotated[str, _text(1, 200)]
LongName = Annotated[str, _text(1, 300)]
Note = Annotated[str, _text(1, 5000)]
Reason = Annotated[str, _text(3, 1000)]
Code = Annotated[str, AfterValidator(_code)]
DistrictSlug = Annotated[str, AfterValidator(_district)]
Phone = Annotated[str, AfterValidator(_phone)]
Funding = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]


class Command(CleanInput):
    model_config = ConfigDict(extra="forbid", str_max_length=20000)


class OpeningHours(Command):
    """One day's opening hours, Warsaw local time (Monday = 1)."""

    weekday: int = Field(ge=1, le=7)
    opens: str
    closes: str

    @field_validator("opens", "closes")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        if not _HH_MM.fullmatch(value):
            raise ValueError("must be HH:MM (00:00-23:59)")
        return value

    @model_validator(mode="after")
    def _closes_after_opening(self) -> OpeningHours:
        if self.closes <= self.opens:
            raise ValueError(f"closes ({self.closes}) must be after opens ({self.opens})")
        return self


def _one_entry_per_day(hours: list[OpeningHours]) -> list[OpeningHours]:
    days = [entry.weekday for entry in hours]
    if len(days) != len(set(days)):
        raise ValueError("each weekday may appear once")
    return sorted(hours, key=lambda entry: entry.weekday)


WeeklyHours = Annotated[list[OpeningHours], AfterValidator(_one_entry_per_day)]


class BranchDetails(Command):
    """A branch as the city describes it; ``code`` is its stable id for other systems."""

    code: Code
    name: Name
    institution_type: InstitutionType = InstitutionType.LIBRARY_BRANCH
    district: DistrictSlug
    organisation_id: uuid.UUID | None = Field(
        default=None,
        description="the district library that runs the branch; by default, its district's",
    )
    address: LongName
    opening_hours: WeeklyHours = Field(default_factory=list)
    volunteer_spaces: int = Field(
        default=0, ge=0, le=1000, description="how many volunteers the branch can host at once"
    )
    contact_name: Name | None = None
    contact_email: EmailStr | None = None
    contact_phone: Phone | None = None


class BranchChanges(Command):
    """Only the fields sent change; ``code`` never does (other systems rely on it)."""

    name: Name | None = None
    institution_type: InstitutionType | None = None
    district: DistrictSlug | None = None
    organisation_id: uuid.UUID | None = None
    address: LongName | None = None
    opening_hours: WeeklyHours | None = None
    volunteer_spaces: int | None = Field(default=None, ge=0, le=1000)
    contact_name: Name | None = None
    contact_email: EmailStr | None = None
    contact_phone: Phone | None = None


class EditionDetails(Command):
    year: int = Field(ge=2010, le=2100)
    name: Name
    institution_type: InstitutionType = InstitutionType.LIBRARY_BRANCH
    starts_on: date
    ends_on: date

    @model_validator(mode="after")
    def _dates(self) -> EditionDetails:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class EditionChanges(Command):
    name: Name | None = None
    starts_on: date | None = None
    ends_on: date | None = None


class Enrol(Command):
    branch_code: Code
    funding_pln: Funding = Decimal("0.00")
    enrolled_on: date | None = None


class EnrolmentChanges(Command):
    funding_pln: Funding


class Withdraw(Command):
    reason: Reason
    withdrawn_on: date | None = None


class ReachStage(Command):
    stage: Stage
    reached_on: date
    reason: Reason | None = Field(
        default=None, description="required to skip a stage or to move back"
    )


class StaffDetails(Command):
    """A member of a branch's staff: coordinator, and later perhaps a mentor."""

    name: Name
    email: EmailStr
    phone: Phone | None = None
    language: str = Field(default="pl", pattern=r"^(pl|en)$")
    subject: Annotated[str, _text(1, 200)] | None = Field(
        default=None, description="the person's user id at the city's identity provider"
    )


class StaffChanges(Command):
    name: Name | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    language: str | None = Field(default=None, pattern=r"^(pl|en)$")
    subject: Annotated[str, _text(1, 200)] | None = None


class TrainerDetails(StaffDetails):
    organisation: LongName | None = Field(default=None, description="the trainers' NGO")


class TrainerChanges(StaffChanges):
    organisation: LongName | None = None


class AssignCoordinator(Command):
    staff_id: uuid.UUID
    assigned_on: date | None = None


class AssignAdministrator(Command):
    staff_id: uuid.UUID
    assigned_on: date | None = None


class AssignTrainer(Command):
    trainer_id: uuid.UUID
    assigned_on: date | None = None


class AssignMentor(Command):
    staff_id: uuid.UUID
    assigned_on: date | None = None


class ModuleDetails(Command):
    kind: MeetingKind = MeetingKind.MODULE
    number: int = Field(ge=1, le=100)
    title: Name
    description: Note | None = None


class SessionDetails(Command):
    held_on: date
    trainer_id: uuid.UUID | None = None
    topic: Name
    place: LongName


class RecordAttendance(Command):
    branch_code: Code
    staff_id: uuid.UUID


class ProgrammeDraft(Command):
    """The branch's volunteer programme, prepared with its trainer."""

    spaces: Note = Field(description="where volunteers work: rooms, desks, equipment")
    hours_available: Note = Field(description="when volunteers can come")
    task_types: list[Annotated[str, _text(1, 100)]] = Field(min_length=1, max_length=30)
    volunteer_profiles: Note = Field(description="who the branch is looking for")
    welcome_and_care: Note = Field(description="how volunteers are welcomed and looked after")


class SubmitDocument(Command):
    submitted_on: date | None = None


class VisitDetails(Command):
    visited_on: date
    trainer_id: uuid.UUID | None = Field(
        default=None, description="defaults to the trainer who records the visit"
    )
    notes: Note
    next_steps: Note | None = None
    follow_up_on: date | None = None

    @model_validator(mode="after")
    def _follow_up_after_visit(self) -> VisitDetails:
        if self.follow_up_on is not None and self.follow_up_on < self.visited_on:
            raise ValueError("follow_up_on must not be before visited_on")
        return self


class VisitChanges(Command):
    notes: Note | None = None
    next_steps: Note | None = None
    follow_up_on: date | None = None


class ReportDraft(Command):
    """The branch's annual report (sprawozdanie)."""

    summary: Note
    volunteers_count: int = Field(ge=0, le=100000)
    volunteer_hours: Annotated[Decimal, Field(ge=0, max_digits=9, decimal_places=2)]
    tasks_carried_out: list[Annotated[str, _text(1, 200)]] = Field(
        default_factory=list, max_length=100
    )
    conclusions: Note | None = None
    spent_pln: Funding | None = Field(
        default=None, description="what the branch spent of its funding (settles the budget)"
    )


class ReviewComment(Command):
    """A reviewer's comment on a submitted document; ``return_for_changes`` sends it back to
    the coordinator as a draft."""

    body: Note
    return_for_changes: bool = False


class AcceptProgramme(Command):
    accepted_on: date | None = None


class MeetingNotes(Command):
    notes: Note


class AcceptReport(Command):
    accepted_on: date | None = None
    reason: Reason | None = Field(
        default=None, description="needed when accepting moves the branch past a stage"
    )


class CallDetails(Command):
    """An edition's call for applications: the dates branches may apply between, what the
    city office looks for, and the budget it grants from."""

    opens_on: date
    closes_on: date
    criteria: Note
    budget_pln: Funding

    @model_validator(mode="after")
    def _dates(self) -> CallDetails:
        if self.closes_on < self.opens_on:
            raise ValueError("closes_on must not be before opens_on")
        return self


class ApplicationDraft(Command):
    """What a branch tells the city office when it applies (or amends its application)."""

    motivation: Note = Field(description="why the branch wants to take part")
    team: Note = Field(description="who will coordinate and work with volunteers")
    task_types: list[Annotated[str, _text(1, 100)]] = Field(
        min_length=1, max_length=30, description="the kinds of tasks planned"
    )


class Apply(ApplicationDraft):
    branch_code: Code
    submitted_on: date | None = None


class AcceptApplication(Command):
    funding_pln: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
    decided_on: date | None = None


class RejectApplication(Command):
    reason: Reason
    decided_on: date | None = None


class RequestChanges(Command):
    changes: Reason = Field(description="what the branch should change before the decision")
    decided_on: date | None = None
