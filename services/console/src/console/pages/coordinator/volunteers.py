"""The branch's volunteers: agreements, one volunteer's page, certificates and the
child-protection check."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.api import ApiError
from console.i18n import N_, WARSAW
from console.pages._common import CSRF, Api, attempt, fields
from console.pages.coordinator._common import (
    Coordinator,
    branch_place,
    choose_branch_page,
    chosen_branch,
    page_helpers,
)
from console.web import (
    redirect,
    render,
)

router = APIRouter()

# -- volunteers: agreements, certificates, checks ---------------------------------------------


@router.get("/koordynator/porozumienia")
async def agreements(request: Request, user: Coordinator, api: Api) -> Response:
    branch = chosen_branch(request, user)
    if branch is None:
        return await choose_branch_page(request, user, api)
    found = await api.get(
        "matching", "/v1/agreements", params={"branch_code": branch, "limit": 200}
    )
    return render(
        request,
        "coordinator/agreements.html",
        branch=branch,
        place=await branch_place(api, branch),
        agreements=found,
        **page_helpers(),
    )


@router.get("/koordynator/wolontariusze/{volunteer_id}")
async def volunteer_page(
    request: Request, volunteer_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    branch = chosen_branch(request, user)
    if branch is None:
        return await choose_branch_page(request, user, api)
    found = await api.get(
        "matching",
        "/v1/agreements",
        params={"branch_code": branch, "volunteer_id": str(volunteer_id), "limit": 50},
    )
    profile = None
    try:
        profile = await api.get("matching", f"/v1/volunteers/{volunteer_id}")
    except ApiError as error:
        if error.status not in (403, 404):
            raise
    certificate = request.query_params.get("zaswiadczenie")
    return render(
        request,
        "coordinator/volunteer.html",
        branch=branch,
        place=await branch_place(api, branch),
        volunteer_id=str(volunteer_id),
        agreements=found,
        profile=profile,
        certificate=certificate if certificate and _is_uuid(certificate) else None,
        today=datetime.now(WARSAW).date().isoformat(),
        **page_helpers(),
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@router.post("/koordynator/wolontariusze/{volunteer_id}/porozumienie", dependencies=CSRF)
async def conclude_agreement(
    request: Request, volunteer_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    branch = chosen_branch(request, user)
    form = await request.form()
    body = {
        "volunteer_id": str(volunteer_id),
        "branch_code": branch,
        **fields(form, "scope", "starts_on", "ends_on", "working_hours", "reimbursed_costs"),
    }
    await attempt(
        request,
        api.post("matching", "/v1/agreements", json=body),
        done=N_("Porozumienie zawarte."),
        failed=N_("Nie zapisano porozumienia."),
    )
    return redirect(f"/koordynator/wolontariusze/{volunteer_id}")


@router.post("/koordynator/wolontariusze/{volunteer_id}/zaswiadczenie", dependencies=CSRF)
async def issue_certificate(
    request: Request, volunteer_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    branch = chosen_branch(request, user)
    certificate = await attempt(
        request,
        api.post(
            "matching",
            "/v1/certificates",
            json={"branch_code": branch, "volunteer_id": str(volunteer_id)},
        ),
        done=N_("Zaświadczenie wystawione."),
        failed=N_("Nie wystawiono zaświadczenia."),
    )
    target = f"/koordynator/wolontariusze/{volunteer_id}"
    if certificate is not None:
        target += f"?zaswiadczenie={certificate['id']}"
    return redirect(target)


@router.get("/koordynator/zaswiadczenia/{certificate_id}.pdf")
async def certificate_pdf(
    request: Request, certificate_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    """The PDF streamed from matching (the browser never calls the service itself)."""
    return await api.stream("matching", f"/v1/certificates/{certificate_id}/pdf")


@router.post("/koordynator/wolontariusze/{volunteer_id}/weryfikacja", dependencies=CSRF)
async def record_check(
    request: Request, volunteer_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    body = fields(await request.form(), "register_checked_on", "criminal_record_on")
    body["branch_code"] = chosen_branch(request, user)  # the check is recorded for it
    await attempt(
        request,
        api.put("matching", f"/v1/volunteers/{volunteer_id}/child-protection-check", json=body),
        done=N_("Zapisano weryfikację: rejestr sprawdzony {register}, zaświadczenie z {record}."),
        failed=N_("Nie zapisano weryfikacji."),
        register=body["register_checked_on"] or "",
        record=body["criminal_record_on"] or "",
    )
    return redirect(f"/koordynator/wolontariusze/{volunteer_id}")
