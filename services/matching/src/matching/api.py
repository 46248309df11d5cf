"""Matching's HTTP API: thin routes that authorize and call a use case."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from matching import handlers
from shared.auth import Principal, require_roles
from shared.problems import Problem
from shared.service import Service, get_service

router = APIRouter(prefix="/v1", tags=["volunteers"])


class VolunteerView(BaseModel):
    id: uuid.UUID
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    birth_date: date | None
    districts: list[str]
    skills: list[str]
    interests: list[str]
    languages: list[str]
    availability: list[dict[str, Any]]
    consent_email: bool
    consent_sms: bool
    guardian: dict[str, Any] | None
    registered_at: datetime
    erased_at: datetime | None


@router.get("/volunteers/{volunteer_id}", response_model=VolunteerView)
async def read_volunteer(
    volunteer_id: uuid.UUID,
    service: Annotated[Service, Depends(get_service)],
    _: Annotated[Principal, Depends(require_roles())],
) -> Any:
    """A volunteer's profile, for the city office (branch-scoped access comes with tasks)."""
    async with service.unit_of_work() as uow:
        volunteer = await handlers.get_volunteer(uow, volunteer_id)
    if volunteer is None:
        raise Problem(404, "Volunteer not found", f"no volunteer with id {volunteer_id}")
    return VolunteerView.model_validate(volunteer, from_attributes=True)
