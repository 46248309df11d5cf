"""Proposals: made to one candidate, answered by the volunteer in the API or by link."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from html import escape
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from matching import proposals, tasks, volunteer_access
from matching.api.common import STAFF, require_branch, volunteer_id_of
from matching.settings import MatchingSettings
from shared.auth import Principal, require_roles
from shared.problems import Problem
from shared.service import Service, get_service
from shared.validation import CleanInput, PageOffset, SingleLine

router = APIRouter()


class ProposalView(BaseModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    task_id: uuid.UUID
    volunteer_id: uuid.UUID
    points: int
    status: str
    expires_at: datetime
    created_at: datetime
    responded_at: datetime | None


class ProposalRequest(CleanInput):
    volunteer_id: uuid.UUID
    expires_in_hours: int = Field(default=48, ge=1, le=336)


@router.post(
    "/tasks/{task_id}/proposals", response_model=ProposalView, status_code=201, tags=["matching"]
)
async def propose_candidate(
    task_id: uuid.UUID,
    body: ProposalRequest,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles(*STAFF))],
) -> Any:
    """The coordinator proposes one ranked candidate; the engine must find them eligible."""
    async with service.unit_of_work() as uow:
        task = await tasks.get_task(uow, task_id, for_update=True)
        require_branch(principal, task.branch_code)
        linked = await volunteer_access.visible_to(uow, principal, [body.volunteer_id])
        proposal = await proposals.propose(
            uow,
            task,
            body.volunteer_id,
            timedelta(hours=body.expires_in_hours),
            explain=body.volunteer_id in linked,
        )
        return ProposalView.model_validate(proposal, from_attributes=True)


@router.get("/me/proposals", response_model=list[ProposalView], tags=["matching"])
async def my_proposals(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[PageOffset, Query()] = 0,
) -> Any:
    volunteer_id = volunteer_id_of(principal)
    async with service.unit_of_work() as uow:
        found = await proposals.list_for_volunteer(uow, volunteer_id, limit, offset)
    return [ProposalView.model_validate(p, from_attributes=True) for p in found]


class ExpiryView(BaseModel):
    expired: int


@router.post("/proposals/expire-overdue", response_model=ExpiryView, tags=["matching"])
async def expire_overdue_proposals(
    service: Annotated[Service, Depends(get_service)],
    _: Annotated[Principal, Depends(require_roles())],
) -> Any:
    """For a scheduler (city_admin token): overdue proposals expire now. Plans and answers
    also expire overdue proposals on their way, so this only makes it timely."""
    async with service.unit_of_work() as uow:
        count = await proposals.expire_overdue(uow)
    return ExpiryView(expired=count)


async def _answer(
    service: Service, principal: Principal, proposal_id: uuid.UUID, accept: bool
) -> ProposalView:
    async with service.unit_of_work() as uow:
        proposal = await proposals.get_proposal(uow, proposal_id)
        if principal.subject != str(proposal.volunteer_id) and "city_admin" not in principal.roles:
            raise Problem(403, "Forbidden", "this proposal was made to someone else")
        await proposals.respond(uow, proposal, accept=accept)
    return ProposalView.model_validate(proposal, from_attributes=True)


@router.post("/proposals/{proposal_id}/accept", response_model=ProposalView, tags=["matching"])
async def accept_proposal(
    proposal_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    """The volunteer accepts their proposal: the place is confirmed (if still free)."""
    return await _answer(service, principal, proposal_id, accept=True)


@router.post("/proposals/{proposal_id}/decline", response_model=ProposalView, tags=["matching"])
async def decline_proposal(
    proposal_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    return await _answer(service, principal, proposal_id, accept=False)


def _link_secret(service: Service) -> str:
    settings = service.settings
    assert isinstance(settings, MatchingSettings)
    return settings.proposal_link_secret


_ANSWERS = {"accept": "przyjąć", "decline": "odrzucić"}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="pl"><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<body><h1>{escape(title)}</h1>{body}</body></html>",
        status_code=status,
    )


@router.get("/proposals/{proposal_id}/respond", response_class=HTMLResponse, tags=["matching"])
async def respond_link_page(
    proposal_id: uuid.UUID,
    token: Annotated[SingleLine, Query(min_length=10, max_length=2000)],
    service: Annotated[Service, Depends(get_service)],
) -> Any:
    """The no-login link from an email: shows the choice and asks to confirm it, so that a
    mail scanner that opens links changes nothing."""
    secret = _link_secret(service)
    async with service.unit_of_work() as uow:
        _, action = await proposals.respond_by_link(uow, secret, proposal_id, token, dry_run=True)
    form = (
        f'<form method="post"><input type="hidden" name="token" value="{escape(token)}">'
        f'<button type="submit">Potwierdzam: chcę {_ANSWERS[action]} propozycję</button></form>'
    )
    return _page("Propozycja wolontariatu", form)


@router.post("/proposals/{proposal_id}/respond", response_class=HTMLResponse, tags=["matching"])
async def respond_link(
    proposal_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    request: Request,
    token: Annotated[SingleLine | None, Query(max_length=2000)] = None,
) -> Any:
    """Apply the link's answer once (the token comes in the form or the query)."""
    body = (await request.body())[:4096].decode("utf-8", errors="replace")
    form_token = parse_qs(body).get("token", [None])[0]
    given = form_token or token
    if not given or len(given) > 2000:
        raise Problem(422, "Invalid request", "token: required, at most 2000 characters")
    secret = _link_secret(service)
    async with service.unit_of_work() as uow:
        _, action = await proposals.respond_by_link(uow, secret, proposal_id, given)
    done = "Dziękujemy! Propozycja przyjęta." if action == "accept" else "Propozycja odrzucona."
    return _page("Propozycja wolontariatu", f"<p>{done}</p>")
