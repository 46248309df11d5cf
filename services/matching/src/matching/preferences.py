"""A volunteer's own choices held by matching: the channels they consent to (email, SMS)
and the language of their messages. Notifications learns them from the same
``volunteer.contact.changed.v1`` that the portal's registrations cause; the reminder lead
time is notifications' own (``PUT /v1/preferences`` there).

The portal stays the source of the profile: its next update of the person sets the
consents it carries again."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import ConfigDict

from matching import volunteers
from matching.assignments import volunteer_for_update
from matching.tables import Volunteer
from shared.problems import Problem
from shared.unit_of_work import UnitOfWork
from shared.validation import CleanInput


class PreferencesInput(CleanInput):
    model_config = ConfigDict(extra="forbid")

    consent_email: bool
    consent_sms: bool
    message_language: Literal["pl", "en"]


async def set_preferences(
    uow: UnitOfWork, volunteer_id: uuid.UUID, data: PreferencesInput
) -> Volunteer:
    volunteer = await volunteer_for_update(uow, volunteer_id)
    if data.consent_email and not volunteer.email:
        raise Problem(422, "Invalid request", "consent_email: there is no email address")
    if data.consent_sms and not volunteer.phone:
        raise Problem(422, "Invalid request", "consent_sms: there is no phone number")
    volunteer.consent_email = data.consent_email
    volunteer.consent_sms = data.consent_sms
    volunteer.message_language = data.message_language
    uow.session.add(volunteer)
    await uow.emit(volunteers.contact_of(volunteer), subject=str(volunteer.id))
    return volunteer
