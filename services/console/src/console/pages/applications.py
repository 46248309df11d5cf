"""Branches apply to an edition: the city office's call, the edition's budget (granted per
branch, spent by the accepted annual reports) and its review of the applications
(/miasto/edycje/{id}/nabor, /miasto/wnioski), and a coordinator's application for their
branch (/koordynator/wniosek).

Registry owns the call, the applications and the budget; its refusals (an application
outside the call's dates, a second one, funding over the budget) are told here in Polish,
and change nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from console.api import ApiClient, ApiError
from console.i18n import N_, WARSAW, local_date, money
from console.pages._common import CSRF, Api, field, fields, flash_refusal
from console.pages.coordinator._common import (
    TASK_TYPES,
    Coordinator,
    branch_place,
    choose_branch_page,
    chosen_branch,
)
from console.web import User, flash, language, redirect, render, require_role

router = APIRouter()

CityOffice = Annotated[User, Depends(require_role("city_admin"))]

APPLICATION_STATUSES = {
    "submitted": N_("czeka na decyzję"),
    "changes_requested": N_("do poprawy"),
    "accepted": N_("przyjęty"),
    "rejected": N_("odrzucony"),
}
REPORT_STATUSES = {
    "draft": N_("szkic"),
    "submitted": N_("złożone"),
    "accepted": N_("przyjęte"),
}
# Registry's refusals by their title, as a person in the office or the library reads them.
REFUSALS = {
    "Outside the call's dates": N_(
        "Wniosek można złożyć tylko w terminie naboru ({opens} – {closes})."
    ),
    "Already applied": N_("Ten oddział złożył już wniosek do tej edycji."),
    "Already enrolled": N_("Ten oddział jest już zapisany do tej edycji."),
    "Budget exceeded": N_(
        "Kwota przekracza budżet edycji: zostało {left} z {budget}. Nic nie zmieniono."
    ),
    "Budget below what was granted": N_(
        "Budżet nie może być mniejszy niż przyznane już dofinansowanie ({granted})."
    ),
    "Not awaiting a decision": N_("Ten wniosek nie czeka teraz na decyzję."),
    "Not your branch": N_(
        "Oddział {code} nie jest jednym z Twoich oddziałów: wniosek może złożyć tylko jego"
        " koordynator albo dyrekcja jego biblioteki. Nic nie zmieniono."
    ),
    "Already decided": N_("O tym wniosku już zdecydowano; nie można go zmienić."),
}
# The city office's three answers: the form's choice, registry's verb, the field sent and
# the two messages.
DECISIONS = {
    "przyjecie": (
        "accept",
        "funding_pln",
        N_("Wniosek przyjęty: oddział {code} zapisany do edycji."),
        N_("Nie przyjęto wniosku."),
    ),
    "odrzucenie": (
        "reject",
        "reason",
        N_("Wniosek oddziału {code} odrzucony."),
        N_("Nie odrzucono wniosku."),
    ),
    "poprawki": (
        "request-changes",
        "changes",
        N_("Oddział {code} poproszony o poprawki."),
        N_("Nie wysłano prośby o poprawki."),
    ),
}


def page_helpers() -> dict[str, Any]:
    return {
        "application_statuses": APPLICATION_STATUSES,
        "report_statuses": REPORT_STATUSES,
        "task_types": TASK_TYPES,
    }


def today() -> str:
    return datetime.now(WARSAW).date().isoformat()


async def call_of(api: ApiClient, edition_id: str) -> dict[str, Any] | None:
    """The edition's call, or None when it has none yet."""
    try:
        found: dict[str, Any] = await api.get("registry", f"/v1/editions/{edition_id}/call")
    except ApiError as error:
        if error.status != 404:
            raise
        return None
    return found


async def attempt_in_polish(
    request: Request,
    api: ApiClient,
    call: Awaitable[Any],
    *,
    edition_id: str | None,
    done: str,
    failed: str,
    **values: Any,
) -> Any | None:
    """Run one call: a success message, or registry's refusal as a Polish sentence that
    says what to do (with the call's dates or what is left of the budget)."""
    try:
        result = await call
    except ApiError as error:
        if error.status == 401:
            raise
        text = REFUSALS.get(error.title) if error.status in (404, 409) else None
        if text is None:
            flash_refusal(request, error, failed)
            return None
        terms = (await call_of(api, edition_id) if edition_id else None) or {}
        lang = language(request)
        said = {
            **values,
            "opens": local_date(lang, terms.get("opens_on")),
            "closes": local_date(lang, terms.get("closes_on")),
            "left": money(lang, terms.get("left_pln")),
            "budget": money(lang, terms.get("budget_pln")),
            "granted": money(lang, terms.get("granted_pln")),
        }
        flash(request, text, kind="error", **said)
        return None
    flash(request, done, kind="success", **values)
    return result


# -- the city office: the call and the review ------------------------------------------------


@router.get("/miasto/edycje/{edition_id}/nabor")
async def call_page(
    request: Request, edition_id: uuid.UUID, user: CityOffice, api: Api
) -> Response:
    edition, terms, found, budget, figures, districts = await asyncio.gather(
        api.get("registry", f"/v1/editions/{edition_id}"),
        call_of(api, str(edition_id)),
        api.get("registry", "/v1/applications", params={"edition": str(edition_id)}),
        api.get("registry", f"/v1/editions/{edition_id}/budget"),
        api.get("reporting", "/v1/reports/applications", params={"edition_id": str(edition_id)}),
        api.get("registry", "/v1/districts"),
    )
    return render(
        request,
        "city/call.html",
        edition=edition,
        call=terms,
        applications=found,
        budget=budget,
        by_district=figures["editions"][0] if figures["editions"] else None,
        district_names={d["slug"]: d["name"] for d in districts},
        **page_helpers(),
    )


@router.post("/miasto/edycje/{edition_id}/nabor", dependencies=CSRF)
async def announce_call(
    request: Request, edition_id: uuid.UUID, user: CityOffice, api: Api
) -> Response:
    form = await request.form()
    body = fields(form, "opens_on", "closes_on", "criteria")
    body["budget_pln"] = (field(form, "budget_pln") or "").replace(",", ".").replace(" ", "")
    await attempt_in_polish(
        request,
        api,
        api.put("registry", f"/v1/editions/{edition_id}/call", json=body),
        edition_id=str(edition_id),
        done=N_("Nabór ogłoszony: oddziały mogą składać wnioski od {opens} do {closes}."),
        failed=N_("Nie ogłoszono naboru."),
        opens=local_date(language(request), body["opens_on"]),
        closes=local_date(language(request), body["closes_on"]),
    )
    return redirect(f"/miasto/edycje/{edition_id}/nabor")


@router.get("/miasto/wnioski")
async def applications_page(request: Request, user: CityOffice, api: Api) -> Response:
    found = await api.get("registry", "/v1/applications")
    waiting = [item for item in found if item["status"] == "submitted"]
    return render(
        request,
        "city/applications.html",
        waiting=waiting,
        others=[item for item in found if item["status"] != "submitted"],
        **page_helpers(),
    )


@router.get("/miasto/wnioski/{application_id}")
async def application_page(
    request: Request, application_id: uuid.UUID, user: CityOffice, api: Api
) -> Response:
    application = await api.get("registry", f"/v1/applications/{application_id}")
    terms = await call_of(api, application["edition_id"])
    return render(
        request,
        "city/application.html",
        application=application,
        call=terms,
        **page_helpers(),
    )


@router.post("/miasto/wnioski/{application_id}/{decision}", dependencies=CSRF)
async def decide(
    request: Request, application_id: uuid.UUID, decision: str, user: CityOffice, api: Api
) -> Response:
    """Accept with funding, reject with a reason, or ask for changes; an unknown choice
    changes nothing."""
    form = await request.form()
    target = f"/miasto/wnioski/{application_id}"
    if decision not in DECISIONS:
        return redirect(target)
    verb, name, done, failed = DECISIONS[decision]
    value = field(form, name)
    if name == "funding_pln" and value:
        value = value.replace(",", ".").replace(" ", "")
    await attempt_in_polish(
        request,
        api,
        api.post("registry", f"/v1/applications/{application_id}/{verb}", json={name: value}),
        edition_id=field(form, "edycja"),
        done=done,
        failed=failed,
        code=field(form, "oddzial") or "",
    )
    return redirect(target)


# -- a coordinator's application for their branch ---------------------------------------------


@router.get("/koordynator/wniosek")
async def coordinator_application(request: Request, user: Coordinator, api: Api) -> Response:
    branch = chosen_branch(request, user)
    if branch is None:
        return await choose_branch_page(request, user, api)
    # A call may run before its edition opens: planned and open editions both count.
    found, own = await asyncio.gather(
        api.get("registry", "/v1/editions", params={"limit": 50}),
        api.get("registry", "/v1/applications", params={"branch": branch}),
    )
    current_editions = [e for e in found["items"] if e["status"] != "closed"]
    terms = await asyncio.gather(*(call_of(api, e["id"]) for e in current_editions))
    by_edition = {item["edition_id"]: item for item in own}
    calls = [
        {"edition": edition, "call": call, "application": by_edition.get(edition["id"])}
        for edition, call in zip(current_editions, terms, strict=True)
        if call is not None
    ]
    current = {item["edition"]["id"] for item in calls}
    return render(
        request,
        "coordinator/application.html",
        branch=branch,
        place=await branch_place(api, branch),
        calls=calls,
        earlier=[item for item in own if item["edition_id"] not in current],
        today=today(),
        **page_helpers(),
    )


def draft_of(form: Any) -> dict[str, Any]:
    return {
        **fields(form, "motivation", "team"),
        "task_types": [value for value in form.getlist("task_types") if value in TASK_TYPES],
    }


@router.post("/koordynator/wniosek/{edition_id}", dependencies=CSRF)
async def apply(request: Request, edition_id: uuid.UUID, user: Coordinator, api: Api) -> Response:
    branch = chosen_branch(request, user)
    if branch is None:
        return redirect("/koordynator/wniosek")
    return await apply_and_return(request, api, edition_id, branch, back="/koordynator/wniosek")


async def apply_and_return(
    request: Request, api: ApiClient, edition_id: uuid.UUID, branch: str | None, *, back: str
) -> Response:
    """Apply for ``branch`` with the posted draft; registry's refusal told in Polish."""
    form = await request.form()
    await attempt_in_polish(
        request,
        api,
        api.post(
            "registry",
            f"/v1/editions/{edition_id}/applications",
            json={"branch_code": branch, **draft_of(form)},
        ),
        edition_id=str(edition_id),
        done=N_("Wniosek oddziału {code} złożony. Urząd miasta odpowie na tej stronie."),
        failed=N_("Nie złożono wniosku."),
        code=branch or "",
    )
    return redirect(back)


@router.post("/koordynator/wnioski/{application_id}", dependencies=CSRF)
async def amend(
    request: Request, application_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    return await amend_and_return(request, api, application_id, back="/koordynator/wniosek")


async def amend_and_return(
    request: Request, api: ApiClient, application_id: uuid.UUID, *, back: str
) -> Response:
    """Change an application before the decision (one sent back is submitted again)."""
    form = await request.form()
    await attempt_in_polish(
        request,
        api,
        api.put("registry", f"/v1/applications/{application_id}", json=draft_of(form)),
        edition_id=field(form, "edycja"),
        done=N_("Zmiany we wniosku zapisane; wniosek czeka na decyzję urzędu."),
        failed=N_("Nie zapisano zmian we wniosku."),
    )
    return redirect(back)
