"""Preferences: a volunteer's reminder lead time, a coordinator's daily digest."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from notifications.api.common import volunteer_id_of
from notifications.contacts import coordinator_by_subject
from notifications.preferences import set_reminder_preference, set_staff_preference
from notifications.settings import NotificationsSettings
from notifications.tables import Preference, StaffPreference
from shared.auth import Principal, require_roles
from shared.problems import Problem
from shared.service import Service, get_service
from shared.unit_of_work import UnitOfWork

router = APIRouter()


class Preferences(BaseModel):
    reminder_hours_before: int = Field(ge=1, le=168)


class StaffPreferences(BaseModel):
    daily_digest: bool


@router.get("/preferences", response_model=Preferences)
async def read_preferences(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    volunteer_id = volunteer_id_of(principal)
    async with service.unit_of_work() as uow:
        preference = await uow.session.get(Preference, volunteer_id)
    if preference is not None:
        return Preferences(reminder_hours_before=preference.reminder_hours_before)
    settings = service.settings
    assert isinstance(settings, NotificationsSettings)
    return Preferences(reminder_hours_before=settings.reminder_hours_before)


@router.put("/preferences", response_model=Preferences)
async def update_preferences(
    preferences: Preferences,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("volunteer"))],
) -> Any:
    """How many hours before a shift the reminder comes; pending reminders move with it."""
    volunteer_id = volunteer_id_of(principal)
    async with service.unit_of_work() as uow:
        await set_reminder_preference(uow, volunteer_id, preferences.reminder_hours_before)
    return preferences


async def _staff_id(uow: UnitOfWork, principal: Principal) -> uuid.UUID:
    """Tokens name a person by the identity provider's user id (``sub``); registry's events
    tell which coordinator carries it. A city admin has preferences here only when their
    own account is also a coordinator's."""
    staff_id = await coordinator_by_subject(uow, principal.subject)
    if staff_id is None:
        raise Problem(
            403,
            "Forbidden",
            f"użytkownik '{principal.subject}' nie jest znany jako koordynator / "
            f"user '{principal.subject}' is not known as a coordinator",
        )
    return staff_id


@router.get("/staff/preferences", response_model=StaffPreferences)
async def read_staff_preferences(
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("coordinator"))],
) -> Any:
    async with service.unit_of_work() as uow:
        staff_id = await _staff_id(uow, principal)
        preference = await uow.session.get(StaffPreference, staff_id)
    return StaffPreferences(daily_digest=preference.daily_digest if preference else False)


@router.put("/staff/preferences", response_model=StaffPreferences)
async def update_staff_preferences(
    preferences: StaffPreferences,
    service: Annotated[Service, Depends(get_service)],
    principal: Annotated[Principal, Depends(require_roles("coordinator"))],
) -> Any:
    """A coordinator's choice: new applications, no-shows and unfilled tasks one by one, or
    in one digest at 07:00 (turning it off sends what was waiting)."""
    async with service.unit_of_work() as uow:
        staff_id = await _staff_id(uow, principal)
        await set_staff_preference(uow, staff_id, preferences.daily_digest)
    return preferences
