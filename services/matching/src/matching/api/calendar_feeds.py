"""The personal iCal feed of a volunteer's confirmed shifts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response
from pydantic import BaseModel

from matching import feeds
from matching.api.common import volunteer_id_of
from shared.auth import Principal, require_roles
from shared.service import Service, get_service

router = APIRouter()


class FeedLink(BaseModel):
    url: str


@router.post("/me/calendar-feed", response_model=FeedLink, status_code=201, tags=["calendar"])
async def create_calendar_feed(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    """A new unguessable link to the volunteer's confirmed shifts (the old one stops working)."""
    volunteer_id = volunteer_id_of(principal)
    async with service.unit_of_work() as uow:
        token = await feeds.create_feed(uow, volunteer_id)
    return FeedLink(url=f"/v1/calendar-feeds/{token}.ics")


@router.get("/calendar-feeds/{token}.ics", tags=["calendar"])
async def calendar_feed(
    token: Annotated[str, Path(min_length=20, max_length=100)],
    service: Annotated[Service, Depends(get_service)],
) -> Response:
    """No login: the link itself is the secret (only its digest is stored)."""
    async with service.unit_of_work() as uow:
        body = await feeds.render_feed(uow, token)
    return Response(body, media_type="text/calendar; charset=utf-8")
