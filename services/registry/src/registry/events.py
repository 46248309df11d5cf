"""The integration events registry publishes on ``volunteering.events``.

Other services code against these payloads (see the AsyncAPI catalogue): change them only
by adding an optional field or a new versioned event.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from shared.events import IntegrationEvent

InstitutionType = Literal["library_branch", "culture_centre", "care_home"]
Stage = Literal["trained", "programme_prepared", "recruiting", "volunteers_active", "evaluated"]
Language = Literal["pl", "en"]


class EditionOpened(IntegrationEvent):
    """An edition of the programme opened for its institution type."""

    fact: ClassVar[str] = "edition.opened.v1"

    edition_id: uuid.UUID
    year: int
    name: str
    institution_type: InstitutionType
    starts_on: date
    ends_on: date


class EditionClosed(EditionOpened):
    """An edition closed."""

    fact: ClassVar[str] = "edition.closed.v1"


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class OpeningHoursFact(BaseModel):
    """One day's opening hours, Warsaw local time."""

    day: Weekday
    opens: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    closes: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class BranchRegistered(IntegrationEvent):
    """A branch (or another institution) joined the registry."""

    fact: ClassVar[str] = "branch.registered.v1"

    branch_id: uuid.UUID
    code: str
    name: str
    district: str
    institution_type: InstitutionType
    district_library: str | None
    address: str | None
    # Optional (added to v1): where volunteers are sent, with the hours the branch is open.
    opening_hours: list[OpeningHoursFact] = Field(default_factory=list, max_length=7)


class BranchUpdated(BranchRegistered):
    """A branch's details changed."""

    fact: ClassVar[str] = "branch.updated.v1"


class BranchEnrolled(IntegrationEvent):
    """A branch enrolled in an open edition, with its funding."""

    fact: ClassVar[str] = "branch.enrolled.v1"

    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID
    funding_pln: Decimal


class BranchWithdrawn(IntegrationEvent):
    """A branch withdrew from an edition."""

    fact: ClassVar[str] = "branch.withdrawn.v1"

    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID
    reason: str


class CoordinatorAssigned(IntegrationEvent):
    """A staff member coordinates volunteers at a branch (contact data for notifications)."""

    fact: ClassVar[str] = "coordinator.assigned.v1"

    branch_id: uuid.UUID
    code: str
    staff_id: uuid.UUID
    name: str
    email: str
    language: Language
    subject: str | None = Field(
        default=None,
        description="the person's user id at the city's identity provider (a token's sub); "
        "null while no account is linked",
    )


class CoordinatorUnassigned(CoordinatorAssigned):
    """A staff member no longer coordinates volunteers at a branch."""

    fact: ClassVar[str] = "coordinator.unassigned.v1"


class TrainerAssigned(IntegrationEvent):
    """A trainer supports and monitors a branch in an edition."""

    fact: ClassVar[str] = "trainer.assigned.v1"

    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID
    trainer_id: uuid.UUID
    name: str
    email: str
    language: Language
    subject: str | None = Field(
        default=None,
        description="the trainer's user id at the city's identity provider (a token's sub); "
        "null while no account is linked",
    )


class TrainerUnassigned(TrainerAssigned):
    """A trainer no longer supports a branch in an edition."""

    fact: ClassVar[str] = "trainer.unassigned.v1"


class StaffErased(IntegrationEvent):
    """A staff member was erased: every copy forgets them (their assignments, user id,
    name and e-mail); only the id stays, in what refers to it."""

    fact: ClassVar[str] = "staff.erased.v1"

    staff_id: uuid.UUID


class TrainerErased(IntegrationEvent):
    """A trainer was erased: every copy forgets them (their assignments, user id, name and
    e-mail); only the id stays, in what refers to it."""

    fact: ClassVar[str] = "trainer.erased.v1"

    trainer_id: uuid.UUID


class StaffSubjectChanged(IntegrationEvent):
    """A staff member's user id at the identity provider was set, changed or removed."""

    fact: ClassVar[str] = "staff.subject.changed.v1"

    staff_id: uuid.UUID
    subject: str | None = Field(description="the new user id; null when it was removed")


class TrainerSubjectChanged(IntegrationEvent):
    """A trainer's user id at the identity provider was set, changed or removed."""

    fact: ClassVar[str] = "trainer.subject.changed.v1"

    trainer_id: uuid.UUID
    subject: str | None = Field(description="the new user id; null when it was removed")


class TrainingAttended(IntegrationEvent):
    """A branch's staff member attended a training module or a coordinators' forum meeting."""

    fact: ClassVar[str] = "training.attended.v1"

    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID
    session_id: uuid.UUID
    staff_id: uuid.UUID
    meeting: Literal["module", "forum"]
    held_on: date


class StageReached(IntegrationEvent):
    """A branch reached an implementation stage in an edition."""

    fact: ClassVar[str] = "stage.reached.v1"

    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID
    stage: Stage
    reached_on: date


class VisitRecorded(IntegrationEvent):
    """A trainer recorded a monitoring visit."""

    fact: ClassVar[str] = "visit.recorded.v1"

    visit_id: uuid.UUID
    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID
    trainer_id: uuid.UUID
    visited_on: date
    follow_up_on: date | None


class ProgrammeSubmitted(IntegrationEvent):
    """A branch submitted its volunteer programme."""

    fact: ClassVar[str] = "programme.submitted.v1"

    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID
    submitted_on: date


class DocumentReturned(IntegrationEvent):
    """A reviewer sent a branch's programme or annual report back for changes."""

    fact: ClassVar[str] = "document.returned.v1"

    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID
    document: Literal["programme", "report"]
    returned_on: date


class ProgrammeAccepted(IntegrationEvent):
    """A trainer (or the city office) accepted a branch's volunteer programme."""

    fact: ClassVar[str] = "programme.accepted.v1"

    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID
    accepted_on: date


class ReportAccepted(IntegrationEvent):
    """The city office accepted a branch's annual report: its spending settles the budget."""

    fact: ClassVar[str] = "report.accepted.v1"

    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID
    accepted_on: date
    funding_pln: Decimal
    spent_pln: Decimal | None


class ReportSubmitted(ProgrammeSubmitted):
    """A branch submitted its annual report (sprawozdanie)."""

    fact: ClassVar[str] = "report.submitted.v1"

    spent_pln: Decimal | None = Field(
        default=None, description="what the branch spent of its funding, when the report says"
    )


class CallAnnounced(IntegrationEvent):
    """An edition's call for applications was announced (or its terms changed)."""

    fact: ClassVar[str] = "call.announced.v1"

    edition_id: uuid.UUID
    institution_type: InstitutionType
    opens_on: date
    closes_on: date
    budget_pln: Decimal


class BranchApplicationSubmitted(IntegrationEvent):
    """A branch applied to an edition, or submitted its application again after changes."""

    fact: ClassVar[str] = "application.submitted.v1"

    application_id: uuid.UUID
    edition_id: uuid.UUID
    branch_id: uuid.UUID
    code: str
    submitted_on: date
    task_types: list[str]


class BranchApplicationAccepted(IntegrationEvent):
    """The city office accepted a branch's application with its funding; the branch is
    enrolled (``branch.enrolled.v1`` follows in the same transaction)."""

    fact: ClassVar[str] = "application.accepted.v1"

    application_id: uuid.UUID
    edition_id: uuid.UUID
    branch_id: uuid.UUID
    code: str
    enrolment_id: uuid.UUID
    funding_pln: Decimal
    decided_on: date


class BranchApplicationRejected(IntegrationEvent):
    """The city office rejected a branch's application, with its reason."""

    fact: ClassVar[str] = "application.rejected.v1"

    application_id: uuid.UUID
    edition_id: uuid.UUID
    branch_id: uuid.UUID
    code: str
    reason: str
    decided_on: date


class BranchApplicationChangesRequested(IntegrationEvent):
    """The city office asked a branch to change its application before deciding."""

    fact: ClassVar[str] = "application.changes_requested.v1"

    application_id: uuid.UUID
    edition_id: uuid.UUID
    branch_id: uuid.UUID
    code: str
    changes: str
    decided_on: date


PUBLISHED_EVENTS: tuple[type[IntegrationEvent], ...] = (
    EditionOpened,
    EditionClosed,
    BranchRegistered,
    BranchUpdated,
    BranchEnrolled,
    BranchWithdrawn,
    CoordinatorAssigned,
    CoordinatorUnassigned,
    TrainerAssigned,
    TrainerUnassigned,
    StaffSubjectChanged,
    TrainerSubjectChanged,
    StaffErased,
    TrainerErased,
    TrainingAttended,
    StageReached,
    VisitRecorded,
    ProgrammeSubmitted,
    ReportSubmitted,
    DocumentReturned,
    ProgrammeAccepted,
    ReportAccepted,
    CallAnnounced,
    BranchApplicationSubmitted,
    BranchApplicationAccepted,
    BranchApplicationRejected,
    BranchApplicationChangesRequested,
)
