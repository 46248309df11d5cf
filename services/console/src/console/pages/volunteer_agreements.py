"""A volunteer's agreements (/wolontariusz/porozumienia): each agreement's PDF to print and
sign, the signed copy sent back, and a reference (opinia) asked for and downloaded."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.api import ApiClient, ApiError
from console.i18n import N_
from console.pages._common import CSRF, Api
from console.pages._documents import UPLOAD_FIELD, send_signed_copy
from console.pages.coordinator._common import place_or_code
from console.pages.volunteer import Volunteer
from console.web import flash, flash_api_error, redirect, render

router = APIRouter(prefix="/wolontariusz/porozumienia")

HOME = "/wolontariusz/porozumienia"


async def _places(api: ApiClient, codes: set[str]) -> dict[str, dict[str, Any]]:
    """The branches by code, with their names, addresses and opening hours (a code alone
    when unknown)."""
    found = await asyncio.gather(
        *(
            place_or_code(api, "matching", f"/v1/branches/{code}/place", code)
            for code in sorted(codes)
        )
    )
    return {code: place for code, place in zip(sorted(codes), found, strict=True)}


@router.get("")
async def agreements(request: Request, user: Volunteer, api: Api) -> Response:
    mine, references = await asyncio.gather(
        api.get("matching", "/v1/agreements", params={"limit": 100}),
        api.get("matching", "/v1/references", params={"limit": 100}),
    )
    latest: dict[str, dict[str, Any]] = {}
    for reference in references:  # oldest first: the newest request of each agreement wins
        latest[reference["agreement_id"]] = reference
    return render(
        request,
        "volunteer/agreements.html",
        agreements=mine,
        references=latest,
        places=await _places(api, {item["branch_code"] for item in mine}),
        upload_field=UPLOAD_FIELD,
    )


@router.get("/{agreement_id}/porozumienie.pdf")
async def agreement_pdf(agreement_id: uuid.UUID, user: Volunteer, api: Api) -> Response:
    return await api.download("matching", f"/v1/agreements/{agreement_id}/pdf")


@router.get("/{agreement_id}/podpisane.pdf")
async def signed_copy(agreement_id: uuid.UUID, user: Volunteer, api: Api) -> Response:
    return await api.download("matching", f"/v1/agreements/{agreement_id}/signed-copy")


@router.post("/{agreement_id}/podpisane", dependencies=CSRF)
async def upload_signed_copy(
    request: Request, agreement_id: uuid.UUID, user: Volunteer, api: Api
) -> Response:
    await send_signed_copy(request, api, str(agreement_id))
    return redirect(f"{HOME}#porozumienie-{agreement_id}")


@router.post("/{agreement_id}/opinia", dependencies=CSRF)
async def ask_for_reference(
    request: Request, agreement_id: uuid.UUID, user: Volunteer, api: Api
) -> Response:
    try:
        await api.post("matching", f"/v1/agreements/{agreement_id}/reference-request")
    except ApiError as error:
        if error.status == 401:
            raise
        flash_api_error(request, error, N_("Nie udało się poprosić o opinię."))
    else:
        flash(
            request,
            N_("Poprosiliśmy koordynatora o opinię. Gdy ją napisze, pobierzesz ją tutaj."),
            kind="success",
        )
    return redirect(f"{HOME}#porozumienie-{agreement_id}")


@router.get("/opinie/{reference_id}/opinia.pdf")
async def reference_pdf(reference_id: uuid.UUID, user: Volunteer, api: Api) -> Response:
    return await api.download("matching", f"/v1/references/{reference_id}/pdf")
