"""Reviewing what branches write: comments on programmes and annual reports, accepting a
programme, the documents waiting for review, and forum meetings' notes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from registry import reviews
from registry.access import CITY_ADMIN, scope_of
from registry.api.common import Monitoring, RegistryRoute, ServiceDep, Staff
from registry.api.institutions import BranchSummary, on_enrolment, scoped_enrolment
from registry.api.monitoring import ProgrammeView, SessionView
from registry.commands import AcceptProgramme, MeetingNotes, ReviewComment
from shared.auth import Principal
from shared.unit_of_work import UnitOfWork

router = APIRouter(prefix="/v1", route_class=RegistryRoute)

Document = Literal["programme", "report"]


class CommentView(BaseModel):
    id: uuid.UUID
    enrolment_id: uuid.UUID
    document: Document
    author: str
    body: str
    returned: bool
    written_at: datetime


class DocumentRowView(BaseModel):
    enrolment_id: uuid.UUID
    edition_id: uuid.UUID
    branch: BranchSummary
    document: Document
    status: str
    submitted_on: date | None


def _acting_subject(principal: Principal) -> str | None:
    return None if CITY_ADMIN in principal.roles else principal.subject


@router.get(
    "/enrolments/{enrolment_id}/{document}/comments",
    response_model=list[CommentView],
    tags=["review"],
)
async def list_comments(
    enrolment_id: uuid.UUID, document: Document, service: ServiceDep, principal: Staff
) -> Any:
    """The reviewers' comments on the branch's programme or report, oldest first."""
    async with service.unit_of_work() as uow:
        await scoped_enrolment(uow, enrolment_id, principal)
        found = await reviews.comments_on(uow, enrolment_id, document)
        return [CommentView.model_validate(item, from_attributes=True) for item in found]


@router.post(
    "/enrolments/{enrolment_id}/{document}/comments",
    status_code=201,
    response_model=CommentView,
    tags=["review"],
)
async def add_comment(
    enrolment_id: uuid.UUID,
    document: Document,
    command: ReviewComment,
    service: ServiceDep,
    principal: Monitoring,
) -> Any:
    """A trainer's comment; ``return_for_changes`` sends a submitted document back."""

    async def comment(uow: UnitOfWork) -> Any:
        reviewer = await reviews.reviewer_of(uow, _acting_subject(principal))
        return await reviews.comment(uow, enrolment_id, document, command, reviewer)

    return await on_enrolment(service, enrolment_id, principal, comment, CommentView)


@router.post(
    "/enrolments/{enrolment_id}/programme/accept", response_model=ProgrammeView, tags=["review"]
)
async def accept_programme(
    enrolment_id: uuid.UUID, command: AcceptProgramme, service: ServiceDep, principal: Monitoring
) -> Any:
    """The branch's trainer (or the city office) accepts its submitted programme."""
    return await on_enrolment(
        service,
        enrolment_id,
        principal,
        lambda uow: reviews.accept_programme(uow, enrolment_id, command),
        ProgrammeView,
    )


@router.get("/documents/{document}", response_model=list[DocumentRowView], tags=["review"])
async def list_documents(
    document: Document,
    service: ServiceDep,
    principal: Staff,
    status: Annotated[
        Literal["draft", "submitted", "accepted"] | None, Query(description="only in this state")
    ] = None,
    edition: Annotated[uuid.UUID | None, Query(description="only in this edition")] = None,
) -> Any:
    """The programmes (or annual reports) of the branches the caller may see."""
    async with service.unit_of_work() as uow:
        scope = await scope_of(uow, principal)
        rows = await reviews.documents(uow, document, scope, status, edition)
        return [
            DocumentRowView(
                enrolment_id=row.enrolment.id,
                edition_id=row.enrolment.edition_id,
                branch=BranchSummary.model_validate(row.branch, from_attributes=True),
                document=document,
                status=row.status,
                submitted_on=row.submitted_on,
            )
            for row in rows
        ]


@router.put("/sessions/{session_id}/notes", response_model=SessionView, tags=["training"])
async def keep_notes(
    session_id: uuid.UUID, command: MeetingNotes, service: ServiceDep, _: Monitoring
) -> Any:
    """What a forum meeting (or a training session) discussed and agreed."""
    async with service.unit_of_work() as uow:
        session = await reviews.keep_notes(uow, session_id, command)
        return SessionView.model_validate(session, from_attributes=True)
