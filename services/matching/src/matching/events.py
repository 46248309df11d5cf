"""The integration events matching publishes on ``volunteering.events``.

Only notifications receives contact data (``VolunteerContactChanged``); every other event
carries ids and anonymous facts.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel

from shared.events import IntegrationEvent


class VolunteerRegistered(IntegrationEvent):
    """A person the portal registered can now be matched."""

    fact: ClassVar[str] = "volunteer.registered.v1"

    volunteer_id: uuid.UUID
    districts: list[str]
    minor: bool
    languages: list[str]
    registered_at: datetime


class VolunteerUpdated(VolunteerRegistered):
    """The person's profile changed (same anonymous facts as at registration)."""

    fact: ClassVar[str] = "volunteer.updated.v1"


class VolunteerErased(IntegrationEvent):
    """The person asked to be forgotten: every holder of their data must drop it."""

    fact: ClassVar[str] = "volunteer.erased.v1"

    volunteer_id: uuid.UUID


class ChannelConsents(BaseModel):
    email: bool
    sms: bool


class GuardianContact(BaseModel):
    name: str
    email: str
    phone: str | None


class VolunteerContactChanged(IntegrationEvent):
    """Contact data and channel consents, for notifications only."""

    fact: ClassVar[str] = "volunteer.contact.changed.v1"

    volunteer_id: uuid.UUID
    first_name: str | None
    email: str | None
    phone: str | None
    consents: ChannelConsents
    language: str
    guardian: GuardianContact | None


PUBLISHED_EVENTS: tuple[type[IntegrationEvent], ...] = (
    VolunteerRegistered,
    VolunteerUpdated,
    VolunteerErased,
    VolunteerContactChanged,
)
