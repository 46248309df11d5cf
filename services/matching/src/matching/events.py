"""The integration events matching publishes on ``volunteering.events``.

Only notifications receives contact data (``VolunteerContactChanged``); every other event
carries ids and anonymous facts.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from shared.events import IntegrationEvent


class VolunteerRegistered(IntegrationEvent):
    """A person the portal registered can now be matched."""

    fact: ClassVar[str] = "volunteer.registered.v1"

    volunteer_id: uuid.UUID
    districts: list[str]
    minor: bool
    languages: list[str]
    registered_at: datetime


class VolunteerUpdated(VolunteerRegistered):
    """The person's profile changed (same anonymous facts as at registration)."""

    fact: ClassVar[str] = "volunteer.updated.v1"


class VolunteerErased(IntegrationEvent):
    """The person asked to be forgotten: every holder of their data must drop it."""

    fact: ClassVar[str] = "volunteer.erased.v1"

    volunteer_id: uuid.UUID


class ChannelConsents(BaseModel):
    email: bool
    sms: bool


class GuardianContact(BaseModel):
    name: str
    email: str
    phone: str | None


class VolunteerContactChanged(IntegrationEvent):
    """Contact data and channel consents, for notifications only."""

    fact: ClassVar[str] = "volunteer.contact.changed.v1"

    volunteer_id: uuid.UUID
    first_name: str | None
    email: str | None
    phone: str | None
    consents: ChannelConsents
    language: str
    guardian: GuardianContact | None


TaskType = Literal[
    "extra_classes",
    "contest",
    "reading_help",
    "homework_help",
    "computer_help",
    "event_help",
    "daily_work",
    "own_project",
]


class TaskPublished(IntegrationEvent):
    """A task at a branch is open for applications and matching."""

    fact: ClassVar[str] = "task.published.v1"

    task_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str
    type: TaskType
    title: str
    starts_at: datetime | None = Field(description="first shift's start; null when flexible")
    ends_at: datetime | None = Field(description="last shift's end; null when flexible")
    places: int
    min_age: int | None
    with_children: bool
    reason: str | None = None


class TaskChanged(TaskPublished):
    """A task's details changed."""

    fact: ClassVar[str] = "task.changed.v1"


class TaskCancelled(TaskPublished):
    """A task was cancelled (``reason`` says why); its assignments are cancelled too."""

    fact: ClassVar[str] = "task.cancelled.v1"


class ApplicationSubmitted(IntegrationEvent):
    """A volunteer applied to a task; the coordinator decides."""

    fact: ClassVar[str] = "application.submitted.v1"

    application_id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str


class ApplicationAccepted(ApplicationSubmitted):
    """The coordinator accepted an application (an assignment is confirmed with it)."""

    fact: ClassVar[str] = "application.accepted.v1"


class ApplicationRejected(ApplicationSubmitted):
    """The coordinator rejected an application."""

    fact: ClassVar[str] = "application.rejected.v1"


class ApplicationWaitlisted(ApplicationSubmitted):
    """The task was full: the application waits for a free place."""

    fact: ClassVar[str] = "application.waitlisted.v1"


class ApplicationPromoted(ApplicationSubmitted):
    """A place freed and the next waitlisted application took it (assignment confirmed)."""

    fact: ClassVar[str] = "application.promoted.v1"


class ApplicationWithdrawn(ApplicationSubmitted):
    """The volunteer withdrew their application (an accepted one gives up its place)."""

    fact: ClassVar[str] = "application.withdrawn.v1"


class AssignmentConfirmed(IntegrationEvent):
    """A volunteer has a confirmed place on a task."""

    fact: ClassVar[str] = "assignment.confirmed.v1"

    assignment_id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str
    starts_at: datetime
    ends_at: datetime | None = Field(description="null for flexible tasks")
    whole_series: bool = Field(
        default=True,
        description="false while the place holds only dates given from a date's waitlist",
    )


class AssignmentCancelled(AssignmentConfirmed):
    """A confirmed place was given up or the task was cancelled."""

    fact: ClassVar[str] = "assignment.cancelled.v1"


class AssignmentCompleted(AssignmentConfirmed):
    """The volunteer did the work."""

    fact: ClassVar[str] = "assignment.completed.v1"


class AssignmentNoShow(AssignmentConfirmed):
    """The volunteer did not come."""

    fact: ClassVar[str] = "assignment.no_show.v1"


class ShiftPlanned(IntegrationEvent):
    """A volunteer is expected on one date of a task (an occurrence of their assignment):
    one per date when an assignment is confirmed, and when a date comes from its waitlist."""

    fact: ClassVar[str] = "shift.planned.v1"

    occurrence_id: uuid.UUID
    assignment_id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str
    occurrence_date: date
    starts_at: datetime | None = Field(description="null for a flexible task: no reminder")
    ends_at: datetime | None


class ShiftExcused(ShiftPlanned):
    """The volunteer cannot come on this one date; the date's place goes to its waitlist
    and the branch's coordinator is told."""

    fact: ClassVar[str] = "shift.excused.v1"


class ShiftPromoted(ShiftPlanned):
    """A place freed on this one date went to a volunteer from the task's waitlist: they are
    told the date is theirs (their application keeps waiting for the whole series), and may
    decline it. Published after the date's ``shift.planned.v1``."""

    fact: ClassVar[str] = "shift.promoted.v1"


class ShiftDeclined(ShiftPlanned):
    """The volunteer turned down a date given to them from the waitlist (they had asked for
    the whole series, not this date): not an absence; the place goes on to the waitlist."""

    fact: ClassVar[str] = "shift.declined.v1"


class ShiftCancelled(ShiftPlanned):
    """The date no longer happens for this volunteer (the date was removed or the
    assignment cancelled)."""

    fact: ClassVar[str] = "shift.cancelled.v1"


class ShiftAttended(ShiftPlanned):
    """The volunteer came on this date (checked in at the branch or marked by the
    coordinator)."""

    fact: ClassVar[str] = "shift.attended.v1"


class ShiftAbsent(ShiftPlanned):
    """The volunteer did not come on this date (marked by the coordinator)."""

    fact: ClassVar[str] = "shift.absent.v1"


class ProposalMade(IntegrationEvent):
    """A batch plan proposed a task to a volunteer; they accept or decline before expiry."""

    fact: ClassVar[str] = "proposal.made.v1"

    proposal_id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str
    expires_at: datetime


class ProposalAccepted(ProposalMade):
    """The volunteer accepted (an assignment is confirmed with it)."""

    fact: ClassVar[str] = "proposal.accepted.v1"


class ProposalDeclined(ProposalMade):
    """The volunteer declined."""

    fact: ClassVar[str] = "proposal.declined.v1"


class ProposalExpired(ProposalMade):
    """Nobody answered in time; the place goes back to the next plan."""

    fact: ClassVar[str] = "proposal.expired.v1"


class HoursLogged(IntegrationEvent):
    """Hours worked were logged (by the volunteer or the coordinator)."""

    fact: ClassVar[str] = "hours.logged.v1"

    entry_id: uuid.UUID
    assignment_id: uuid.UUID
    task_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str
    volunteer_id: uuid.UUID
    hours: Decimal = Field(description='decimal string, e.g. "2.50"')
    worked_on: date


class HoursApproved(HoursLogged):
    """The coordinator approved logged hours."""

    fact: ClassVar[str] = "hours.approved.v1"


class HoursRejected(HoursLogged):
    """The coordinator rejected logged hours."""

    fact: ClassVar[str] = "hours.rejected.v1"


class CertificateIssued(IntegrationEvent):
    """A certificate (zaświadczenie) was issued to a volunteer on their request."""

    fact: ClassVar[str] = "certificate.issued.v1"

    certificate_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str


Milestone = Literal["first_shift", "hours_10", "hours_25", "hours_50", "hours_100", "one_year"]


class MilestoneReached(IntegrationEvent):
    """A volunteer reached a milestone (once each): their first shift, 10, 25, 50 or 100
    approved hours, or a year since their first shift. Notifications thanks them."""

    fact: ClassVar[str] = "milestone.reached.v1"

    volunteer_id: uuid.UUID
    milestone: Milestone
    reached_at: datetime
    approved_hours: Decimal = Field(description='all approved hours then, e.g. "10.00"')
    branch_id: uuid.UUID | None = Field(
        default=None, description="the branch of the shift or hours that reached it"
    )


class ReferenceRequested(IntegrationEvent):
    """A volunteer asked for a written reference (opinia) about their work under an
    agreement: the branch's coordinator writes it in the console."""

    fact: ClassVar[str] = "reference.requested.v1"

    reference_id: uuid.UUID
    agreement_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str


class ReferenceWritten(ReferenceRequested):
    """The coordinator wrote the reference: its PDF is ready for the volunteer to download."""

    fact: ClassVar[str] = "reference.written.v1"


class AgreementSigned(IntegrationEvent):
    """A signed copy of an agreement (porozumienie) came back to the branch; the agreement
    is in force in written form from ``signed_at``."""

    fact: ClassVar[str] = "agreement.signed.v1"

    agreement_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str
    starts_on: date
    ends_on: date
    written_form_required: bool
    signed_at: datetime


class ChildProtectionCheckExpiring(IntegrationEvent):
    """A volunteer's child-protection check expires soon: the branch that recorded it
    should renew it (a new register check and certificate) before ``expires_on``."""

    fact: ClassVar[str] = "child_protection_check.expiring.v1"

    check_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str
    expires_on: date = Field(
        description="the first day the check no longer opens work with children"
    )


class ChildProtectionCheckExpired(ChildProtectionCheckExpiring):
    """A volunteer's child-protection check expired: it no longer opens tasks with children
    until the branch records a new one."""

    fact: ClassVar[str] = "child_protection_check.expired.v1"


PUBLISHED_EVENTS: tuple[type[IntegrationEvent], ...] = (
    VolunteerRegistered,
    VolunteerUpdated,
    VolunteerErased,
    VolunteerContactChanged,
    TaskPublished,
    TaskChanged,
    TaskCancelled,
    ApplicationSubmitted,
    ApplicationAccepted,
    ApplicationRejected,
    ApplicationWaitlisted,
    ApplicationPromoted,
    ApplicationWithdrawn,
    AssignmentConfirmed,
    AssignmentCancelled,
    AssignmentCompleted,
    AssignmentNoShow,
    ShiftPlanned,
    ShiftExcused,
    ShiftPromoted,
    ShiftDeclined,
    ShiftCancelled,
    ShiftAttended,
    ShiftAbsent,
    ProposalMade,
    ProposalAccepted,
    ProposalDeclined,
    ProposalExpired,
    HoursLogged,
    HoursApproved,
    HoursRejected,
    CertificateIssued,
    MilestoneReached,
    ReferenceRequested,
    ReferenceWritten,
    AgreementSigned,
    ChildProtectionCheckExpiring,
    ChildProtectionCheckExpired,
)
