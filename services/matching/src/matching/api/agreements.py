"""Agreements between a branch and a volunteer."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, model_validator

from matching import agreements, volunteer_access
from matching.api.common import STAFF, require_branch, volunteer_id_of
from matching.tables import Agreement
from shared.auth import Principal, require_roles
from shared.problems import Problem
from shared.service import Service, get_service
from shared.validation import Code, PageOffset

router = APIRouter()


class AgreementView(BaseModel):
    id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_code: str
    scope: str
    starts_on: date
    ends_on: date
    written_form_required: bool
    guardian_role: str
    guardian_name: str | None
    created_at: datetime
    working_hours: str | None
    reimbursed_costs: str | None
    signed_at: datetime | None = Field(description="when a signed copy came back")
    pdf_url: str = Field(description="the agreement to print and sign")
    signed_copy_url: str | None

    @model_validator(mode="before")
    @classmethod
    def _links(cls, data: Any) -> Any:
        if isinstance(data, Agreement):
            base = f"/v1/agreements/{data.id}"
            return {
                **data.model_dump(),
                "pdf_url": f"{base}/pdf",
                "signed_copy_url": f"{base}/signed-copy" if data.signed_at else None,
            }
        return data


@router.post("/agreements", response_model=AgreementView, status_code=201, tags=["agreements"])
async def conclude_agreement(
    body: agreements.AgreementInput,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    """An agreement's terms: written form over 30 days; for minors, the guardian's role.
    The volunteer must be linked to the branch already (otherwise 404)."""
    require_branch(principal, body.branch_code)
    async with service.unit_of_work() as uow:
        await volunteer_access.require_linked(
            uow, principal, body.volunteer_id, branch_code=body.branch_code
        )
        agreement = await agreements.conclude_agreement(uow, body)
    return AgreementView.model_validate(agreement, from_attributes=True)


@router.get("/agreements", response_model=list[AgreementView], tags=["agreements"])
async def list_agreements(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF, "volunteer"))],
    volunteer_id: Annotated[uuid.UUID | None, Query()] = None,
    branch_code: Annotated[Code | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[PageOffset, Query()] = 0,
) -> Any:
    """Staff see their branches' agreements; a volunteer sees their own."""
    scope: set[str] | None = None
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
        found = await agreements.list_agreements(
            uow, volunteer_id=volunteer_id, branch_codes=scope, limit=limit, offset=offset
        )
    return [AgreementView.model_validate(item, from_attributes=True) for item in found]
