"""Child-protection checks: recorded by a branch for a volunteer, swept for expiry."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from matching import child_protection, volunteer_access
from matching.api.common import STAFF
from matching.settings import MatchingSettings
from shared.auth import Principal, require_roles
from shared.service import Service, get_service

router = APIRouter()


class ChildProtectionView(BaseModel):
    id: uuid.UUID
    volunteer_id: uuid.UUID
    branch_code: str | None = Field(description="the branch it was recorded for")
    recorded_by: str | None = Field(description="the subject of the staff member who recorded it")
    recorded_at: datetime
    register_checked_on: date = Field(description="the day the sex-offender register was checked")
    criminal_record_on: date | None = Field(description="the criminal-record certificate's date")
    expires_on: date = Field(description="the first day it no longer opens work with children")
    opens_work_with_children: bool = Field(description="today, if it is the volunteer's latest")


def _check_view(check: Any, *, latest: bool) -> ChildProtectionView:
    holds = child_protection.protection(check).valid_on(child_protection.warsaw_today())
    return ChildProtectionView.model_validate(
        {**check.model_dump(), "opens_work_with_children": latest and holds}
    )


@router.put(
    "/volunteers/{volunteer_id}/child-protection-check",
    response_model=ChildProtectionView,
    tags=["volunteers"],
)
async def record_child_protection_check(
    volunteer_id: uuid.UUID,
    body: child_protection.CheckInput,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    """A coordinator records what they saw (register check, certificate) for their branch,
    for a volunteer linked to it; it becomes the check that counts."""
    settings = service.settings
    assert isinstance(settings, MatchingSettings)
    async with service.unit_of_work() as uow:
        volunteer = await volunteer_access.require_linked(
            uow, principal, volunteer_id, branch_code=body.branch_code
        )
        check = await child_protection.record_check(
            uow,
            volunteer,
            body,
            recorded_by=principal.subject,
            valid_months=settings.child_protection_valid_months,
            today=child_protection.warsaw_today(),
        )
        return _check_view(check, latest=True)


@router.get(
    "/volunteers/{volunteer_id}/child-protection-checks",
    response_model=list[ChildProtectionView],
    tags=["volunteers"],
)
async def list_child_protection_checks(
    volunteer_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    """The volunteer's checks, the one that counts first (staff of a linked branch)."""
    async with service.unit_of_work() as uow:
        await volunteer_access.require_linked(uow, principal, volunteer_id)
        found = await child_protection.checks_of(uow, volunteer_id)
        return [_check_view(check, latest=index == 0) for index, check in enumerate(found)]


class SweepView(BaseModel):
    expiring: int
    expired: int


@router.post("/child-protection-checks/sweep", response_model=SweepView, tags=["volunteers"])
async def sweep_child_protection_checks(
    service: Annotated[Service, Depends(get_service)],
    _: Annotated[Principal, Depends(require_roles())],
) -> Any:
    """For a scheduler (city_admin token): tell branches now about checks that expire soon or
    have expired. Every replica also sweeps on its own; a check is told of once either way."""
    settings = service.settings
    assert isinstance(settings, MatchingSettings)
    async with service.unit_of_work() as uow:
        result = await child_protection.sweep(
            uow,
            today=child_protection.warsaw_today(),
            notice_days=settings.child_protection_notice_days,
        )
    return SweepView(expiring=result.expiring, expired=result.expired)
