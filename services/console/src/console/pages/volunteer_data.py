"""My data (/wolontariusz/moje-dane): everything the programme holds about me, to download as
JSON and as a readable PDF, and a request for erasure that takes the portal's path
(matching erases at once and tells every other service). The session ends with it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from console.api import ApiError
from console.i18n import N_
from console.pages._common import CSRF, Api, flash_refusal
from console.pages.volunteer import Volunteer
from console.web import flash, redirect, render
from shared.audit import audit

router = APIRouter(prefix="/wolontariusz")

HOME = "/wolontariusz/moje-dane"


@router.get("/moje-dane")
async def my_data_page(request: Request, user: Volunteer) -> Response:
    return render(request, "volunteer/data.html")


@router.get("/moje-dane.json")
async def my_data_json(user: Volunteer, api: Api) -> Response:
    return await api.download("matching", "/v1/me/data")


@router.get("/moje-dane.pdf")
async def my_data_pdf(user: Volunteer, api: Api) -> Response:
    return await api.download("matching", "/v1/me/data.pdf")


@router.post("/moje-dane/usuniecie", dependencies=CSRF)
async def request_erasure(
    request: Request,
    user: Volunteer,
    api: Api,
    confirm: Annotated[str | None, Form(max_length=3)] = None,
) -> Response:
    if confirm != "tak":
        flash(
            request,
            N_("Zaznacz, że rozumiesz skutki usunięcia danych, i wyślij prośbę jeszcze raz."),
            kind="error",
        )
        return redirect(HOME)
    try:
        await api.post("matching", "/v1/me/erasure", json={"confirm": True})
    except ApiError as error:
        if error.status == 401:
            raise
        flash_refusal(request, error, N_("Nie udało się usunąć danych."))
        return redirect(HOME)
    audit("erasure-requested", outcome="ok", subject=user.subject, method="volunteer-page")
    language = request.session.get("lang")
    request.session.clear()
    if language:
        request.session["lang"] = language
    return render(request, "volunteer/erased.html")
