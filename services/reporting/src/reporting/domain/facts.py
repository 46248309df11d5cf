"""What reporting reads of each consumed event: ids and facts only, never names or contacts.

Each reader model is what goes into the fact log, so the log itself holds no personal data
(coordinator and trainer events carry names and emails: they are dropped at the door).
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

PREFIX = "pl.waw.volunteering."

InstitutionType = Literal["library_branch", "culture_centre", "care_home"]
Stage = Literal["trained", "programme_prepared", "recruiting", "volunteers_active", "evaluated"]
STAGES: tuple[Stage, ...] = (
    "trained",
    "programme_prepared",
    "recruiting",
    "volunteers_active",
    "evaluated",
)
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


class Reader(BaseModel):
    """Unknown fields are ignored: producers may add fields without breaking reporting."""

    model_config = ConfigDict(extra="ignore")


class EditionRead(Reader):
    edition_id: uuid.UUID
    year: int
    name: str
    institution_type: InstitutionType
    starts_on: date
    ends_on: date


class BranchRead(Reader):
    """The branch's name and address are public institution data, but reporting needs none."""

    branch_id: uuid.UUID
    code: str
    district: str
    institution_type: InstitutionType
    district_library: str | None = None


class EnrolmentRead(Reader):
    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID
    funding_pln: Decimal


class WithdrawalRead(Reader):
    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID


class CoordinatorRead(Reader):
    """Only ids: the coordinator's name and email stay out of reporting."""

    branch_id: uuid.UUID
    code: str
    staff_id: uuid.UUID


class TrainerRead(Reader):
    """Only ids: the trainer's name and email stay out of reporting."""

    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID
    trainer_id: uuid.UUID


class StageRead(Reader):
    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID
    stage: Stage
    reached_on: date


class VisitRead(Reader):
    visit_id: uuid.UUID
    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID
    trainer_id: uuid.UUID
    visited_on: date
    follow_up_on: date | None = None


class SubmissionRead(Reader):
    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID
    submitted_on: date


class VolunteerRead(Reader):
    volunteer_id: uuid.UUID
    districts: list[str]
    minor: bool
    registered_at: AwareDatetime


class VolunteerErasedRead(Reader):
    volunteer_id: uuid.UUID


class TaskRead(Reader):
    """The title is free text a coordinator wrote: reporting does not keep it."""

    task_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str
    type: TaskType
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    places: int
    min_age: int | None = None
    with_children: bool = False


class ApplicationRead(Reader):
    application_id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str


class AssignmentRead(Reader):
    assignment_id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None


class HoursRead(Reader):
    entry_id: uuid.UUID
    assignment_id: uuid.UUID
    task_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str
    volunteer_id: uuid.UUID
    hours: Decimal
    worked_on: date


class ProposalRead(Reader):
    """A task proposed to a volunteer by a plan, and the volunteer's answer."""

    proposal_id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str


class CertificateRead(Reader):
    certificate_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str


Channel = Literal["email", "sms", "in_app"]


class MessageRead(Reader):
    """A message notifications sent or could not send: its recipient and the failure's
    wording stay out of reporting (the channel and the template are what the city counts)."""

    message_id: uuid.UUID
    channel: Channel
    template: str


def registry(fact: str) -> str:
    return f"{PREFIX}registry.{fact}"


def matching(fact: str) -> str:
    return f"{PREFIX}matching.{fact}"


def notifications(fact: str) -> str:
    return f"{PREFIX}notifications.{fact}"


EDITION_OPENED = registry("edition.opened.v1")
EDITION_CLOSED = registry("edition.closed.v1")
BRANCH_REGISTERED = registry("branch.registered.v1")
BRANCH_UPDATED = registry("branch.updated.v1")
BRANCH_ENROLLED = registry("branch.enrolled.v1")
BRANCH_WITHDRAWN = registry("branch.withdrawn.v1")
COORDINATOR_ASSIGNED = registry("coordinator.assigned.v1")
COORDINATOR_UNASSIGNED = registry("coordinator.unassigned.v1")
TRAINER_ASSIGNED = registry("trainer.assigned.v1")
STAGE_REACHED = registry("stage.reached.v1")
VISIT_RECORDED = registry("visit.recorded.v1")
PROGRAMME_SUBMITTED = registry("programme.submitted.v1")
REPORT_SUBMITTED = registry("report.submitted.v1")
VOLUNTEER_REGISTERED = matching("volunteer.registered.v1")
VOLUNTEER_UPDATED = matching("volunteer.updated.v1")
VOLUNTEER_ERASED = matching("volunteer.erased.v1")
TASK_PUBLISHED = matching("task.published.v1")
TASK_CHANGED = matching("task.changed.v1")
TASK_CANCELLED = matching("task.cancelled.v1")
APPLICATION_STATUSES = ("submitted", "accepted", "rejected", "waitlisted", "promoted")
ASSIGNMENT_STATUSES = ("confirmed", "cancelled", "completed", "no_show")
HOURS_STATUSES = ("logged", "approved", "rejected")
PROPOSAL_STATUSES = ("made", "accepted", "declined", "expired")
CERTIFICATE_ISSUED = matching("certificate.issued.v1")
MESSAGE_STATUSES = ("sent", "failed")


def status_of(event_type: str) -> str:
    """``...matching.assignment.no_show.v1`` → ``no_show``."""
    return event_type.removeprefix(PREFIX).split(".")[-2]
