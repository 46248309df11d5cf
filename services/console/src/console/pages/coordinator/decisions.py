"""A row's decision on a task's page or the dashboard: an application accepted or rejected,
a shift done, missed or cancelled, logged hours approved or rejected."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.api import ApiClient
from console.i18n import N_
from console.pages._common import CSRF, Api, attempt
from console.pages.coordinator._common import Coordinator, back_to
from console.web import (
    redirect,
)

router = APIRouter()

# -- applications, waitlist, assignments, hours ----------------------------------------------


# Each row button posts its choice; the value is the service's verb and the two messages.
APPLICATION_DECISIONS = {
    "akceptacja": ("accept", N_("Zgłoszenie przyjęte."), N_("Nie przyjęto zgłoszenia.")),
    "odrzucenie": ("reject", N_("Zgłoszenie odrzucone."), N_("Nie odrzucono zgłoszenia.")),
}
ASSIGNMENT_OUTCOMES = {
    "wykonany": ("complete", N_("Dyżur oznaczony jako wykonany."), N_("Nie zmieniono dyżuru.")),
    "nieobecnosc": ("no-show", N_("Zapisano nieobecność."), N_("Nie zmieniono dyżuru.")),
    "odwolanie": (
        "cancel",
        N_("Dyżur odwołany; miejsce dostaje osoba z listy rezerwowej."),
        N_("Nie zmieniono dyżuru."),
    ),
}
HOURS_DECISIONS = {
    "zatwierdzenie": ("approve", N_("Godziny zatwierdzone."), N_("Nie zmieniono wpisu godzin.")),
    "odrzucenie": ("reject", N_("Godziny odrzucone."), N_("Nie zmieniono wpisu godzin.")),
}


async def row_action(
    request: Request,
    api: ApiClient,
    resource: str,
    choice: str,
    actions: Mapping[str, tuple[str, str, str]],
) -> Response:
    """Post the chosen verb to matching's ``resource``, then back to the page the row is on;
    an unknown choice changes nothing."""
    form = await request.form()
    if choice in actions:
        action, done, failed = actions[choice]
        await attempt(
            request, api.post("matching", f"{resource}/{action}"), done=done, failed=failed
        )
    return redirect(back_to(form, "/koordynator"))


@router.post("/koordynator/zgloszenia/{application_id}/{decision}", dependencies=CSRF)
async def decide_application(
    request: Request, application_id: uuid.UUID, decision: str, user: Coordinator, api: Api
) -> Response:
    resource = f"/v1/applications/{application_id}"
    return await row_action(request, api, resource, decision, APPLICATION_DECISIONS)


@router.post("/koordynator/przydzialy/{assignment_id}/{outcome}", dependencies=CSRF)
async def finish_assignment(
    request: Request, assignment_id: uuid.UUID, outcome: str, user: Coordinator, api: Api
) -> Response:
    resource = f"/v1/assignments/{assignment_id}"
    return await row_action(request, api, resource, outcome, ASSIGNMENT_OUTCOMES)


@router.post("/koordynator/godziny/{entry_id}/{decision}", dependencies=CSRF)
async def decide_hours(
    request: Request, entry_id: uuid.UUID, decision: str, user: Coordinator, api: Api
) -> Response:
    return await row_action(request, api, f"/v1/hours/{entry_id}", decision, HOURS_DECISIONS)
