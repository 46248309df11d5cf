"""Certificates of the hours given, issued on request as a PDF."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field, StringConstraints

from matching import agreements, volunteer_access
from matching.api.common import STAFF, is_staff_for, require_branch, volunteer_id_of
from shared.auth import Principal, require_roles
from shared.problems import Problem
from shared.service import Service, get_service
from shared.validation import CleanInput

router = APIRouter()


class CertificateRequest(CleanInput):
    branch_code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    volunteer_id: uuid.UUID | None = Field(
        default=None, description="staff name the volunteer; a volunteer asks for themselves"
    )


class CertificateView(BaseModel):
    id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_code: str
    approved_hours: Decimal
    period_from: date
    period_to: date
    issued_at: datetime
    pdf_url: str


def _certificate_view(certificate: Any) -> CertificateView:
    return CertificateView(
        id=certificate.id,
        volunteer_id=certificate.volunteer_id,
        branch_code=certificate.branch_code,
        approved_hours=certificate.approved_hours,
        period_from=certificate.period_from,
        period_to=certificate.period_to,
        issued_at=certificate.issued_at,
        pdf_url=f"/v1/certificates/{certificate.id}/pdf",
    )


@router.post("/certificates", response_model=CertificateView, status_code=201, tags=["agreements"])
async def issue_certificate(
    body: CertificateRequest,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF, "volunteer"))],
) -> Any:
    """A certificate on request: the volunteer asks, or their branch's coordinator issues it."""
    for_staff = principal.has_any_role(("city_admin", "coordinator"))
    if for_staff and body.volunteer_id is not None:
        require_branch(principal, body.branch_code)
        volunteer_id = body.volunteer_id
    else:
        for_staff = False
        volunteer_id = volunteer_id_of(principal)
    async with service.unit_of_work() as uow:
        if for_staff:
            await volunteer_access.require_linked(
                uow, principal, volunteer_id, branch_code=body.branch_code
            )
        certificate = await agreements.issue_certificate(uow, volunteer_id, body.branch_code)
    return _certificate_view(certificate)


@router.get("/certificates/{certificate_id}/pdf", tags=["agreements"])
async def certificate_pdf(
    certificate_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF, "volunteer"))],
) -> Response:
    async with service.unit_of_work() as uow:
        certificate = await agreements.get_certificate(uow, certificate_id)
    own = principal.subject == str(certificate.volunteer_id)
    if not own and not is_staff_for(principal, certificate.branch_code):
        raise Problem(403, "Forbidden", "this certificate belongs to someone else")
    assert certificate.pdf is not None
    return Response(
        certificate.pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'inline; filename="zaswiadczenie-{certificate.id}.pdf"'},
    )
