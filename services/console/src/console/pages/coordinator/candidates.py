"""A task's ranked candidates (/koordynator/zadania/{id}/kandydaci), with matching's
reasons in the page language, and proposals sent to them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.i18n import N_, translate
from console.pages._common import CSRF, Api, attempt, field
from console.pages.coordinator._common import Coordinator, number_or_text, page_helpers
from console.web import (
    language,
    redirect,
    render,
)
from shared.reference import district_name

router = APIRouter()

# Matching explains each rank as reasons with a code, points and values; these are their
# Polish sentences (translated for the page), by code.
REASONS = {
    "skills": N_("umiejętności: {values} ({points})"),
    "interests": N_("zainteresowania: {values} ({points})"),
    "languages": N_("języki: {values} ({points})"),
    "home_district": N_("mieszka w dzielnicy {district} ({points})"),
    "never_engaged": N_("jeszcze bez propozycji ({points})"),
    "last_engaged": N_("ostatnia propozycja lub przydział {days} dni temu ({points})"),
}


# ISO 639-1 codes (as the portal sends them) of the languages Warsaw's volunteers most
# often speak, named in Polish and in English; any other code shows as it is.
LANGUAGE_NAMES = {
    "pl": ("polski", "Polish"),
    "en": ("angielski", "English"),
    "uk": ("ukraiński", "Ukrainian"),
    "ru": ("rosyjski", "Russian"),
    "be": ("białoruski", "Belarusian"),
    "de": ("niemiecki", "German"),
    "fr": ("francuski", "French"),
    "es": ("hiszpański", "Spanish"),
    "it": ("włoski", "Italian"),
    "vi": ("wietnamski", "Vietnamese"),
}


def language_name(lang: str, code: str) -> str:
    """A language's name in the page language ("uk" → "ukraiński"); an unknown code as it is."""
    names = LANGUAGE_NAMES.get(code.lower())
    if names is None:
        return code
    return names[0] if lang == "pl" else names[1]


def reason_text(lang: str, reason: Mapping[str, Any], english: str | None = None) -> str:
    """One of matching's reasons in the page language. A code this console does not know
    shows as the service's English sentence ``english`` (else as the code and its data)."""
    values = [str(value) for value in reason.get("values") or []]
    if reason.get("code") == "languages":
        values = [language_name(lang, value) for value in values]
    points = f"+{reason.get('points', 0)}"
    text = REASONS.get(str(reason.get("code")))
    if text is None:
        return english or f"{reason.get('code')}: {', '.join(values)} ({points})"
    return translate(
        lang,
        text,
        values=", ".join(values),
        points=points,
        district=district_name(values[0]) if values else "",
        days=reason.get("days"),
    )


def candidate_reasons(lang: str, candidate: Mapping[str, Any]) -> list[str]:
    """Why a candidate ranks where they do, one sentence per reason, in the page language
    (the English sentences alone when the service sends no ``reason_details``)."""
    english = [str(sentence) for sentence in candidate.get("reasons") or []]
    details = candidate.get("reason_details")
    if details is None:
        return english
    return [
        reason_text(lang, reason, english[index] if index < len(english) else None)
        for index, reason in enumerate(details)
    ]


# -- ranked candidates and proposals ----------------------------------------------------------


@router.get("/koordynator/zadania/{task_id}/kandydaci")
async def candidates(request: Request, task_id: uuid.UUID, user: Coordinator, api: Api) -> Response:
    task, ranked = await asyncio.gather(
        api.get("matching", f"/v1/tasks/{task_id}"),
        api.get("matching", f"/v1/tasks/{task_id}/candidates", params={"limit": 20}),
    )
    lang = language(request)
    for candidate in ranked:
        candidate["reasons_read"] = candidate_reasons(lang, candidate)
    return render(
        request,
        "coordinator/candidates.html",
        task=task,
        candidates=ranked,
        **page_helpers(),
    )


@router.post("/koordynator/zadania/{task_id}/propozycje", dependencies=CSRF)
async def propose(request: Request, task_id: uuid.UUID, user: Coordinator, api: Api) -> Response:
    form = await request.form()
    body = {
        "volunteer_id": field(form, "volunteer_id"),
        "expires_in_hours": number_or_text(field(form, "expires_in_hours")) or 48,
    }
    await attempt(
        request,
        api.post("matching", f"/v1/tasks/{task_id}/proposals", json=body),
        done=N_("Propozycja wysłana do wolontariusza."),
        failed=N_("Nie wysłano propozycji."),
    )
    return redirect(f"/koordynator/zadania/{task_id}/kandydaci")
