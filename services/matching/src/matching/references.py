"""Use cases for references (opinie, art. 44 ust. 3 of the volunteering act): the volunteer
asks for one about the work under an agreement, the branch's coordinator writes it, and the
volunteer downloads it as a PDF."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import ConfigDict, StringConstraints
from sqlalchemy.orm import defer
from sqlmodel import col, select

from matching.agreement_documents import parties
from matching.document_pdf import render_document
from matching.domain.documents import ReferenceFacts, reference_values
from matching.domain.schedule import WARSAW
from matching.events import ReferenceRequested, ReferenceWritten
from matching.tables import Agreement, ReferenceRequest
from shared.problems import Problem
from shared.unit_of_work import UnitOfWork
from shared.validation import CleanInput

REFERENCE_TITLE = "Opinia o wykonywaniu świadczeń przez wolontariusza"


class ReferenceText(CleanInput):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(min_length=20, max_length=5000, strip_whitespace=True)]


async def request_reference(uow: UnitOfWork, agreement: Agreement) -> ReferenceRequest:
    """Asking again while a request is open is the same request (the coordinator is told
    once, by ``reference.requested.v1``)."""
    await parties(uow, agreement)
    session = uow.session
    found = (
        await session.exec(
            select(ReferenceRequest).where(
                ReferenceRequest.agreement_id == agreement.id,
                col(ReferenceRequest.written_at).is_(None),
            )
        )
    ).first()
    if found is not None:
        return found
    request = ReferenceRequest(
        agreement_id=agreement.id,
        volunteer_id=agreement.volunteer_id,
        branch_code=agreement.branch_code,
        requested_at=datetime.now(UTC),
    )
    session.add(request)
    await session.flush()
    await _announce(uow, ReferenceRequested, request, agreement)
    return request


async def _announce(
    uow: UnitOfWork,
    event: type[ReferenceRequested],
    reference: ReferenceRequest,
    agreement: Agreement,
) -> None:
    await uow.emit(
        event(
            reference_id=reference.id,
            agreement_id=agreement.id,
            volunteer_id=reference.volunteer_id,
            branch_id=agreement.branch_id,
            branch_code=agreement.branch_code,
        ),
        subject=str(agreement.id),
    )


async def list_references(
    uow: UnitOfWork,
    *,
    volunteer_id: uuid.UUID | None,
    branch_codes: set[str] | None,
    open_only: bool,
    limit: int,
    offset: int,
) -> list[ReferenceRequest]:
    # The PDFs stay in the database until one is downloaded.
    query = select(ReferenceRequest).options(defer(ReferenceRequest.pdf))  # type: ignore[arg-type]
    if volunteer_id is not None:
        query = query.where(ReferenceRequest.volunteer_id == volunteer_id)
    if branch_codes is not None:
        query = query.where(col(ReferenceRequest.branch_code).in_(sorted(branch_codes)))
    if open_only:
        query = query.where(col(ReferenceRequest.written_at).is_(None))
    query = query.order_by(col(ReferenceRequest.requested_at), col(ReferenceRequest.id))
    return list((await uow.session.exec(query.limit(limit).offset(offset))).all())


async def get_reference(uow: UnitOfWork, reference_id: uuid.UUID) -> ReferenceRequest:
    found = await uow.session.get(ReferenceRequest, reference_id)
    if found is None:
        raise Problem(404, "Reference not found", f"no reference request with id {reference_id}")
    return found


async def write_reference(
    uow: UnitOfWork, reference: ReferenceRequest, body: ReferenceText
) -> ReferenceRequest:
    if reference.written_at is not None:
        raise Problem(409, "Already written", "this reference was written already")
    agreement = await uow.session.get(Agreement, reference.agreement_id)
    assert agreement is not None  # the foreign key keeps it
    volunteer, branch = await parties(uow, agreement)
    now = datetime.now(UTC)
    facts = ReferenceFacts(
        issued_on=now.astimezone(WARSAW).date(),
        organisation=branch.district_library,
        branch_name=branch.name,
        volunteer_name=f"{volunteer.first_name} {volunteer.last_name}",
        scope=agreement.scope,
        starts_on=agreement.starts_on,
        ends_on=agreement.ends_on,
        text=body.text,
    )
    values, conditions = reference_values(facts)
    reference.text = body.text
    reference.pdf = render_document("opinia", REFERENCE_TITLE, values, conditions)
    reference.written_at = now
    uow.session.add(reference)
    await uow.session.flush()
    await _announce(uow, ReferenceWritten, reference, agreement)
    return reference
