"""A volunteer's profile: read by staff of a linked branch, or by the volunteer."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from matching import preferences, volunteer_access, volunteers
from matching.api.common import volunteer_id_of
from shared.auth import Principal, require_roles
from shared.problems import Problem
from shared.service import Service, get_service

router = APIRouter()


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
    principal: Annotated[Principal, Depends(require_roles("coordinator"))],
) -> Any:
    """A volunteer's profile: the city office, or a coordinator of a branch the volunteer is
    linked to (an application, proposal, assignment or agreement there); otherwise 404."""
    async with service.unit_of_work() as uow:
        volunteer = await volunteer_access.require_linked(uow, principal, volunteer_id)
    return VolunteerView.model_validate(volunteer, from_attributes=True)


@router.get("/me", response_model=VolunteerView)
async def read_my_profile(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    """The volunteer's own profile (their token's subject is their volunteer id)."""
    volunteer_id = volunteer_id_of(principal)
    async with service.unit_of_work() as uow:
        volunteer = await volunteers.get_volunteer(uow, volunteer_id)
    if volunteer is None or volunteer.erased_at is not None:
        raise Problem(404, "Volunteer not found", f"no volunteer with id {volunteer_id}")
    return VolunteerView.model_validate(volunteer, from_attributes=True)


class PreferencesView(BaseModel):
    consent_email: bool
    consent_sms: bool
    message_language: str
    has_email: bool
    has_phone: bool


def _preferences(volunteer: Any) -> PreferencesView:
    return PreferencesView(
        consent_email=volunteer.consent_email,
        consent_sms=volunteer.consent_sms,
        message_language=volunteers.message_language_of(volunteer),
        has_email=bool(volunteer.email),
        has_phone=bool(volunteer.phone),
    )


@router.get("/me/preferences", response_model=PreferencesView)
async def read_my_preferences(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    """The channels the volunteer consents to and the language of their messages."""
    volunteer_id = volunteer_id_of(principal)
    async with service.unit_of_work() as uow:
        volunteer = await volunteers.get_volunteer(uow, volunteer_id)
    if volunteer is None or volunteer.erased_at is not None:
        raise Problem(404, "Volunteer not found", f"no volunteer with id {volunteer_id}")
    return _preferences(volunteer)


@router.put("/me/preferences", response_model=PreferencesView)
async def change_my_preferences(
    body: preferences.PreferencesInput,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    """Channels and language; notifications follows through ``volunteer.contact.changed``.
    A channel without its address (no phone for SMS) is refused."""
    async with service.unit_of_work() as uow:
        volunteer = await preferences.set_preferences(uow, volunteer_id_of(principal), body)
    return _preferences(volunteer)
