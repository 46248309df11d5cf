"""Use cases for reviewing what a branch writes: trainers comment on a submitted programme
or annual report, send it back for changes or accept the programme; forum meetings keep
their notes; the documents waiting for review are listed for the reviewer's branches."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import cast

from sqlmodel import col, select

from registry import events
from registry.clock import now, today
from registry.commands import AcceptProgramme, MeetingNotes
from registry.commands import ReviewComment as CommentCommand
from registry.domain import RuleViolation
from registry.enrolments import active_enrolment
from registry.programmes import find_programme
from registry.reports import find_report
from registry.scope import Scope
from registry.tables import (
    AnnualReport,
    Branch,
    Enrolment,
    Programme,
    ReviewComment,
    Trainer,
    TrainingSession,
)
from registry.training import get_session
from shared.unit_of_work import UnitOfWork

DOCUMENTS = ("programme", "report")
CITY_OFFICE = "Urząd m.st. Warszawy"


@dataclass(frozen=True)
class Reviewer:
    """Who reviews: a trainer (by their user id), or the city office (no trainer)."""

    trainer: Trainer | None

    @property
    def name(self) -> str:
        return self.trainer.name if self.trainer else CITY_OFFICE


async def reviewer_of(uow: UnitOfWork, acting_subject: str | None) -> Reviewer:
    if acting_subject is None:
        return Reviewer(trainer=None)
    query = select(Trainer).where(Trainer.subject == acting_subject)
    trainer = (await uow.session.exec(query)).first()
    if trainer is None or trainer.erased_at is not None:
        raise RuleViolation("your user account is not linked to a trainer", title="Trainer unknown")
    return Reviewer(trainer=trainer)


async def _document(
    uow: UnitOfWork, enrolment_id: uuid.UUID, document: str
) -> tuple[Programme | AnnualReport, Enrolment, Branch, uuid.UUID]:
    enrolment, branch, edition = await active_enrolment(uow, enrolment_id)
    found = (
        await find_programme(uow, enrolment.id)
        if document == "programme"
        else await find_report(uow, enrolment.id)
    )
    if found is None:
        what = "volunteer programme" if document == "programme" else "annual report"
        raise RuleViolation(f"branch '{branch.code}' has no {what} yet")
    return found, enrolment, branch, edition.id


async def comment(
    uow: UnitOfWork,
    enrolment_id: uuid.UUID,
    document: str,
    command: CommentCommand,
    reviewer: Reviewer,
) -> ReviewComment:
    """A comment on the document; returning it for changes needs it submitted, and makes it
    a draft the coordinator edits and submits again."""
    found, enrolment, branch, edition_id = await _document(uow, enrolment_id, document)
    if command.return_for_changes:
        if found.status != "submitted":
            raise RuleViolation(
                f"only a submitted document goes back for changes; the {document} of branch "
                f"'{branch.code}' is {found.status}"
            )
        found.status = "draft"
        found.updated_at = now()
        uow.session.add(found)
        await uow.emit(
            events.DocumentReturned(
                branch_id=branch.id,
                code=branch.code,
                edition_id=edition_id,
                document="programme" if document == "programme" else "report",
                returned_on=today(),
            ),
            subject=branch.code,
        )
    note = ReviewComment(
        enrolment_id=enrolment.id,
        document=document,
        trainer_id=reviewer.trainer.id if reviewer.trainer else None,
        author=reviewer.name,
        body=command.body,
        returned=command.return_for_changes,
    )
    uow.session.add(note)
    await uow.session.flush()
    return note


async def comments_on(
    uow: UnitOfWork, enrolment_id: uuid.UUID, document: str
) -> Sequence[ReviewComment]:
    query = (
        select(ReviewComment)
        .where(ReviewComment.enrolment_id == enrolment_id, ReviewComment.document == document)
        .order_by(col(ReviewComment.written_at))
    )
    return (await uow.session.exec(query)).all()


async def accept_programme(
    uow: UnitOfWork, enrolment_id: uuid.UUID, command: AcceptProgramme
) -> Programme:
    found, _, branch, edition_id = await _document(uow, enrolment_id, "programme")
    if found.status != "submitted":
        raise RuleViolation(
            f"only a submitted programme can be accepted; branch '{branch.code}' has a "
            f"{found.status} one"
        )
    assert isinstance(found, Programme)
    accepted_on = command.accepted_on or today()
    found.status = "accepted"
    found.accepted_on = accepted_on
    found.updated_at = now()
    uow.session.add(found)
    await uow.emit(
        events.ProgrammeAccepted(
            branch_id=branch.id, code=branch.code, edition_id=edition_id, accepted_on=accepted_on
        ),
        subject=branch.code,
    )
    return found


@dataclass(frozen=True)
class DocumentRow:
    enrolment: Enrolment
    branch: Branch
    status: str
    submitted_on: date | None


async def documents(
    uow: UnitOfWork, document: str, scope: Scope, status: str | None, edition_id: uuid.UUID | None
) -> list[DocumentRow]:
    """The branches' programmes (or reports) the caller may see, oldest submission first."""
    table: type[Programme] | type[AnnualReport] = (
        Programme if document == "programme" else AnnualReport
    )
    query = (
        select(table, Enrolment, Branch)
        .join(Enrolment, col(Enrolment.id) == table.enrolment_id)
        .join(Branch, col(Branch.id) == Enrolment.branch_id)
        .where(Enrolment.status == "enrolled")
        .order_by(col(table.submitted_on).nulls_last(), col(Branch.name))
    )
    if status is not None:
        query = query.where(table.status == status)
    if edition_id is not None:
        query = query.where(Enrolment.edition_id == edition_id)
    if not scope.everything:
        query = query.where(col(Branch.id).in_(sorted(scope.branch_ids)))
    rows: list[DocumentRow] = []
    for found, enrolment, branch in (await uow.session.exec(query)).all():
        written = cast(Programme | AnnualReport, found)
        rows.append(DocumentRow(enrolment, branch, written.status, written.submitted_on))
    return rows


async def keep_notes(
    uow: UnitOfWork, session_id: uuid.UUID, command: MeetingNotes
) -> TrainingSession:
    session = await get_session(uow, session_id)
    session.notes = command.notes
    uow.session.add(session)
    await uow.session.flush()
    return session
