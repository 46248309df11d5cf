"""The portal's inbound contracts (docs/contracts.md), validated field by field."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from matching.domain.languages import ISO_639_1
from shared.reference import warsaw_districts
from shared.validation import CleanInput

WARSAW = ZoneInfo("Europe/Warsaw")

PORTAL_VOLUNTEER_REGISTERED = "pl.waw.portal.volunteer.registered.v1"
PORTAL_VOLUNTEER_UPDATED = "pl.waw.portal.volunteer.updated.v1"
PORTAL_VOLUNTEER_ERASURE_REQUESTED = "pl.waw.portal.volunteer.erasure_requested.v1"

# Letters of any alphabet, joined by spaces, hyphens, dots or either apostrophe.
_NAME = re.compile(r"[^\W\d_]+(?:[ '\u2019\-.][^\W\d_]+)*\.?")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_HH_MM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")

PortalId = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]


def _person_name(value: str) -> str:
    # NFC first: a decomposed "ó" is a letter plus a combining mark, which \w does not match.
    value = unicodedata.normalize("NFC", value).strip()
    if not 1 <= len(value) <= 100:
        raise ValueError("must be 1-100 characters")
    if not _NAME.fullmatch(value):
        raise ValueError("must be letters (any alphabet), with spaces, hyphens or apostrophes")
    return value


def _phone(value: str) -> str:
    if not _E164.fullmatch(value):
        raise ValueError("must be in E.164 form, e.g. +48601234567")
    return value


PersonName = Annotated[str, AfterValidator(_person_name)]

# The rules the validators above enforce, as the generated contract documents them.
_NAME_RULE = "1-100 letters of any alphabet, with spaces, hyphens, dots or apostrophes"
_PHONE_RULE = "E.164, e.g. +48601234567"
_TAG_RULE = "free tags, compared case-insensitively"
_OFFSET_RULE = "RFC 3339 with an offset"
Phone = Annotated[str, AfterValidator(_phone)]


class AvailabilitySlot(CleanInput):
    """A weekly slot in Warsaw local time; ``end`` before ``start`` crosses midnight."""

    model_config = ConfigDict(extra="forbid")

    weekday: int = Field(ge=1, le=7, description="Monday = 1")
    start: str = Field(description="HH:MM, 00:00-23:59")
    end: str = Field(description="HH:MM; earlier than start crosses midnight")

    @field_validator("start", "end")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        if not _HH_MM.fullmatch(value):
            raise ValueError("must be HH:MM (00:00-23:59)")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> AvailabilitySlot:
        if self.start == self.end:
            raise ValueError("end must differ from start")
        return self


class PortalConsents(CleanInput):
    model_config = ConfigDict(extra="forbid")

    email: bool
    sms: bool


class PortalGuardian(CleanInput):
    """A minor's guardian as the portal sends it (the name is unique in the catalogue)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    email: EmailStr
    phone: Phone | None = Field(default=None, description=_PHONE_RULE)
    consent_given_at: datetime


class PortalVolunteer(CleanInput):
    """``pl.waw.portal.volunteer.registered.v1`` and ``updated.v1`` carry the same data."""

    model_config = ConfigDict(extra="ignore")

    portal_id: PortalId
    first_name: PersonName = Field(description=_NAME_RULE)
    last_name: PersonName = Field(description=_NAME_RULE)
    email: EmailStr
    phone: Phone | None = Field(default=None, description=_PHONE_RULE)
    birth_date: date = Field(description="YYYY-MM-DD, in the past")
    districts: list[str] = Field(
        min_length=1, description="Warsaw district slugs, e.g. `bialoleka`; duplicates dropped"
    )
    skills: list[Tag] = Field(default_factory=list, description=_TAG_RULE)
    interests: list[Tag] = Field(default_factory=list, description=_TAG_RULE)
    languages: list[str] = Field(default_factory=list, description="ISO 639-1 codes, e.g. `uk`")
    availability: list[AvailabilitySlot] = Field(default_factory=list)
    consents: PortalConsents = Field(description="no message goes to a channel without consent")
    guardian: PortalGuardian | None = Field(
        default=None, description="required when the person is under 18 on the day of the event"
    )

    @field_validator("birth_date")
    @classmethod
    def _in_the_past(cls, value: date) -> date:
        if value >= datetime.now(WARSAW).date():
            raise ValueError("must be in the past")
        return value

    @field_validator("districts")
    @classmethod
    def _known_districts(cls, value: list[str]) -> list[str]:
        known = warsaw_districts()
        unknown = [slug for slug in value if slug not in known]
        if unknown:
            raise ValueError(
                f"unknown district slug(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return list(dict.fromkeys(value))

    @field_validator("skills", "interests")
    @classmethod
    def _case_insensitive_tags(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(tag.casefold() for tag in value))

    @field_validator("languages")
    @classmethod
    def _iso_639_1(cls, value: list[str]) -> list[str]:
        codes = [code.strip().lower() for code in value]
        bad = [code for code in codes if code not in ISO_639_1]
        if bad:
            raise ValueError(f"not ISO 639-1 codes: {', '.join(bad)}")
        return list(dict.fromkeys(codes))


class PortalErasureRequested(CleanInput):
    model_config = ConfigDict(extra="ignore")

    portal_id: PortalId
    requested_at: datetime


# -- the city's culture-events calendar --------------------------------------------------

CALENDAR_EVENT_SCHEDULED = "pl.waw.calendar.event.scheduled.v1"
CALENDAR_EVENT_CANCELLED = "pl.waw.calendar.event.cancelled.v1"


class CalendarEventScheduled(CleanInput):
    """``pl.waw.calendar.event.scheduled.v1``: an event at a branch that needs volunteers."""

    model_config = ConfigDict(extra="ignore")

    calendar_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    branch_code: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="a branch known to the registry"
    )
    title: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    starts_at: datetime = Field(description=_OFFSET_RULE)
    ends_at: datetime = Field(description=_OFFSET_RULE + ", after starts_at")
    volunteers_needed: int = Field(ge=1, le=500)
    skills: list[Tag] = Field(default_factory=list, description=_TAG_RULE)
    min_age: int | None = Field(default=None, ge=0, le=99)

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _with_offset(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("must be RFC 3339 with an offset, e.g. 2026-12-05T18:00:00+01:00")
        return value

    @field_validator("skills")
    @classmethod
    def _case_insensitive_skills(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(tag.casefold() for tag in value))

    @model_validator(mode="after")
    def _ends_after_start(self) -> CalendarEventScheduled:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at: must be after starts_at")
        return self


class CalendarEventCancelled(CleanInput):
    model_config = ConfigDict(extra="ignore")

    calendar_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    reason: Annotated[str, StringConstraints(max_length=1000)] | None = None
