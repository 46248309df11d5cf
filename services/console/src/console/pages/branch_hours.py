"""A branch's opening hours, kept by the city office (/miasto/oddzialy/{code}/godziny).

Registry carries them in its branch events; matching and notifications tell volunteers
when the branch is open.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from console.i18n import N_
from console.pages._common import CSRF, Api, attempt, field
from console.pages.city import CityOffice
from console.pages.volunteer_shifts import DAYS
from console.web import redirect, render

router = APIRouter()


def weekly_hours(form: FormData) -> list[dict[str, Any]]:
    """One entry per day with both times given (Monday = 1); a day left empty is closed.
    A day with one time only goes on as typed, and registry says what is wrong."""
    hours = []
    for weekday, day in enumerate(DAYS, start=1):
        opens, closes = field(form, f"{day}_opens"), field(form, f"{day}_closes")
        if opens or closes:
            hours.append({"weekday": weekday, "opens": opens, "closes": closes})
    return hours


@router.get("/miasto/oddzialy/{code}/godziny")
async def hours_page(request: Request, code: str, user: CityOffice, api: Api) -> Response:
    branch = await api.get("registry", f"/v1/branches/{code}")
    by_day = {list(DAYS)[entry["weekday"] - 1]: entry for entry in branch["opening_hours"]}
    return render(request, "city/hours.html", branch=branch, by_day=by_day, days=DAYS)


@router.post("/miasto/oddzialy/{code}/godziny", dependencies=CSRF)
async def save_hours(request: Request, code: str, user: CityOffice, api: Api) -> Response:
    hours = weekly_hours(await request.form())
    await attempt(
        request,
        api.patch("registry", f"/v1/branches/{code}", json={"opening_hours": hours}),
        done=N_("Godziny otwarcia zapisane."),
        failed=N_("Nie zapisano godzin otwarcia."),
    )
    return redirect(f"/miasto/oddzialy/{code}/godziny")
