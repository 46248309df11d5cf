"""A volunteer's settings (/wolontariusz/ustawienia): how long before a shift the reminder
comes (notifications' preference), the channels they consent to and the language of their
messages (matching's, which tells notifications). The page then speaks the chosen language."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from console.api import ApiError
from console.i18n import N_
from console.pages._common import CSRF, Api, attempt, flash_refusal
from console.pages.volunteer import Volunteer
from console.web import flash, redirect, render

router = APIRouter(prefix="/wolontariusz/ustawienia")

HOME = "/wolontariusz/ustawienia"
LEAD_TIMES = {
    2: N_("2 godziny przed dyżurem"),
    6: N_("6 godzin przed dyżurem"),
    12: N_("12 godzin przed dyżurem"),
    24: N_("dzień przed dyżurem"),
    48: N_("dwa dni przed dyżurem"),
    72: N_("trzy dni przed dyżurem"),
}
MESSAGE_LANGUAGES = {"pl": N_("polski"), "en": N_("angielski")}


@router.get("")
async def settings_page(request: Request, user: Volunteer, api: Api) -> Response:
    reminders, choices = await asyncio.gather(
        api.get("notifications", "/v1/preferences"),
        api.get("matching", "/v1/me/preferences"),
    )
    lead = int(reminders["reminder_hours_before"])
    # A lead time set elsewhere stays selectable.
    lead_times = {**LEAD_TIMES, lead: LEAD_TIMES.get(lead, N_("{hours} godz. przed dyżurem"))}
    return render(
        request,
        "volunteer/settings.html",
        lead=lead,
        lead_times=dict(sorted(lead_times.items())),
        choices=choices,
        message_languages=MESSAGE_LANGUAGES,
    )


@router.post("", dependencies=CSRF)
async def save_settings(
    request: Request,
    user: Volunteer,
    api: Api,
    reminder_hours_before: Annotated[str, Form(max_length=4)],
    message_language: Annotated[str, Form(max_length=2)],
    consent_email: Annotated[str | None, Form(max_length=3)] = None,
    consent_sms: Annotated[str | None, Form(max_length=3)] = None,
) -> Response:
    if not reminder_hours_before.isdigit() or message_language not in MESSAGE_LANGUAGES:
        flash(request, N_("Wybierz czas przypomnienia i język z listy."), kind="error")
        return redirect(HOME)
    try:
        await api.put(
            "matching",
            "/v1/me/preferences",
            json={
                "consent_email": consent_email == "tak",
                "consent_sms": consent_sms == "tak",
                "message_language": message_language,
            },
        )
    except ApiError as error:
        if error.status == 401:
            raise
        flash_refusal(request, error, N_("Nie udało się zapisać kanałów i języka."))
        return redirect(HOME)
    request.session["lang"] = message_language
    await attempt(
        request,
        api.put(
            "notifications",
            "/v1/preferences",
            json={"reminder_hours_before": int(reminder_hours_before)},
        ),
        done=N_("Ustawienia zapisane."),
        failed=N_("Nie udało się zapisać czasu przypomnienia."),
    )
    return redirect(HOME)
