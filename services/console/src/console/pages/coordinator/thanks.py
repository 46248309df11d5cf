"""The branch's volunteers by approved hours in a year (/koordynator/podziekowania): whom to
thank at the end of the year, most hours first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from console.pages._common import Api
from console.pages.coordinator._common import (
    Coordinator,
    branch_place,
    choose_branch_page,
    chosen_branch,
    page_helpers,
)
from console.pages.volunteer_shifts import today
from console.web import render

router = APIRouter()

FIRST_YEAR = 2017  # the programme's first edition


@router.get("/koordynator/podziekowania")
async def thanks(
    request: Request,
    user: Coordinator,
    api: Api,
    rok: Annotated[int | None, Query(ge=FIRST_YEAR, le=2100)] = None,
) -> Response:
    branch = chosen_branch(request, user)
    if branch is None:
        return await choose_branch_page(request, user, api)
    year = rok or today().year
    found = await api.get(
        "matching",
        f"/v1/branches/{branch}/volunteers-by-hours",
        params={"year": year, "limit": 500},
    )
    return render(
        request,
        "coordinator/thanks.html",
        branch=branch,
        place=await branch_place(api, branch),
        volunteers=found,
        year=year,
        years=list(range(today().year, FIRST_YEAR - 1, -1)),
        **page_helpers(),
    )
