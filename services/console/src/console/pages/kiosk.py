"""The branch's kiosk (/kiosk): a tablet at the desk where volunteers check in and out with
the QR code from their shift's page or its six-character code.

A coordinator opens it for their branch (/koordynator/kiosk): the device's session then
holds the kiosk's own token from matching and nothing of the coordinator, so it can do
nothing but check people in and out at that branch, and shows no more than first names.
The same page lists the branch's kiosks (opened when, by whom, last used), and a
coordinator closes one from there (a lost tablet): it is refused at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.api import ApiError, api_error
from console.i18n import N_
from console.pages._common import CSRF, Api, attempt, field, flash_refusal
from console.pages.coordinator._common import (
    Coordinator,
    branch_place,
    choose_branch_page,
    chosen_branch,
)
from console.pages.volunteer_shifts import DAYS
from console.web import flash, redirect, render

router = APIRouter()

KIOSK = "/kiosk"
KEY = "kiosk"
DEVICE = "urzadzenie"  # the form's field: what the coordinator calls the device
WARSAW = ZoneInfo("Europe/Warsaw")

# Why matching refused a code, as the person at the desk reads it.
REFUSALS = {
    "other_branch": N_(
        "Ten kod dotyczy dyżuru w innej bibliotece. Sprawdź na stronie dyżuru, dokąd przyjść."
    ),
    "other_day": N_("Ten kod dotyczy dyżuru w innym dniu ({day}). Dziś nie masz tu dyżuru."),
    "invalid": N_(
        "Kod QR jest nieważny albo wygasł. Odśwież stronę dyżuru w telefonie i pokaż nowy kod."
    ),
    "unknown": N_("Nie ma dyżuru z tym kodem. Sprawdź, czy kod jest wpisany poprawnie."),
    "not_planned": N_("Ten dyżur jest odwołany albo zgłoszono na niego nieobecność."),
    "checked_out": N_("Wyjście z tego dyżuru jest już zapisane."),
}
TOO_SHORT = N_("Wpisz sześć znaków kodu albo zeskanuj kod QR.")


async def _matching(
    request: Request, method: str, path: str, token: str, body: Any = None
) -> httpx.Response:
    """A call to matching with the kiosk's token alone (no person's token), its answer as
    it came: a refusal's ``reason`` says what to tell the person at the desk."""
    http: httpx.AsyncClient = request.app.state.http
    headers = {"accept": "application/json", "x-kiosk-token": token}
    if request_id := getattr(request.state, "request_id", None):
        headers["x-request-id"] = request_id
    return await http.request(method, f"/matching{path}", json=body, headers=headers)


def _kiosk(request: Request) -> dict[str, Any] | None:
    kept = request.session.get(KEY)
    return kept if isinstance(kept, dict) and kept.get("token") else None


def _clock(moment: str) -> str:
    return datetime.fromisoformat(moment).astimezone(WARSAW).strftime("%H:%M")


# -- opened by a coordinator -----------------------------------------------------------------


@router.get("/koordynator/kiosk")
async def kiosk_start(request: Request, user: Coordinator, api: Api) -> Response:
    branch = chosen_branch(request, user)
    if branch is None:
        return await choose_branch_page(request, user, api)
    return render(
        request,
        "kiosk/start.html",
        branch=branch,
        place=await branch_place(api, branch),
        kiosks=await api.get("matching", f"/v1/branches/{branch}/kiosks"),
        device_field=DEVICE,
    )


@router.post("/koordynator/kiosk/{session_id}/zamknij", dependencies=CSRF)
async def revoke_kiosk(
    request: Request, session_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    """A lost tablet: its kiosk is closed at once, wherever it is."""
    await attempt(
        request,
        api.post(
            "matching", f"/v1/kiosks/{session_id}/revoke", json={"revoked_by": user.name or None}
        ),
        done=N_("Kiosk zamknięty: to urządzenie nie zapisze już żadnego wejścia."),
        failed=N_("Nie udało się zamknąć kiosku."),
    )
    return redirect("/koordynator/kiosk")


@router.post("/koordynator/kiosk", dependencies=CSRF)
async def open_kiosk(request: Request, user: Coordinator, api: Api) -> Response:
    """This device becomes the branch's kiosk: the coordinator is signed out of it."""
    branch = chosen_branch(request, user)
    if branch is None:
        return redirect("/koordynator")
    try:
        device = field(await request.form(), DEVICE)
        opened = await api.post(
            "matching",
            f"/v1/branches/{branch}/kiosk",
            json={"device": device, "opened_by": user.name or None},
        )
    except ApiError as error:
        if error.status == 401:
            raise
        flash_refusal(request, error, N_("Nie udało się otworzyć kiosku."))
        return redirect("/koordynator/kiosk")
    language = request.session.get("lang")
    request.session.clear()
    request.session[KEY] = {"token": opened["token"], "branch": opened["branch_code"]}
    if language:
        request.session["lang"] = language
    flash(request, N_("Kiosk jest otwarty dla tej biblioteki."), kind="success")
    return redirect(KIOSK)


# -- the kiosk itself --------------------------------------------------------------------------


@router.get("/kiosk")
async def kiosk_page(request: Request) -> Response:
    kiosk = _kiosk(request)
    if kiosk is None:
        return render(request, "kiosk/closed.html", status_code=403)
    answer = await _matching(request, "GET", "/v1/kiosk", kiosk["token"])
    if answer.status_code == 401:
        return _closed(request, answer)
    if answer.status_code >= 400:
        raise api_error(answer)
    screen = answer.json()
    return render(
        request,
        "kiosk/kiosk.html",
        branch=screen["branch"],
        present=screen["present"],
        days=DAYS,
    )


@router.post("/kiosk", dependencies=CSRF)
async def check(request: Request) -> Response:
    """A scanned QR code or a typed code: in on the first time that day, out on the second."""
    kiosk = _kiosk(request)
    if kiosk is None:
        return render(request, "kiosk/closed.html", status_code=403)
    code = field(await request.form(), "kod") or ""
    if len(code) < 6:
        flash(request, TOO_SHORT, kind="error")
        return redirect(KIOSK)
    answer = await _matching(
        request, "POST", "/v1/kiosk/check-ins", kiosk["token"], {"code": code[:2000]}
    )
    if answer.status_code == 401:
        return _closed(request, answer)
    if answer.status_code >= 400:
        problem = _problem(answer)
        reason = problem.get("reason")
        if reason in REFUSALS:
            flash(request, REFUSALS[reason], kind="error", day=_day(problem.get("day")))
        elif answer.status_code == 422:
            flash(request, TOO_SHORT, kind="error")
        else:
            raise api_error(answer)
        return redirect(KIOSK)
    done = answer.json()
    name = done.get("first_name") or ""
    if done["action"] == "in":
        flash(
            request,
            N_("Dzień dobry, {name}! Przyjście zapisane o {time}."),
            kind="success",
            name=name,
            time=_clock(done["at"]),
        )
    else:
        flash(
            request,
            N_(
                "Do widzenia, {name}! Wyjście zapisane o {time}. Czas dyżuru ({hours} godz.)"
                " czeka na zatwierdzenie przez koordynatora."
            ),
            kind="success",
            name=name,
            time=_clock(done["at"]),
            hours=str(done.get("hours") or "").replace(".", ","),
        )
    return redirect(KIOSK)


def _closed(request: Request, answer: httpx.Response) -> Response:
    """The kiosk's token no longer opens it: the day ended, or a coordinator closed it."""
    request.session.pop(KEY, None)
    revoked = _problem(answer).get("reason") == "revoked"
    return render(
        request, "kiosk/closed.html", status_code=403, expired=not revoked, revoked=revoked
    )


def _problem(answer: httpx.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _day(value: Any) -> str:
    """The other day a code is for, as "12.12.2026"."""
    if not isinstance(value, str):
        return ""
    try:
        return datetime.fromisoformat(value).strftime("%d.%m.%Y")
    except ValueError:
        return ""


@router.post("/kiosk/zamknij", dependencies=CSRF)
async def close_kiosk(request: Request) -> Response:
    """Closed at the desk: its token is revoked too (an already closed one stays closed)."""
    kiosk = _kiosk(request)
    if kiosk is not None:
        await _matching(request, "POST", "/v1/kiosk/close", kiosk["token"])
    request.session.pop(KEY, None)
    flash(request, N_("Kiosk zamknięty."), kind="success")
    return redirect(KIOSK)
