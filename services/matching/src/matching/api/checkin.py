"""The branch's kiosk: opened by a coordinator for their branch, then used with the
kiosk's own token (``x-kiosk-token``) alone: it checks people in and out and shows no more
than their first names. The branch's coordinators list its kiosks and revoke one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel, ConfigDict, StringConstraints

from matching import checkin, kiosks
from matching.api.common import STAFF, require_branch
from matching.api.occurrences import PlaceView, link_secret, place_of
from shared.auth import Principal, require_roles
from shared.service import Service, get_service
from shared.validation import CleanInput, Code

router = APIRouter()

KioskToken = Annotated[str | None, Header(alias="x-kiosk-token", max_length=2000)]


class KioskOpened(BaseModel):
    token: str
    session_id: uuid.UUID
    branch_code: str
    expires_at: datetime


class KioskSessionView(BaseModel):
    id: uuid.UUID
    branch_code: str
    device: str | None
    opened_at: datetime
    opened_by: str | None
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None
    state: Literal["open", "revoked", "expired"]


def _session_view(session: Any) -> KioskSessionView:
    return KioskSessionView.model_validate(
        {**session.model_dump(), "state": kiosks.state_of(session, datetime.now(UTC))}
    )


class RevokeInput(CleanInput):
    model_config = ConfigDict(extra="forbid")

    revoked_by: Annotated[str, StringConstraints(max_length=120, strip_whitespace=True)] | None = (
        None
    )


class KioskView(BaseModel):
    branch: PlaceView
    present: list[str]
    expires_at: datetime


class CheckInput(CleanInput):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(min_length=6, max_length=2000, strip_whitespace=True)]


class CheckView(BaseModel):
    action: Literal["in", "out"]
    first_name: str | None
    at: datetime
    hours: str | None


@router.post(
    "/branches/{branch_code}/kiosk", response_model=KioskOpened, status_code=201, tags=["kiosk"]
)
async def open_kiosk(
    branch_code: Code,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
    body: kiosks.KioskOpening | None = None,
) -> Any:
    """A coordinator opens the kiosk of their branch for the day: its token opens only
    check-ins at this branch, until it expires or a coordinator revokes it (``device``
    and ``opened_by`` tell the branch's coordinators which kiosk it is)."""
    require_branch(principal, branch_code)
    async with service.unit_of_work() as uow:
        branch = await checkin.branch_of(uow, branch_code)
        token, session = await kiosks.open_kiosk(
            uow, link_secret(service), branch.code, principal.subject,
            body or kiosks.KioskOpening(),
        )  # fmt: skip
    return KioskOpened(
        token=token,
        session_id=session.id,
        branch_code=session.branch_code,
        expires_at=session.expires_at,
    )


@router.get("/branches/{branch_code}/kiosks", response_model=list[KioskSessionView], tags=["kiosk"])
async def branch_kiosks(
    branch_code: Code,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    """The branch's kiosks open now and those ended in the last week, newest first."""
    require_branch(principal, branch_code)
    async with service.unit_of_work() as uow:
        found = await kiosks.branch_kiosks(uow, branch_code)
    return [_session_view(session) for session in found]


@router.post("/kiosks/{kiosk_id}/revoke", response_model=KioskSessionView, tags=["kiosk"])
async def revoke_kiosk(
    kiosk_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
    body: RevokeInput | None = None,
) -> Any:
    """A coordinator of the branch closes one of its kiosks (a lost tablet): its token is
    refused from now on (401, ``reason`` revoked)."""
    async with service.unit_of_work() as uow:
        session = await kiosks.get_kiosk(uow, kiosk_id)
        require_branch(principal, session.branch_code)
        await kiosks.revoke(uow, session, (body or RevokeInput()).revoked_by, principal.subject)
    return _session_view(session)


@router.get("/kiosk", response_model=KioskView, tags=["kiosk"])
async def kiosk_screen(
    service: Annotated[Service, Depends(get_service)],
    x_kiosk_token: KioskToken = None,
) -> Any:
    """What the kiosk shows: the branch, and the first names of those checked in now."""
    async with service.unit_of_work() as uow:
        kiosk = await kiosks.kiosk_of(uow, link_secret(service), x_kiosk_token)
        branch = await checkin.branch_of(uow, kiosk.branch_code)
        present = await checkin.present(uow, kiosk.branch_code)
    return KioskView(
        branch=place_of(branch, branch.code),
        present=present,
        expires_at=datetime.fromtimestamp(kiosk.expires_at, UTC),
    )


@router.post("/kiosk/check-ins", response_model=CheckView, tags=["kiosk"])
async def check_in_or_out(
    body: CheckInput,
    service: Annotated[Service, Depends(get_service)],
    x_kiosk_token: KioskToken = None,
) -> Any:
    """A pass (the QR code's content) or a typed six-character code: the first time that
    day checks in, the second checks out and drafts the date's hours. A code of another
    branch or another day is refused (``reason``: other_branch, other_day, ...)."""
    secret = link_secret(service)
    async with service.unit_of_work() as uow:
        kiosk = await kiosks.kiosk_of(uow, secret, x_kiosk_token)
        result = await checkin.check(uow, secret, kiosk, body.code)
    return CheckView(
        action="in" if result.action == "in" else "out",
        first_name=result.first_name,
        at=result.at,
        hours=result.hours,
    )


@router.post("/kiosk/close", response_model=KioskSessionView, tags=["kiosk"])
async def close_kiosk(
    service: Annotated[Service, Depends(get_service)],
    x_kiosk_token: KioskToken = None,
) -> Any:
    """The kiosk closed at the desk: its token opens nothing more, and the branch's list
    shows it closed."""
    async with service.unit_of_work() as uow:
        kiosk = await kiosks.kiosk_of(uow, link_secret(service), x_kiosk_token)
        session = await kiosks.get_kiosk(uow, kiosk.session_id)
        await kiosks.revoke(uow, session)
    return _session_view(session)
