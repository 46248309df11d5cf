"""One agreement of the branch (/koordynator/porozumienia/<id>): its PDF to print, the
signed copy sent back; and the references (opinie) volunteers asked for, written here."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.i18n import N_
from console.pages._common import CSRF, Api, attempt, field
from console.pages._documents import UPLOAD_FIELD, send_signed_copy
from console.pages.coordinator._common import (
    Coordinator,
    branch_place,
    choose_branch_page,
    chosen_branch,
    page_helpers,
)
from console.web import redirect, render

router = APIRouter()

AGREEMENTS = "/koordynator/porozumienia"
REFERENCES = "/koordynator/opinie"


@router.get("/koordynator/porozumienia/{agreement_id}")
async def agreement_page(
    request: Request, agreement_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    agreement = await api.get("matching", f"/v1/agreements/{agreement_id}")
    return render(
        request,
        "coordinator/agreement.html",
        agreement=agreement,
        branch=agreement["branch_code"],
        place=await branch_place(api, agreement["branch_code"]),
        upload_field=UPLOAD_FIELD,
        **page_helpers(),
    )


@router.get("/koordynator/porozumienia/{agreement_id}/porozumienie.pdf")
async def agreement_pdf(agreement_id: uuid.UUID, user: Coordinator, api: Api) -> Response:
    return await api.download("matching", f"/v1/agreements/{agreement_id}/pdf")


@router.get("/koordynator/porozumienia/{agreement_id}/podpisane.pdf")
async def signed_copy(agreement_id: uuid.UUID, user: Coordinator, api: Api) -> Response:
    return await api.download("matching", f"/v1/agreements/{agreement_id}/signed-copy")


@router.post("/koordynator/porozumienia/{agreement_id}/podpisane", dependencies=CSRF)
async def upload_signed_copy(
    request: Request, agreement_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    await send_signed_copy(request, api, str(agreement_id))
    return redirect(f"{AGREEMENTS}/{agreement_id}")


# -- references (opinie) ----------------------------------------------------------------------


@router.get(REFERENCES)
async def references(request: Request, user: Coordinator, api: Api) -> Response:
    branch = chosen_branch(request, user)
    if branch is None:
        return await choose_branch_page(request, user, api)
    found = await api.get(
        "matching", "/v1/references", params={"branch_code": branch, "limit": 200}
    )
    agreements = await api.get(
        "matching", "/v1/agreements", params={"branch_code": branch, "limit": 500}
    )
    by_id = {item["id"]: item for item in agreements}
    return render(
        request,
        "coordinator/references.html",
        branch=branch,
        place=await branch_place(api, branch),
        waiting=[item for item in found if not item["written_at"]],
        written=[item for item in found if item["written_at"]],
        agreements=by_id,
        **page_helpers(),
    )


@router.post(REFERENCES + "/{reference_id}", dependencies=CSRF)
async def write_reference(
    request: Request, reference_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    text = field(await request.form(), "text")
    await attempt(
        request,
        api.put("matching", f"/v1/references/{reference_id}/text", json={"text": text or ""}),
        done=N_("Opinia gotowa: wolontariusz może ją pobrać."),
        failed=N_("Nie zapisano opinii. Opinia ma od 20 do 5000 znaków."),
    )
    return redirect(REFERENCES)


@router.get(REFERENCES + "/{reference_id}/opinia.pdf")
async def reference_pdf(reference_id: uuid.UUID, user: Coordinator, api: Api) -> Response:
    return await api.download("matching", f"/v1/references/{reference_id}/pdf")
