"""The volunteer's pages, behind the links in their messages: no password to remember.

``/wolontariusz/wejscie?t=`` turns a signed link (made by notifications with the shared
secret) into a short session: the console signs a volunteer token of its own issuer, which
the services accept for the volunteer role only. The proposal answer page needs no session
at all: the signed proposal link is the permission, checked by matching.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import Response

from console.api import ApiClient, ApiError
from console.i18n import N_
from console.pages._common import Api
from console.settings import ConsoleSettings
from console.store import ConsoleStore
from console.web import (
    SignInRequired,
    User,
    check_csrf,
    error_page,
    flash,
    flash_api_error,
    redirect,
    render,
    sign_in_session,
    signed_in,
)
from shared.audit import audit
from shared.auth import load_or_create_key_pair, public_key_of, sign_token
from shared.signed_links import InvalidLink, unverified_extra, verify_link_token

router = APIRouter(prefix="/wolontariusz")

LINK_PURPOSE = "volunteer.session"
HOME = "/wolontariusz"

PROPOSAL_STATUS = {
    "proposed": N_("czeka na Twoją odpowiedź"),
    "accepted": N_("przyjęta"),
    "declined": N_("odrzucona"),
    "expired": N_("wygasła"),
}
SHIFT_STATUS = {
    "confirmed": N_("potwierdzony"),
    "cancelled": N_("odwołany"),
    "completed": N_("odbyty"),
    "no_show": N_("nieobecność"),
}
APPLICATION_STATES = {
    "submitted": N_("zgłoszenie czeka na decyzję koordynatora"),
    "accepted": N_("zgłoszenie przyjęte"),
    "waitlisted": N_("lista rezerwowa"),
    "rejected": N_("zgłoszenie odrzucone"),
    "withdrawn": N_("zgłoszenie wycofane"),
}
MILESTONES = {
    "first_shift": N_("Pierwszy dyżur"),
    "hours_10": N_("10 zatwierdzonych godzin"),
    "hours_25": N_("25 zatwierdzonych godzin"),
    "hours_50": N_("50 zatwierdzonych godzin"),
    "hours_100": N_("100 zatwierdzonych godzin"),
    "one_year": N_("Rok wolontariatu"),
}
HOURS_STATUS = {
    "logged": N_("czekają na zatwierdzenie"),
    "approved": N_("zatwierdzone"),
    "rejected": N_("odrzucone"),
}


class VolunteerSessions:
    """Signs volunteer session tokens with the console's key (RS256, volunteer role only)."""

    def __init__(self, settings: ConsoleSettings) -> None:
        self._settings = settings
        key_file = settings.volunteer_signing_key_file
        if settings.dev_sign_in:
            self._private_key, self.public_key = load_or_create_key_pair(key_file)
        else:
            # In the containers the key is a mounted secret whose public half the services
            # hold: a key made up here would sign tokens nobody accepts.
            self._private_key = key_file.read_text()
            self.public_key = public_key_of(self._private_key)

    async def open(self, link_token: str, store: ConsoleStore) -> User:
        """The volunteer a valid link names, signed in for ``volunteer_session_s``. A link
        works once, and not at all once revoked for its person."""
        settings = self._settings
        if not settings.volunteer_link_secret:
            raise InvalidLink("volunteer links are not configured")
        claims = verify_link_token(settings.volunteer_link_secret, link_token, purpose=LINK_PURPOSE)
        try:
            volunteer_id = str(uuid.UUID(claims.subject))
        except ValueError as error:
            raise InvalidLink("the link names no volunteer") from error
        if not await store.use_link(claims.jti, volunteer_id, claims.expires_at, claims.issued_at):
            raise InvalidLink("the link was used already or revoked")
        lifetime = settings.volunteer_session_s
        token = sign_token(
            self._private_key,
            subject=volunteer_id,
            roles=["volunteer"],
            issuer=settings.volunteer_issuer,
            audience=settings.api_audience,
            lifetime_s=lifetime,
        )
        return User(
            subject=volunteer_id,
            name="",
            roles=frozenset({"volunteer"}),
            branches=(),
            access_token=token,
            expires_at=time.time() + lifetime,
        )


def volunteer_sessions(request: Request) -> VolunteerSessions:
    """The signer, made on first use (its key file is read once)."""
    state = request.app.state
    if getattr(state, "volunteer_sessions", None) is None:
        state.volunteer_sessions = VolunteerSessions(state.settings)
    sessions: VolunteerSessions = state.volunteer_sessions
    return sessions


async def signed_in_volunteer(request: Request) -> User:
    """FastAPI dependency: a volunteer's session (staff have their own pages)."""
    try:
        user = await signed_in(request)
    except SignInRequired as missing:
        # Volunteers have no sign-in page: their way in is a link from a message.
        raise SignInRequired(missing.next_path, volunteer=True) from None
    if not user.is_volunteer:
        raise HTTPException(
            403, N_("Te strony są dla wolontariuszy, otwierane linkiem z wiadomości.")
        )
    return user


Volunteer = Annotated[User, Depends(signed_in_volunteer)]


# -- the link that opens a session ------------------------------------------------------------


@router.get("/wejscie")
async def enter(
    request: Request,
    sessions: Annotated[VolunteerSessions, Depends(volunteer_sessions)],
    t: Annotated[str, Query(min_length=1, max_length=4000)],
) -> Response:
    """A signed link from a message: a valid one opens the volunteer's pages."""
    try:
        user = await sessions.open(t, request.app.state.store)
    except InvalidLink as invalid:
        audit("sign-in", outcome="invalid-link", subject=None, method="volunteer-link")
        return error_page(
            request,
            403,
            title=N_("Link jest nieważny"),
            message=N_(
                "Ten link jest nieważny albo wygasł. Otwórz link z najnowszej wiadomości "
                "od programu albo poproś koordynatora w bibliotece o nowy."
            ),
            details=_link_details(str(invalid)),
        )
    sign_in_session(request, user)
    audit("sign-in", outcome="ok", subject=user.subject, method="volunteer-link")
    # Away from the address with the link token, so it stays out of history and referrers.
    return redirect(HOME)


LINK_USED = N_("Ten link został już użyty: każdy link otwiera Twoje strony jeden raz.")


def _link_details(reason: str) -> list[str]:
    if "expired" in reason:
        return [N_("Link wygasł.")]
    if "used" in reason:
        return [LINK_USED]
    return []


# -- the volunteer's own page ----------------------------------------------------------------


@router.get("")
async def home(request: Request, user: Volunteer, api: Api) -> Response:
    """My proposals, shifts, hours; a certificate on request; my calendar link."""
    me, proposals, shifts, hours, applications, milestones = await asyncio.gather(
        api.get("matching", "/v1/me"),
        api.get("matching", "/v1/me/proposals", params={"limit": 100}),
        api.get("matching", "/v1/me/assignments", params={"limit": 200}),
        api.get("matching", "/v1/me/hours", params={"limit": 500}),
        api.get("matching", "/v1/me/applications", params={"limit": 100}),
        api.get("matching", "/v1/me/milestones"),
    )
    tasks = await _tasks(api, {item["task_id"] for item in [*proposals, *shifts]})
    proposals = [_with_task(item, tasks) for item in proposals]
    shifts = [_with_task(item, tasks) for item in shifts]
    open_proposals = [
        item for item in proposals if item["status"] == "proposed" and not _past(item["expires_at"])
    ]
    answered = [item for item in proposals if item not in open_proposals]
    approved = [entry for entry in hours if entry["status"] == "approved"]
    return render(
        request,
        "volunteer/home.html",
        first_name=me.get("first_name") or "",
        open_proposals=open_proposals,
        answered_proposals=answered,
        shifts=shifts,
        hours=hours,
        approved_total=sum((Decimal(str(entry["hours"])) for entry in approved), Decimal(0)),
        certificate_branches=sorted({entry["branch_code"] for entry in approved}),
        certificate=request.session.get("certificate"),
        calendar_url=request.session.get("calendar_url"),
        applications=applications,
        milestones=milestones,
        milestone_names=MILESTONES,
        application_states=APPLICATION_STATES,
        proposal_status=PROPOSAL_STATUS,
        shift_status=SHIFT_STATUS,
        hours_status=HOURS_STATUS,
    )


async def _tasks(api: ApiClient, task_ids: set[str]) -> dict[str, dict[str, Any]]:
    """The tasks behind proposals and shifts, by id (one that is gone is left out)."""

    async def one(task_id: str) -> dict[str, Any] | None:
        try:
            task: dict[str, Any] = await api.get("matching", f"/v1/tasks/{task_id}")
        except ApiError as error:
            if error.status == 404:
                return None
            raise
        return task

    found = await asyncio.gather(*(one(task_id) for task_id in sorted(task_ids)[:100]))
    return {task["id"]: task for task in found if task is not None}


def _with_task(item: dict[str, Any], tasks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A proposal or shift with its task's title, branch and time (a gone task: no details)."""
    task = tasks.get(item["task_id"], {})
    return {
        **item,
        "title": task.get("title") or "Zadanie",
        "branch_code": task.get("branch_code"),
        "starts_at": task.get("starts_at"),
        "ends_at": task.get("ends_at"),
    }


def _past(moment: str) -> bool:
    return datetime.fromisoformat(moment) <= datetime.now(UTC)


@router.post("/propozycje/{proposal_id}/przyjmij", dependencies=[Depends(check_csrf)])
async def accept_proposal(
    request: Request, proposal_id: uuid.UUID, user: Volunteer, api: Api
) -> Response:
    done = N_("Dziękujemy! Propozycja przyjęta — dyżur jest na liście.")
    failed = N_("Nie udało się przyjąć propozycji.")
    return await _answer_proposal(request, api, proposal_id, "accept", done=done, failed=failed)


@router.post("/propozycje/{proposal_id}/odrzuc", dependencies=[Depends(check_csrf)])
async def decline_proposal(
    request: Request, proposal_id: uuid.UUID, user: Volunteer, api: Api
) -> Response:
    done, failed = N_("Propozycja odrzucona."), N_("Nie udało się odrzucić propozycji.")
    return await _answer_proposal(request, api, proposal_id, "decline", done=done, failed=failed)


async def _answer_proposal(
    request: Request,
    api: ApiClient,
    proposal_id: uuid.UUID,
    answer: str,
    *,
    done: str,
    failed: str,
) -> Response:
    try:
        await api.post("matching", f"/v1/proposals/{proposal_id}/{answer}")
    except ApiError as error:
        flash_api_error(request, error, failed)
    else:
        flash(request, done, kind="success")
    return redirect(HOME)


@router.post("/zaswiadczenie", dependencies=[Depends(check_csrf)])
async def request_certificate(
    request: Request,
    user: Volunteer,
    api: Api,
    branch_code: Annotated[str, Form(min_length=1, max_length=64)],
) -> Response:
    """Matching lets a volunteer ask for their own certificate at a branch."""
    try:
        certificate = await api.post(
            "matching", "/v1/certificates", json={"branch_code": branch_code}
        )
    except ApiError as error:
        flash_api_error(request, error, N_("Nie udało się wystawić zaświadczenia."))
        return redirect(HOME)
    request.session["certificate"] = {
        key: str(certificate[key])
        for key in ("id", "branch_code", "approved_hours", "period_from", "period_to")
    }
    flash(request, "Zaświadczenie jest gotowe do pobrania.", kind="success")
    return redirect(f"{HOME}#zaswiadczenie")


@router.get("/zaswiadczenia/{certificate_id}.pdf")
async def download_certificate(certificate_id: uuid.UUID, user: Volunteer, api: Api) -> Response:
    return await api.download("matching", f"/v1/certificates/{certificate_id}/pdf")


@router.post("/kalendarz", dependencies=[Depends(check_csrf)])
async def create_calendar_link(request: Request, user: Volunteer, api: Api) -> Response:
    """A new iCal link to my shifts (the previous one stops working)."""
    feed = await api.post("matching", "/v1/me/calendar-feed")
    settings: ConsoleSettings = request.app.state.settings
    request.session["calendar_url"] = f"{settings.public_api_url}/matching{feed['url']}"
    flash(
        request, "Nowy link do kalendarza jest gotowy. Poprzedni przestał działać.", kind="success"
    )
    return redirect(f"{HOME}#kalendarz")


# -- answering a proposal from a message, without a session -----------------------------------

LINK_ERRORS = {
    403: N_(
        "Ten link jest nieważny albo wygasł. Odpowiedz z najnowszej wiadomości albo skontaktuj "
        "się z koordynatorem w bibliotece."
    ),
    404: N_("Nie ma takiej propozycji."),
    409: N_("Na tę propozycję już odpowiedziano albo nie można jej już przyjąć."),
}


@router.get("/propozycje/{proposal_id}")
async def proposal_answer_page(
    request: Request,
    proposal_id: uuid.UUID,
    token: Annotated[str, Query(min_length=10, max_length=2000)],
    action: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Shows the answer the link carries and asks to confirm it: a mail scanner that opens
    links changes nothing. (The token decides the answer; ``action`` only names it.)"""
    api = _anonymous_api(request)
    path = f"/v1/proposals/{proposal_id}/respond"
    try:
        await api.request("GET", "matching", path, params={"token": token})
    except ApiError as error:
        return _link_error(request, error)
    answer = _link_action(token)
    if answer is None:
        return error_page(request, 403, title=N_("Link jest nieważny"), message=LINK_ERRORS[403])
    return render(
        request,
        "volunteer/proposal_answer.html",
        answer=answer,
        token=token,
        action_path=request.url.path,
    )


@router.post("/propozycje/{proposal_id}", dependencies=[Depends(check_csrf)])
async def answer_proposal(
    request: Request,
    proposal_id: uuid.UUID,
    token: Annotated[str, Form(min_length=10, max_length=2000)],
) -> Response:
    api = _anonymous_api(request)
    try:
        await api.request(
            "POST",
            "matching",
            f"/v1/proposals/{proposal_id}/respond",
            content=urlencode({"token": token}),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    except ApiError as error:
        return _link_error(request, error)
    return render(request, "volunteer/proposal_answered.html", answer=_link_action(token))


def _anonymous_api(request: Request) -> ApiClient:
    return ApiClient(
        request.app.state.http, token=None, request_id=getattr(request.state, "request_id", None)
    )


def _link_error(request: Request, error: ApiError) -> Response:
    if error.status not in LINK_ERRORS:
        raise error
    title = N_("Link jest nieważny") if error.status == 403 else None
    return error_page(request, error.status, title=title, message=LINK_ERRORS[error.status])


def _link_action(token: str) -> str | None:
    """The answer a proposal link carries (matching verifies the link; this only reads it)."""
    action = unverified_extra(token).get("action")
    return action if action in ("accept", "decline") else None
