"""What the coordinator's pages share: the role, the branch they work on, and the names
of task types, schedules, weekdays and statuses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from console.api import ApiClient, ApiError
from console.i18n import N_
from console.pages._common import field
from console.web import (
    User,
    render,
    require_role,
)

Coordinator = Annotated[User, Depends(require_role("coordinator"))]

BRANCH_KEY = "coordinator_branch"
MANY = 200  # rows fetched for one task's lists: a branch's task has a few dozen at most

TASK_TYPES = {
    "reading_help": N_("Pomoc w czytaniu"),
    "homework_help": N_("Pomoc w lekcjach"),
    "computer_help": N_("Pomoc komputerowa"),
    "extra_classes": N_("Zajęcia dodatkowe"),
    "contest": N_("Konkurs"),
    "event_help": N_("Pomoc przy wydarzeniu"),
    "daily_work": N_("Codzienna praca biblioteki"),
    "own_project": N_("Własny projekt"),
}
SCHEDULE_KINDS = {
    "one_off": N_("Jednorazowe"),
    "recurring": N_("Cykliczne (co tydzień)"),
    "flexible": N_("Elastyczne (godziny w okresie)"),
}
WEEKDAYS = {
    "MO": N_("poniedziałek"),
    "TU": N_("wtorek"),
    "WE": N_("środa"),
    "TH": N_("czwartek"),
    "FR": N_("piątek"),
    "SA": N_("sobota"),
    "SU": N_("niedziela"),
}
STATUSES = {
    "published": N_("opublikowane"),
    "cancelled": N_("odwołane"),
    "submitted": N_("zgłoszenie"),
    "waitlisted": N_("lista rezerwowa"),
    "accepted": N_("przyjęte"),
    "rejected": N_("odrzucone"),
    "confirmed": N_("potwierdzony"),
    "completed": N_("wykonany"),
    "no_show": N_("nieobecność"),
    "logged": N_("do zatwierdzenia"),
    "approved": N_("zatwierdzone"),
    "proposed": N_("zaproponowano"),
    "declined": N_("odrzucona"),
    "expired": N_("wygasła"),
}


def short_id(value: str) -> str:
    return value.split("-")[0]


def number_or_text(value: str | None) -> int | str | None:
    """A whole number from a form; anything else goes on as typed and the service names
    the field that is wrong."""
    if not value:
        return None
    return int(value) if value.isdigit() else value


def back_to(form: FormData, default: str) -> str:
    """Where a row's action returns to: a local path the form names, or ``default``."""
    target = field(form, "wroc")
    if target and target.startswith("/koordynator") and "//" not in target:
        return target
    return default


def page_helpers() -> dict[str, Any]:
    return {
        "task_types": TASK_TYPES,
        "schedule_kinds": SCHEDULE_KINDS,
        "weekdays": WEEKDAYS,
        "statuses": STATUSES,
        "short_id": short_id,
    }


# -- the branch the coordinator works on -----------------------------------------------------


def chosen_branch(request: Request, user: User) -> str | None:
    """The branch of these pages: ``?oddzial=`` (remembered), the remembered one, or the
    only branch the token lists. The city office may pick any branch."""
    city_office = "city_admin" in user.roles
    asked = request.query_params.get("oddzial")
    if asked and (asked in user.branches or city_office):
        request.session[BRANCH_KEY] = asked
        return asked
    kept = request.session.get(BRANCH_KEY)
    if isinstance(kept, str) and (kept in user.branches or city_office):
        return kept
    if len(user.branches) == 1:
        return user.branches[0]
    return None


async def branch_choices(user: User, api: ApiClient) -> list[tuple[str, str]]:
    """(code, label) of the branches the person may pick, by name and address (registry
    lists a coordinator's own branches only)."""
    page = await api.get("registry", "/v1/branches", params={"limit": 500})
    named = [(item["code"], f"{item['name']}, {item['address']}") for item in page["items"]]
    if "city_admin" in user.roles:
        return named
    return [(code, label) for code, label in named if code in user.branches]


async def choose_branch_page(request: Request, user: User, api: ApiClient) -> Response:
    return render(
        request,
        "coordinator/choose_branch.html",
        choices=await branch_choices(user, api),
        **page_helpers(),
    )


async def place_or_code(api: ApiClient, service: str, path: str, code: str) -> dict[str, Any]:
    """A branch as a service describes it (at least its ``name`` and ``address``); its code
    alone when the service does not know it. An expired session still signs the person out."""
    try:
        found: dict[str, Any] = await api.get(service, path)
    except ApiError as error:
        if error.status == 401:
            raise
        return {"code": code, "name": code, "address": None}
    return found


async def branch_place(api: ApiClient, code: str) -> dict[str, Any]:
    """The branch as people know it (its name and address, from registry) for the pages'
    heading; its code alone when registry does not tell."""
    found = await place_or_code(api, "registry", f"/v1/branches/{code}", code)
    return {"code": code, "name": found["name"], "address": found["address"]}
