"""A volunteer's shifts by date (/wolontariusz/dyzury): one line per date, "I can't come
this time" for one date, and a date's page with where to go (the branch's name, address,
opening hours, a map link) and the pass shown at the branch's kiosk: a signed QR code that
lives a few minutes and the date's six-character code."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import segno
from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from console.api import ApiError
from console.i18n import N_
from console.pages._common import CSRF, Api
from console.pages.volunteer import Volunteer
from console.web import flash, flash_api_error, redirect, render

router = APIRouter(prefix="/wolontariusz/dyzury")

HOME = "/wolontariusz/dyzury"
WARSAW = ZoneInfo("Europe/Warsaw")
# Past dates kept on the list: the last month's, for hours still to be logged.
SHOWN_BACK = timedelta(days=31)

STATES = {
    "planned": N_("zaplanowany"),
    "declined": N_("odmówiony"),
    "excused": N_("nie przyjdę tym razem"),
    "attended": N_("obecność potwierdzona"),
    "absent": N_("nieobecność"),
    "cancelled": N_("odwołany"),
}
DAYS = {
    "mon": N_("poniedziałek"),
    "tue": N_("wtorek"),
    "wed": N_("środa"),
    "thu": N_("czwartek"),
    "fri": N_("piątek"),
    "sat": N_("sobota"),
    "sun": N_("niedziela"),
}


def today() -> date:
    return datetime.now(WARSAW).date()


def _helpers() -> dict[str, Any]:
    return {"states": STATES, "days": DAYS, "today": today().isoformat()}


async def _mine(api: Api) -> list[dict[str, Any]]:
    since = (today() - SHOWN_BACK).isoformat()
    found: list[dict[str, Any]] = await api.get(
        "matching", "/v1/me/occurrences", params={"since": since, "limit": 500}
    )
    return found


@router.get("")
async def my_shifts(request: Request, user: Volunteer, api: Api) -> Response:
    shifts = await _mine(api)
    upcoming = [item for item in shifts if item["until"] >= today().isoformat()]
    past = [item for item in shifts if item not in upcoming]
    return render(request, "shifts/list.html", upcoming=upcoming, past=past, **_helpers())


def qr_svg(content: str) -> Markup:
    """The QR code as inline SVG (segno); the page names it for screen readers."""
    svg = segno.make(content, error="m").svg_inline(scale=5, border=4)
    return Markup(svg)  # segno writes only the code's path: the content is not in it


@router.get("/{occurrence_id}")
async def shift_page(
    request: Request, occurrence_id: uuid.UUID, user: Volunteer, api: Api
) -> Response:
    """One date: where to go, and the pass for the kiosk (made fresh on each visit)."""
    shifts = await _mine(api)
    shift = next((item for item in shifts if item["id"] == str(occurrence_id)), None)
    if shift is None:
        return render(request, "shifts/missing.html", status_code=404)
    issued: dict[str, Any] | None = None
    usable = shift["state"] in ("planned", "attended") and shift["until"] >= today().isoformat()
    if usable:
        try:
            issued = await api.post("matching", f"/v1/occurrences/{occurrence_id}/pass")
        except ApiError as error:
            if error.status == 401:
                raise
            issued = None
    return render(
        request,
        "shifts/shift.html",
        shift=shift,
        issued=issued,
        qr=qr_svg(issued["token"]) if issued else None,
        **_helpers(),
    )


@router.post("/{occurrence_id}/nie-moge", dependencies=CSRF)
async def cannot_come(
    request: Request, occurrence_id: uuid.UUID, user: Volunteer, api: Api
) -> Response:
    """ "I can't come this time": the date's place goes to the next person waiting and the
    coordinator is told; a date given from the waitlist is declined (no absence)."""
    try:
        given_up = await api.post("matching", f"/v1/occurrences/{occurrence_id}/excuse")
    except ApiError as error:
        if error.status == 401:
            raise
        flash_api_error(request, error, N_("Nie udało się odwołać przyjścia."))
    else:
        done = (
            N_("Zapisaliśmy, że nie przyjmujesz tego terminu. Miejsce dostanie następna osoba.")
            if given_up.get("state") == "declined"
            else N_("Zapisaliśmy, że nie przyjdziesz tego dnia. Koordynator dostanie wiadomość.")
        )
        flash(request, done, kind="success")
    return redirect(HOME)
