"""Entity snapshots built from facts, and the rules that merge two snapshots of one entity.

Every merge is commutative, associative and idempotent, so the snapshot of an entity does
not depend on the order in which its facts arrive, nor on a fact arriving twice: the
newer fact (by its event time) wins for attributes that change, dates of firsts keep the
earliest, flags that only ever switch on (closed, cancelled, erased) stay on, and a
status that ends a life cycle outranks one that starts it.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel

from reporting.domain import facts as f

E = TypeVar("E", bound="Entity")
_NEVER = datetime.min.replace(tzinfo=UTC)


class Entity(BaseModel, ABC):
    """What one or more facts say about one thing; merging is order-independent."""

    kind: ClassVar[str]

    @property
    @abstractmethod
    def key(self) -> str: ...

    @abstractmethod
    def merged(self: E, other: E) -> E: ...


def _order(entity: Entity, *rank: Any) -> tuple[Any, ...]:
    # The JSON breaks exact ties, so that even two different facts with the same time
    # merge to the same result in either order.
    return (*rank, entity.model_dump_json())


def _pick(a: E, b: E, *, rank: Any = None) -> E:
    """The snapshot that wins for changing attributes: higher rank, then newer."""
    key_a = _order(a, rank(a) if rank else 0, getattr(a, "as_of", None) or _NEVER)
    key_b = _order(b, rank(b) if rank else 0, getattr(b, "as_of", None) or _NEVER)
    return a if key_a >= key_b else b


def _min(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else min(a, b)


def _max(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else max(a, b)


class Edition(Entity):
    kind: ClassVar[str] = "edition"
    edition_id: uuid.UUID
    year: int
    name: str
    institution_type: str
    starts_on: date
    ends_on: date
    closed: bool = False
    as_of: datetime

    @property
    def key(self) -> str:
        return str(self.edition_id)

    def merged(self, other: Edition) -> Edition:
        return _pick(self, other).model_copy(update={"closed": self.closed or other.closed})


class Branch(Entity):
    kind: ClassVar[str] = "branch"
    branch_id: uuid.UUID
    code: str
    district: str
    institution_type: str
    district_library: str | None = None
    as_of: datetime

    @property
    def key(self) -> str:
        return str(self.branch_id)

    def merged(self, other: Branch) -> Branch:
        return _pick(self, other)


class Enrolment(Entity):
    """A branch in an edition; enrolled again after a withdrawal counts from the newer one."""

    kind: ClassVar[str] = "enrolment"
    branch_id: uuid.UUID
    edition_id: uuid.UUID
    code: str
    enrolled_at: datetime | None = None
    funding_pln: Decimal | None = None
    withdrawn_at: datetime | None = None

    @property
    def key(self) -> str:
        return f"{self.branch_id}:{self.edition_id}"

    @property
    def active(self) -> bool:
        return self.enrolled_at is not None and (
            self.withdrawn_at is None or self.withdrawn_at < self.enrolled_at
        )

    def merged(self, other: Enrolment) -> Enrolment:
        enrolled = max(
            (e for e in (self, other) if e.enrolled_at is not None),
            key=lambda e: _order(e, e.enrolled_at),
            default=self,
        )
        return self.model_copy(
            update={
                "enrolled_at": enrolled.enrolled_at,
                "funding_pln": enrolled.funding_pln,
                "withdrawn_at": _max(self.withdrawn_at, other.withdrawn_at),
            }
        )


class StageReached(Entity):
    kind: ClassVar[str] = "stage"
    branch_id: uuid.UUID
    edition_id: uuid.UUID
    stage: str
    reached_on: date

    @property
    def key(self) -> str:
        return f"{self.branch_id}:{self.edition_id}:{self.stage}"

    def merged(self, other: StageReached) -> StageReached:
        return self.model_copy(update={"reached_on": min(self.reached_on, other.reached_on)})


class TrainerAssignment(Entity):
    """Which trainer follows which branch in an edition: ids only."""

    kind: ClassVar[str] = "trainer"
    trainer_id: uuid.UUID
    branch_id: uuid.UUID
    edition_id: uuid.UUID
    code: str
    assigned_at: datetime

    @property
    def key(self) -> str:
        return f"{self.trainer_id}:{self.branch_id}:{self.edition_id}"

    def merged(self, other: TrainerAssignment) -> TrainerAssignment:
        return self.model_copy(update={"assigned_at": min(self.assigned_at, other.assigned_at)})


class CoordinatorAssignment(Entity):
    """A branch's coordinator: ids only."""

    kind: ClassVar[str] = "coordinator"
    staff_id: uuid.UUID
    branch_id: uuid.UUID
    assigned_at: datetime | None = None
    unassigned_at: datetime | None = None

    @property
    def key(self) -> str:
        return f"{self.staff_id}:{self.branch_id}"

    @property
    def active(self) -> bool:
        return self.assigned_at is not None and (
            self.unassigned_at is None or self.unassigned_at < self.assigned_at
        )

    def merged(self, other: CoordinatorAssignment) -> CoordinatorAssignment:
        return self.model_copy(
            update={
                "assigned_at": _max(self.assigned_at, other.assigned_at),
                "unassigned_at": _max(self.unassigned_at, other.unassigned_at),
            }
        )


class Visit(Entity):
    kind: ClassVar[str] = "visit"
    visit_id: uuid.UUID
    branch_id: uuid.UUID
    edition_id: uuid.UUID
    trainer_id: uuid.UUID
    visited_on: date
    follow_up_on: date | None = None
    as_of: datetime

    @property
    def key(self) -> str:
        return str(self.visit_id)

    def merged(self, other: Visit) -> Visit:
        return _pick(self, other)


class Submission(Entity):
    """The branch's volunteer programme or its annual report (sprawozdanie) handed in."""

    kind: ClassVar[str] = "submission"
    branch_id: uuid.UUID
    edition_id: uuid.UUID
    document: str
    submitted_on: date

    @property
    def key(self) -> str:
        return f"{self.branch_id}:{self.edition_id}:{self.document}"

    def merged(self, other: Submission) -> Submission:
        return self.model_copy(update={"submitted_on": min(self.submitted_on, other.submitted_on)})


class Volunteer(Entity):
    """An anonymous volunteer. ``erased`` only ever switches on, even if it arrives first."""

    kind: ClassVar[str] = "volunteer"
    volunteer_id: uuid.UUID
    minor: bool | None = None
    districts: list[str] = []
    registered_at: datetime | None = None
    erased: bool = False
    as_of: datetime | None = None

    @property
    def key(self) -> str:
        return str(self.volunteer_id)

    def merged(self, other: Volunteer) -> Volunteer:
        profile = _pick(self, other)
        return profile.model_copy(
            update={
                "erased": self.erased or other.erased,
                "registered_at": _min(self.registered_at, other.registered_at),
            }
        )


class Task(Entity):
    """A task (its title is free text: not kept). Cancelled is final."""

    kind: ClassVar[str] = "task"
    task_id: uuid.UUID
    branch_id: uuid.UUID
    code: str
    type: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    places: int
    published_at: datetime
    cancelled: bool = False
    as_of: datetime

    @property
    def key(self) -> str:
        return str(self.task_id)

    def merged(self, other: Task) -> Task:
        return _pick(self, other).model_copy(
            update={
                "cancelled": self.cancelled or other.cancelled,
                "published_at": min(self.published_at, other.published_at),
            }
        )


APPLICATION_RANK = {"submitted": 0, "waitlisted": 1, "promoted": 2, "accepted": 3, "rejected": 3}
ASSIGNMENT_RANK = {"confirmed": 0, "cancelled": 1, "completed": 1, "no_show": 1}
HOURS_RANK = {"logged": 0, "approved": 1, "rejected": 1}


class Application(Entity):
    kind: ClassVar[str] = "application"
    application_id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    status: str
    as_of: datetime

    @property
    def key(self) -> str:
        return str(self.application_id)

    def merged(self, other: Application) -> Application:
        return _pick(self, other, rank=lambda a: APPLICATION_RANK[a.status])


class Assignment(Entity):
    kind: ClassVar[str] = "assignment"
    assignment_id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    code: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    status: str
    first_seen_at: datetime
    as_of: datetime

    @property
    def key(self) -> str:
        return str(self.assignment_id)

    def merged(self, other: Assignment) -> Assignment:
        winner = _pick(self, other, rank=lambda a: ASSIGNMENT_RANK[a.status])
        return winner.model_copy(
            update={"first_seen_at": min(self.first_seen_at, other.first_seen_at)}
        )


class HoursEntry(Entity):
    kind: ClassVar[str] = "hours"
    entry_id: uuid.UUID
    assignment_id: uuid.UUID
    task_id: uuid.UUID
    branch_id: uuid.UUID
    code: str
    volunteer_id: uuid.UUID
    hours: Decimal
    worked_on: date
    status: str
    as_of: datetime

    @property
    def key(self) -> str:
        return str(self.entry_id)

    def merged(self, other: HoursEntry) -> HoursEntry:
        return _pick(self, other, rank=lambda h: HOURS_RANK[h.status])


PROPOSAL_RANK = {"made": 0, "accepted": 1, "declined": 1, "expired": 1}
MESSAGE_RANK = {"sent": 0, "failed": 1}


class Proposal(Entity):
    """A task a plan proposed to a volunteer; an answer (or its expiry) ends it."""

    kind: ClassVar[str] = "proposal"
    proposal_id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    code: str
    status: str
    made_at: datetime
    as_of: datetime

    @property
    def key(self) -> str:
        return str(self.proposal_id)

    def merged(self, other: Proposal) -> Proposal:
        winner = _pick(self, other, rank=lambda p: PROPOSAL_RANK[p.status])
        return winner.model_copy(update={"made_at": min(self.made_at, other.made_at)})


class Certificate(Entity):
    """A certificate (zaświadczenie) issued to a volunteer: ids and the date only."""

    kind: ClassVar[str] = "certificate"
    certificate_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_id: uuid.UUID
    code: str
    issued_at: datetime

    @property
    def key(self) -> str:
        return str(self.certificate_id)

    def merged(self, other: Certificate) -> Certificate:
        return _pick(self, other).model_copy(
            update={"issued_at": min(self.issued_at, other.issued_at)}
        )


class Message(Entity):
    """A message notifications sent or could not send; a failure outranks a success."""

    kind: ClassVar[str] = "message"
    message_id: uuid.UUID
    channel: str
    template: str
    status: str
    as_of: datetime

    @property
    def key(self) -> str:
        return str(self.message_id)

    def merged(self, other: Message) -> Message:
        return _pick(self, other, rank=lambda m: MESSAGE_RANK[m.status])


ENTITY_TYPES: dict[str, type[Entity]] = {
    cls.kind: cls
    for cls in (
        Edition,
        Branch,
        Enrolment,
        StageReached,
        TrainerAssignment,
        CoordinatorAssignment,
        Visit,
        Submission,
        Volunteer,
        Task,
        Application,
        Assignment,
        HoursEntry,
        Proposal,
        Certificate,
        Message,
    )
}


def snapshots(event_type: str, data: BaseModel, at: datetime) -> list[Entity]:
    """The snapshots one fact contributes; merging them into the store applies the fact."""
    match data:
        case f.EditionRead():
            return [Edition(**data.model_dump(), closed=event_type == f.EDITION_CLOSED, as_of=at)]
        case f.BranchRead():
            return [Branch(**data.model_dump(), as_of=at)]
        case f.EnrolmentRead():
            return [
                Enrolment(
                    branch_id=data.branch_id,
                    edition_id=data.edition_id,
                    code=data.code,
                    enrolled_at=at,
                    funding_pln=data.funding_pln,
                )
            ]
        case f.WithdrawalRead():
            return [
                Enrolment(
                    branch_id=data.branch_id,
                    edition_id=data.edition_id,
                    code=data.code,
                    withdrawn_at=at,
                )
            ]
        case f.CoordinatorRead():
            moment = (
                {"assigned_at": at}
                if event_type == f.COORDINATOR_ASSIGNED
                else {"unassigned_at": at}
            )
            return [
                CoordinatorAssignment(staff_id=data.staff_id, branch_id=data.branch_id, **moment)
            ]
        case f.TrainerRead():
            return [TrainerAssignment(**data.model_dump(), assigned_at=at)]
        case f.StageRead():
            return [StageReached(**data.model_dump(exclude={"code"}))]
        case f.VisitRead():
            return [Visit(**data.model_dump(exclude={"code"}), as_of=at)]
        case f.SubmissionRead():
            document = "programme" if event_type == f.PROGRAMME_SUBMITTED else "report"
            return [
                Submission(
                    branch_id=data.branch_id,
                    edition_id=data.edition_id,
                    document=document,
                    submitted_on=data.submitted_on,
                )
            ]
        case f.VolunteerRead():
            return [Volunteer(**data.model_dump(), as_of=at)]
        case f.VolunteerErasedRead():
            return [Volunteer(volunteer_id=data.volunteer_id, erased=True)]
        case f.TaskRead():
            return [
                Task(
                    **data.model_dump(exclude={"branch_code", "min_age", "with_children"}),
                    code=data.branch_code,
                    published_at=at,
                    cancelled=event_type == f.TASK_CANCELLED,
                    as_of=at,
                )
            ]
        case f.ApplicationRead():
            return [
                Application(
                    **data.model_dump(exclude={"branch_code"}),
                    status=f.status_of(event_type),
                    as_of=at,
                )
            ]
        case f.AssignmentRead():
            return [
                Assignment(
                    **data.model_dump(exclude={"branch_code"}),
                    code=data.branch_code,
                    status=f.status_of(event_type),
                    first_seen_at=at,
                    as_of=at,
                )
            ]
        case f.HoursRead():
            return [
                HoursEntry(
                    **data.model_dump(exclude={"branch_code"}),
                    code=data.branch_code,
                    status=f.status_of(event_type),
                    as_of=at,
                )
            ]
        case f.ProposalRead():
            return [
                Proposal(
                    **data.model_dump(exclude={"branch_code"}),
                    code=data.branch_code,
                    status=f.status_of(event_type),
                    made_at=at,
                    as_of=at,
                )
            ]
        case f.CertificateRead():
            return [
                Certificate(
                    **data.model_dump(exclude={"branch_code"}), code=data.branch_code, issued_at=at
                )
            ]
        case f.MessageRead():
            return [Message(**data.model_dump(), status=f.status_of(event_type), as_of=at)]
    return []


def merge(existing: Entity | None, incoming: Entity) -> Entity:
    return incoming if existing is None else existing.merged(incoming)


def fold(
    facts: Iterable[tuple[str, BaseModel, datetime]],
    store: dict[tuple[str, str], Entity] | None = None,
) -> dict[tuple[str, str], Entity]:
    """The in-memory store after applying ``facts``: what the database store holds, too."""
    store = {} if store is None else store
    for event_type, data, at in facts:
        for snapshot in snapshots(event_type, data, at):
            address = (snapshot.kind, snapshot.key)
            store[address] = merge(store.get(address), snapshot)
    return store
