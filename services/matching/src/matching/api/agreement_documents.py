"""The agreement as a document: its PDF, the signed copy sent back, and references
(opinie) asked for by the volunteer and written by the branch's coordinator.

A volunteer reaches only their own agreements and references; staff only their branches'.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from matching import agreement_documents, references
from matching.api.agreements import AgreementView
from matching.api.common import STAFF, is_staff_for, volunteer_id_of
from matching.domain.pdf_upload import MAX_SIGNED_COPY_BYTES
from matching.tables import Agreement, ReferenceRequest
from shared.auth import Principal, require_roles
from shared.problems import Problem
from shared.service import Service, get_service
from shared.unit_of_work import UnitOfWork
from shared.validation import Code, PageOffset

router = APIRouter(tags=["agreements"])

StaffOrVolunteer = Annotated[Principal, Depends(require_roles(*STAFF, "volunteer"))]
VolunteerOnly = Annotated[Principal, Depends(require_roles("volunteer"))]
ServiceDep = Annotated[Service, Depends(get_service)]
# What the bytes are is decided from the bytes; a client that sends them as
# application/octet-stream (curl, generic HTTP clients) is as welcome as one that says PDF.
UPLOAD_TYPES = ("application/pdf", "application/octet-stream")
PDF_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type in UPLOAD_TYPES
        },
    }
}
PDF_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
}


def _own(principal: Principal, volunteer_id: uuid.UUID) -> bool:
    return "volunteer" in principal.roles and principal.subject == str(volunteer_id)


def _require_party(principal: Principal, volunteer_id: uuid.UUID, branch_code: str) -> None:
    if not _own(principal, volunteer_id) and not is_staff_for(principal, branch_code):
        raise Problem(403, "Forbidden", "this document belongs to someone else")


async def _agreement(uow: UnitOfWork, principal: Principal, agreement_id: uuid.UUID) -> Agreement:
    agreement = await agreement_documents.get_agreement(uow, agreement_id)
    _require_party(principal, agreement.volunteer_id, agreement.branch_code)
    return agreement


def _pdf(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/agreements/{agreement_id}", response_model=AgreementView)
async def get_agreement(
    agreement_id: uuid.UUID, service: ServiceDep, principal: StaffOrVolunteer
) -> Any:
    async with service.unit_of_work() as uow:
        agreement = await _agreement(uow, principal, agreement_id)
    return AgreementView.model_validate(agreement)


@router.get("/agreements/{agreement_id}/pdf", responses=PDF_ANSWER, response_class=Response)
async def agreement_pdf(
    agreement_id: uuid.UUID, service: ServiceDep, principal: StaffOrVolunteer
) -> Response:
    """The agreement in Polish, from the template a lawyer reads
    (``matching/documents/porozumienie.txt``), to print and sign."""
    async with service.unit_of_work() as uow:
        agreement = await _agreement(uow, principal, agreement_id)
        content = await agreement_documents.agreement_pdf(uow, agreement)
    return _pdf(content, f"porozumienie-{agreement_id}.pdf")


@router.post(
    "/agreements/{agreement_id}/signed-copy", response_model=AgreementView, openapi_extra=PDF_BODY
)
async def upload_signed_copy(
    agreement_id: uuid.UUID, request: Request, service: ServiceDep, principal: StaffOrVolunteer
) -> Any:
    """The signed agreement scanned to PDF (``Content-Type: application/pdf`` or
    ``application/octet-stream``, at most 5 MB): the agreement becomes signed. A bad file
    (not a PDF, damaged, too large) is refused with its ``reason`` in ``errors`` and changes
    nothing."""
    async with service.unit_of_work() as uow:
        await _agreement(uow, principal, agreement_id)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in UPLOAD_TYPES:
        raise Problem(
            415,
            "Send a PDF",
            "send the file as the request body with Content-Type application/pdf"
            f" (got '{media_type}')",
            errors=[{"field": "file", "message": "not a PDF", "reason": "not_pdf"}],
        )
    content = await _read_at_most(request, MAX_SIGNED_COPY_BYTES)
    async with service.unit_of_work() as uow:
        agreement = await _agreement(uow, principal, agreement_id)
        uploaded_by = "volunteer" if _own(principal, agreement.volunteer_id) else "staff"
        agreement = await agreement_documents.attach_signed_copy(
            uow, agreement, content, uploaded_by=uploaded_by
        )
    return AgreementView.model_validate(agreement)


async def _read_at_most(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it passes ``limit`` (never held whole when larger)."""
    too_large = Problem(
        413,
        "File too large",
        f"the file is larger than {limit // (1024 * 1024)} MB",
        errors=[{"field": "file", "message": "too large", "reason": "too_large"}],
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


@router.get("/agreements/{agreement_id}/signed-copy", responses=PDF_ANSWER, response_class=Response)
async def signed_copy(
    agreement_id: uuid.UUID, service: ServiceDep, principal: StaffOrVolunteer
) -> Response:
    async with service.unit_of_work() as uow:
        agreement = await _agreement(uow, principal, agreement_id)
        content = await agreement_documents.signed_copy(uow, agreement)
    return _pdf(content, f"porozumienie-podpisane-{agreement_id}.pdf")


# -- references (opinie) -----------------------------------------------------------------------


class ReferenceView(BaseModel):
    id: uuid.UUID
    agreement_id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_code: str
    requested_at: datetime
    written_at: datetime | None
    pdf_url: str | None

    @classmethod
    def of(cls, item: ReferenceRequest) -> ReferenceView:
        return cls(
            id=item.id,
            agreement_id=item.agreement_id,
            volunteer_id=item.volunteer_id,
            branch_code=item.branch_code,
            requested_at=item.requested_at,
            written_at=item.written_at,
            pdf_url=f"/v1/references/{item.id}/pdf" if item.written_at else None,
        )


@router.post(
    "/agreements/{agreement_id}/reference-request", response_model=ReferenceView, status_code=201
)
async def request_reference(
    agreement_id: uuid.UUID, service: ServiceDep, principal: VolunteerOnly
) -> Any:
    """The volunteer asks the branch for a written reference about their work under this
    agreement (asking again while it is open is the same request)."""
    async with service.unit_of_work() as uow:
        agreement = await _agreement(uow, principal, agreement_id)
        if not _own(principal, agreement.volunteer_id):
            raise Problem(403, "Forbidden", "only the volunteer asks for their reference")
        found = await references.request_reference(uow, agreement)
    return ReferenceView.of(found)


@router.get("/references", response_model=list[ReferenceView])
async def list_references(
    service: ServiceDep,
    principal: StaffOrVolunteer,
    branch_code: Annotated[Code | None, Query(max_length=64)] = None,
    open_only: Annotated[bool, Query(description="only those not written yet")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[PageOffset, Query()] = 0,
) -> Any:
    """Staff see their branches' requests; a volunteer sees their own."""
    scope: set[str] | None = None
    volunteer_id: uuid.UUID | None = None
    if "city_admin" not in principal.roles:
        if principal.has_any_role(("coordinator",)):
            scope = set(principal.branches)
        else:
            volunteer_id = volunteer_id_of(principal)
    if branch_code is not None:
        if scope is not None and branch_code not in scope:
            raise Problem(403, "Forbidden", f"you do not act for branch {branch_code!r}")
        scope = {branch_code}
    async with service.unit_of_work() as uow:
        found = await references.list_references(
            uow,
            volunteer_id=volunteer_id,
            branch_codes=scope,
            open_only=open_only,
            limit=limit,
            offset=offset,
        )
    return [ReferenceView.of(item) for item in found]


async def _reference(
    uow: UnitOfWork, principal: Principal, reference_id: uuid.UUID
) -> ReferenceRequest:
    found = await references.get_reference(uow, reference_id)
    _require_party(principal, found.volunteer_id, found.branch_code)
    return found


@router.put("/references/{reference_id}/text", response_model=ReferenceView)
async def write_reference(
    reference_id: uuid.UUID,
    body: references.ReferenceText,
    service: ServiceDep,
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    """The coordinator writes the reference; its PDF is ready for the volunteer at once."""
    async with service.unit_of_work() as uow:
        found = await _reference(uow, principal, reference_id)
        if not is_staff_for(principal, found.branch_code):
            raise Problem(403, "Forbidden", "only the branch's staff write its references")
        written = await references.write_reference(uow, found, body)
    return ReferenceView.of(written)


@router.get("/references/{reference_id}/pdf", responses=PDF_ANSWER, response_class=Response)
async def reference_pdf(
    reference_id: uuid.UUID, service: ServiceDep, principal: StaffOrVolunteer
) -> Response:
    async with service.unit_of_work() as uow:
        found = await _reference(uow, principal, reference_id)
    if found.pdf is None:
        raise Problem(404, "Not written yet", "the branch has not written this reference yet")
    return _pdf(found.pdf, f"opinia-{reference_id}.pdf")
