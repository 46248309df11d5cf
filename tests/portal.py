"""Portal events as the city's volunteer portal sends them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from shared.testing.platform import cloud_event

REGISTERED = "pl.waw.portal.volunteer.registered.v1"
UPDATED = "pl.waw.portal.volunteer.updated.v1"
ERASURE_REQUESTED = "pl.waw.portal.volunteer.erasure_requested.v1"


def volunteer_data(portal_id: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "portal_id": portal_id,
        "first_name": "Zofia",
        "last_name": "Kowalska-Nowak",
        "email": f"{portal_id}@example.pl",
        "phone": "+48601234567",
        "birth_date": "1999-03-14",
        "districts": ["wola", "ochota"],
        "skills": ["Scratch", "fotografia"],
        "interests": ["komiksy"],
        "languages": ["pl", "en"],
        "availability": [{"weekday": 5, "start": "22:00", "end": "02:00"}],
        "consents": {"email": True, "sms": False},
    }
    data.update(changes)
    return data


def minor_data(portal_id: str, birth_date: date) -> dict[str, Any]:
    return volunteer_data(
        portal_id,
        birth_date=birth_date.isoformat(),
        guardian={
            "name": "Anna Kowalska",
            "email": "anna@example.pl",
            "consent_given_at": "2026-09-01T10:00:00+02:00",
        },
    )


def registered(portal_id: str, *, time: datetime | None = None, **changes: Any) -> dict[str, Any]:
    return cloud_event(REGISTERED, volunteer_data(portal_id, **changes), time=time)


def erasure_requested(portal_id: str) -> dict[str, Any]:
    return cloud_event(
        ERASURE_REQUESTED, {"portal_id": portal_id, "requested_at": "2026-11-24T12:00:00Z"}
    )
