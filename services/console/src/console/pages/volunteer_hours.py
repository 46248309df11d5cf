"""A volunteer's hours (/wolontariusz/godziny): approved this year and in all, the past dates
still without hours (prefilled from the kiosk's check-in and check-out where there were),
and every entry with its state."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from console.i18n import N_
from console.pages._common import CSRF, Api, attempt
from console.pages.volunteer import HOURS_STATUS, MILESTONES, Volunteer
from console.web import flash, redirect, render

router = APIRouter(prefix="/wolontariusz/godziny")

HOME = "/wolontariusz/godziny"
BAD_HOURS = N_("Wpisz liczbę godzin od 0,25 do 24, np. 2 albo 2,5.")
BAD_DAY = N_("Wybierz dzień dyżuru w formacie RRRR-MM-DD.")


@router.get("")
async def my_hours(request: Request, user: Volunteer, api: Api) -> Response:
    summary, entries, milestones = await asyncio.gather(
        api.get("matching", "/v1/me/hours/summary"),
        api.get("matching", "/v1/me/hours", params={"limit": 500}),
        api.get("matching", "/v1/me/milestones"),
    )
    return render(
        request,
        "volunteer/hours.html",
        summary=summary,
        entries=sorted(entries, key=lambda entry: entry["worked_on"], reverse=True),
        milestones=milestones,
        milestone_names=MILESTONES,
        hours_status=HOURS_STATUS,
    )


def _hours(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() and Decimal("0.25") <= value <= 24 else None


@router.post("", dependencies=CSRF)
async def log_hours(
    request: Request,
    user: Volunteer,
    api: Api,
    assignment_id: Annotated[uuid.UUID, Form()],
    worked_on: Annotated[str, Form(max_length=10)],
    hours: Annotated[str, Form(max_length=10)],
) -> Response:
    """Checked here first, so that a typo gets a message in the page's language."""
    amount = _hours(hours)
    try:
        day = date.fromisoformat(worked_on)
    except ValueError:
        day = None
    if amount is None or day is None:
        flash(request, BAD_HOURS if amount is None else BAD_DAY, kind="error")
        return redirect(HOME)
    await attempt(
        request,
        api.post(
            "matching",
            f"/v1/assignments/{assignment_id}/hours",
            json={"hours": str(amount), "worked_on": day.isoformat()},
        ),
        done=N_("Godziny zapisane. Koordynator je zatwierdzi."),
        failed=N_("Nie udało się zapisać godzin."),
    )
    return redirect(HOME)
