"""My data: everything matching holds about the volunteer who asks, as JSON and as a PDF,
and their request for erasure (the portal's erasure path)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from matching import volunteer_data
from matching.api.common import volunteer_id_of
from shared.auth import Principal, require_roles
from shared.service import Service, get_service
from shared.validation import CleanInput

router = APIRouter(tags=["volunteers"])


class ErasureRequest(CleanInput):
    model_config = ConfigDict(extra="forbid")

    confirm: Literal[True]


class ErasureView(BaseModel):
    erased_at: datetime


@router.get("/me/data", response_class=JSONResponse)
async def my_data(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Response:
    """Every record matching holds about the volunteer, by section, as a file to keep."""
    async with service.unit_of_work() as uow:
        data = await volunteer_data.collect(uow, volunteer_id_of(principal))
    return JSONResponse(
        data,
        headers={"content-disposition": 'attachment; filename="moje-dane.json"'},
    )


@router.get("/me/data.pdf", response_class=Response)
async def my_data_pdf(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Response:
    """The same as a readable PDF (headings in Polish and English)."""
    async with service.unit_of_work() as uow:
        data = await volunteer_data.collect(uow, volunteer_id_of(principal))
    pdf = await asyncio.to_thread(volunteer_data.render_pdf, data)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"content-disposition": 'attachment; filename="moje-dane.pdf"'},
    )


def _volunteer_asking(
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> uuid.UUID:
    """As a dependency, so that anyone but a volunteer is refused before the body is read."""
    return volunteer_id_of(principal)


@router.post("/me/erasure", response_model=ErasureView, status_code=202)
async def request_my_erasure(
    body: ErasureRequest,
    service: Annotated[Service, Depends(get_service)],
    volunteer_id: Annotated[uuid.UUID, Depends(_volunteer_asking)],
) -> Any:
    """The volunteer asks to be forgotten (``confirm: true``): matching erases them at once,
    as for the portal's ``volunteer.erasure_requested``, and ``volunteer.erased`` carries
    it to every other service."""
    async with service.unit_of_work() as uow:
        erased_at = await volunteer_data.request_erasure(uow, volunteer_id)
    return ErasureView(erased_at=erased_at)
