"""Open tasks for a volunteer (/wolontariusz/zadania): filters, the reasons a task is not for
them (never hidden), a task's page with where, when, what to bring and whom to ask for, and
applying and withdrawing with the application's state (a waitlist with the position)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from console.api import ApiError
from console.i18n import N_
from console.pages._common import CSRF, Api, attempt
from console.pages.coordinator._common import TASK_TYPES
from console.pages.volunteer import APPLICATION_STATES, Volunteer
from console.pages.volunteer_shifts import DAYS
from console.web import redirect, render
from shared.reference import warsaw_districts

router = APIRouter(prefix="/wolontariusz")

HOME = "/wolontariusz/zadania"

REASONS = {
    "age": N_("Zadanie jest dla osób starszych: minimalny wiek to {min_age} lat."),
    "child_protection": N_(
        "Praca z dziećmi wymaga weryfikacji w rejestrze i zaświadczenia o niekaralności, "
        "które zapisuje biblioteka. Zgłosić się możesz; miejsce dostaniesz po weryfikacji."
    ),
    "clash": N_("Ten termin pokrywa się z innym Twoim dyżurem."),
}
LANGUAGE_NAMES = {
    "pl": N_("polski"),
    "en": N_("angielski"),
    "uk": N_("ukraiński"),
    "ru": N_("rosyjski"),
    "de": N_("niemiecki"),
    "es": N_("hiszpański"),
    "fr": N_("francuski"),
    "be": N_("białoruski"),
}
FILTERS = ("district", "from", "to", "type", "skill", "language")


def helpers() -> dict[str, Any]:
    return {
        "reasons": REASONS,
        "application_states": APPLICATION_STATES,
        "task_types": TASK_TYPES,
        "languages": LANGUAGE_NAMES,
        "districts": {slug: item.name for slug, item in warsaw_districts().items()},
        "days": DAYS,
    }


@router.get("/zadania")
async def open_tasks(
    request: Request,
    user: Volunteer,
    api: Api,
    district: Annotated[str | None, Query(max_length=64)] = None,
    from_day: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    to_day: Annotated[str | None, Query(alias="to", max_length=10)] = None,
    type: Annotated[str | None, Query(max_length=32)] = None,
    skill: Annotated[str | None, Query(max_length=100)] = None,
    language: Annotated[str | None, Query(max_length=2)] = None,
) -> Response:
    """The filter form goes by GET: a filtered list is a link to share or bookmark."""
    chosen = {
        "district": district,
        "from": from_day,
        "to": to_day,
        "type": type,
        "skill": skill,
        "language": language,
    }
    params = {key: value.strip() for key, value in chosen.items() if value and value.strip()}
    tasks: list[dict[str, Any]] = []
    refusal: str | None = None
    try:
        tasks = await api.get("matching", "/v1/me/open-tasks", params={**params, "limit": 100})
    except ApiError as error:
        if error.status != 422:
            raise
        refusal = N_(
            "Sprawdź filtry: data „do” nie może być wcześniejsza niż „od”, a daty "
            "mają format RRRR-MM-DD."
        )
    return render(
        request,
        "volunteer/tasks.html",
        tasks=tasks,
        chosen={key: chosen[key] or "" for key in FILTERS},
        refusal=refusal,
        **helpers(),
    )


@router.get("/zadania/{task_id}")
async def task_page(request: Request, task_id: uuid.UUID, user: Volunteer, api: Api) -> Response:
    try:
        task = await api.get("matching", f"/v1/me/open-tasks/{task_id}")
    except ApiError as error:
        if error.status != 404:
            raise
        return render(request, "volunteer/task_missing.html", status_code=404)
    return render(request, "volunteer/task.html", task=task, **helpers())


@router.post("/zadania/{task_id}/zgloszenie", dependencies=CSRF)
async def apply(request: Request, task_id: uuid.UUID, user: Volunteer, api: Api) -> Response:
    await attempt(
        request,
        api.post("matching", f"/v1/tasks/{task_id}/applications"),
        done=N_("Zgłoszenie wysłane. Koordynator odpowie wkrótce."),
        failed=N_("Nie udało się wysłać zgłoszenia."),
    )
    return redirect(f"{HOME}/{task_id}")


@router.post("/zgloszenia/{application_id}/wycofanie", dependencies=CSRF)
async def withdraw(
    request: Request, application_id: uuid.UUID, user: Volunteer, api: Api
) -> Response:
    """Withdraw my application; an accepted one gives up the place (the next person waiting
    gets it). Back to the task's page when the form names it, else to my applications."""
    form = await request.form()
    task_id = form.get("task_id")
    await attempt(
        request,
        api.post("matching", f"/v1/applications/{application_id}/withdraw"),
        done=N_("Zgłoszenie wycofane."),
        failed=N_("Nie udało się wycofać zgłoszenia."),
    )
    try:
        back = f"{HOME}/{uuid.UUID(str(task_id))}"
    except ValueError:
        back = "/wolontariusz#zgloszenia"
    return redirect(back)
