"""Helpers for matching's flow tests: registry and calendar events as their senders send them.

(No tests here; the name follows the repository's rule for matching's test files.)
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from shared.service import Service
from shared.testing.platform import TestPlatform, cloud_event
from shared.topology import EVENTS_EXCHANGE

REGISTRY = "pl.waw.volunteering.registry"
WARSAW = ZoneInfo("Europe/Warsaw")


def _a_saturday_ahead() -> date:
    """A Saturday two to three weeks ahead: the tasks of the flow tests lie in the future
    whenever the tests run."""
    today = datetime.now(WARSAW).date()
    return today + timedelta(days=(5 - today.weekday()) % 7 + 14)


TASK_DAY = _a_saturday_ahead()


def in_warsaw(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), WARSAW)


def utc_text(moment: datetime) -> str:
    """As the API writes an instant: UTC with a ``Z``."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


EDITION_ID = "6f1f3c1e-0000-4000-8000-000000000001"


def registry_event(
    fact: str, data: dict[str, Any], *, time: datetime | None = None
) -> dict[str, Any]:
    return cloud_event(
        f"{REGISTRY}.{fact}", data, source="/volunteering/registry", time=time or datetime.now(UTC)
    )


async def publish_registry(platform: TestPlatform, event: dict[str, Any]) -> None:
    await platform.publish(
        event, routing_key=str(event["type"]), exchange=EVENTS_EXCHANGE, message_id=str(event["id"])
    )


def branch_id(code: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"branch:{code}"))


def edition(*, institution_type: str = "library_branch") -> dict[str, Any]:
    return {
        "edition_id": EDITION_ID,
        "year": 2026,
        "name": "Edycja 2026",
        "institution_type": institution_type,
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
    }


def branch(code: str, *, district: str = "wola") -> dict[str, Any]:
    return {
        "branch_id": branch_id(code),
        "code": code,
        "name": f"Biblioteka dla Dzieci i Młodzieży {code}",
        "district": district,
        "institution_type": "library_branch",
        "district_library": None,
        "address": None,
    }


def enrolment(code: str) -> dict[str, Any]:
    return {
        "branch_id": branch_id(code),
        "code": code,
        "edition_id": EDITION_ID,
        "funding_pln": "5000.00",
    }


async def enrol_branch(platform: TestPlatform, code: str, *, district: str = "wola") -> None:
    """The registry's events for one branch enrolled in the open 2026 edition."""
    await publish_registry(platform, registry_event("edition.opened.v1", edition()))
    await publish_registry(
        platform, registry_event("branch.registered.v1", branch(code, district=district))
    )
    await publish_registry(platform, registry_event("branch.enrolled.v1", enrolment(code)))


async def wait_enrolled(platform: TestPlatform, code: str) -> None:
    from shared.testing.platform import eventually

    async def enrolled() -> bool:
        count = await platform.fetchval(
            "SELECT count(*) FROM matching.enrolments e JOIN matching.branches b"
            " ON b.id = e.branch_id WHERE b.code = $1 AND e.enrolled",
            code,
        )
        return bool(count)

    await eventually(enrolled, message=f"branch {code} enrolled in matching's copy")


def calendar_scheduled(calendar_id: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "calendar_id": calendar_id,
        "branch_code": "wola-12",
        "title": "Noc bibliotek",
        "starts_at": in_warsaw(TASK_DAY, 18).isoformat(),
        "ends_at": in_warsaw(TASK_DAY, 23, 30).isoformat(),
        "volunteers_needed": 4,
        "skills": ["Fotografia"],
        "min_age": 16,
    }
    data.update(changes)
    return cloud_event("pl.waw.calendar.event.scheduled.v1", data, source="/city/calendar")


def calendar_cancelled(calendar_id: str, reason: str = "odwołane") -> dict[str, Any]:
    return cloud_event(
        "pl.waw.calendar.event.cancelled.v1",
        {"calendar_id": calendar_id, "reason": reason},
        source="/city/calendar",
    )


@asynccontextmanager
async def client(service: Service) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=service.http)
    async with httpx.AsyncClient(transport=transport, base_url="http://matching") as http:
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def one_off_task(code: str = "wola-12", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "branch_code": code,
        "type": "reading_help",
        "title": "Głośne czytanie dla dzieci",
        "schedule": {
            "kind": "one_off",
            "first_day": TASK_DAY.isoformat(),
            "start": "10:00",
            "end": "12:00",
        },
        "places": 2,
        "min_age": 13,
        "skills": ["Czytanie"],
        "with_children": False,
    }
    body.update(changes)
    return body


async def register_volunteers(
    platform: TestPlatform, *portal_ids: str, **changes: Any
) -> dict[str, str]:
    """Register people through the portal's inbound contract; their volunteer ids by portal id."""
    from shared.testing.platform import eventually
    from tests.portal import registered

    for portal_id in portal_ids:
        await platform.publish_event(registered(portal_id, **changes))

    async def all_there() -> dict[str, str]:
        rows = await platform.fetch(
            "SELECT portal_id, id FROM matching.volunteers WHERE portal_id = ANY($1::text[])",
            list(portal_ids),
        )
        found = {row["portal_id"]: str(row["id"]) for row in rows}
        return found if len(found) == len(portal_ids) else {}

    return await eventually(all_there, message="volunteers registered")
