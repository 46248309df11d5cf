"""The HTTP API: a volunteer's inbox (unread / read) and reminder preference; the delivery
log for staff, scoped by branch."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from notifications.app import NotificationsService
from notifications.clock import FileClock
from notifications.testing import MailCatcher, integration_event, publish
from shared.testing.platform import TestPlatform, eventually

NOW = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
BRANCH_ID = str(uuid.uuid4())


@pytest.fixture
async def api(
    platform: TestPlatform, smtp: MailCatcher, tmp_path: Path
) -> AsyncIterator[tuple[NotificationsService, httpx.AsyncClient]]:
    FileClock(tmp_path / "now").set(NOW)
    async with platform.running(
        "notifications", smtp_port=smtp.port, clock_file=tmp_path / "now",
        sender_poll_interval_s=0.1,
    ) as (service,):  # fmt: skip
        assert isinstance(service, NotificationsService)
        transport = httpx.ASGITransport(app=service.http)
        async with httpx.AsyncClient(transport=transport, base_url="http://n") as client:
            yield service, client


def bearer(
    platform: TestPlatform, *roles: str, subject: str, branches: tuple[str, ...] = ()
) -> dict[str, str]:
    return {"authorization": f"Bearer {platform.token(*roles, subject=subject, branches=branches)}"}


async def certificate(platform: TestPlatform, volunteer: str, branch_code: str = "wola-12") -> None:
    await publish(platform, integration_event("matching", "certificate.issued.v1", {
        "certificate_id": str(uuid.uuid4()), "volunteer_id": volunteer, "branch_id": BRANCH_ID,
        "branch_code": branch_code}))  # fmt: skip


async def test_inbox_lists_unread_and_read_messages_of_the_volunteer_only(
    platform: TestPlatform, api: tuple[NotificationsService, httpx.AsyncClient]
) -> None:
    _, client = api
    me, other = str(uuid.uuid4()), str(uuid.uuid4())
    await certificate(platform, me)
    await certificate(platform, me)
    await certificate(platform, other)
    mine = bearer(platform, "volunteer", subject=me)

    async def two_unread() -> dict[str, Any] | None:
        response = await client.get("/v1/inbox", headers=mine)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body if body["unread"] == 2 and len(body["items"]) == 2 else None

    page = await eventually(two_unread)
    assert page is not None
    items = page["items"]
    first = items[0]["id"]
    assert items[0]["subject"] == "Zaświadczenie o wolontariacie jest gotowe"
    read = await client.post(f"/v1/inbox/{first}/read", headers=mine)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    unread = (await client.get("/v1/inbox?unread=true", headers=mine)).json()
    assert unread["unread"] == 1 and [m["id"] for m in unread["items"]] != [first]
    assert len((await client.get("/v1/inbox?unread=false", headers=mine)).json()["items"]) == 1
    # Someone else's message is not found in my inbox; staff have no inbox here.
    theirs = bearer(platform, "volunteer", subject=other)
    assert (await client.post(f"/v1/inbox/{first}/read", headers=theirs)).status_code == 404
    staff = bearer(platform, "coordinator", subject="staff-1")
    assert (await client.get("/v1/inbox", headers=staff)).status_code == 403
    assert (await client.get("/v1/inbox")).status_code == 401
    assert (await client.get("/v1/inbox?limit=0", headers=mine)).status_code == 422


async def test_reminder_preference_moves_pending_reminders(
    platform: TestPlatform, api: tuple[NotificationsService, httpx.AsyncClient]
) -> None:
    _, client = api
    me = str(uuid.uuid4())
    headers = bearer(platform, "volunteer", subject=me)
    assert (await client.get("/v1/preferences", headers=headers)).json() == {
        "reminder_hours_before": 24
    }
    starts = NOW + timedelta(days=3)
    await publish(platform, integration_event("matching", "shift.planned.v1", {
        "occurrence_id": str(uuid.uuid4()), "assignment_id": str(uuid.uuid4()),
        "task_id": str(uuid.uuid4()), "volunteer_id": me, "branch_id": BRANCH_ID,
        "branch_code": "wola-12", "occurrence_date": starts.date().isoformat(),
        "starts_at": starts.isoformat(), "ends_at": None}))  # fmt: skip

    async def due() -> datetime | None:
        value: datetime | None = await platform.fetchval(
            "SELECT due_at FROM notifications.reminders WHERE kind = 'shift_reminder'"
        )
        return value

    assert await eventually(due) == starts - timedelta(hours=24)
    response = await client.put(
        "/v1/preferences", json={"reminder_hours_before": 2}, headers=headers
    )
    assert response.status_code == 200
    assert await due() == starts - timedelta(hours=2)
    assert (await client.get("/v1/preferences", headers=headers)).json() == {
        "reminder_hours_before": 2
    }
    bad = await client.put("/v1/preferences", json={"reminder_hours_before": 0}, headers=headers)
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")


async def test_delivery_log_is_scoped_by_branch(
    platform: TestPlatform, api: tuple[NotificationsService, httpx.AsyncClient]
) -> None:
    _, client = api
    volunteer = str(uuid.uuid4())
    await certificate(platform, volunteer, "wola-12")
    await certificate(platform, volunteer, "mokotow-3")
    admin = bearer(platform, "city_admin", subject="admin")

    async def both() -> list[dict[str, object]] | None:
        body: list[dict[str, object]] = (await client.get("/v1/messages", headers=admin)).json()
        return body if len(body) == 2 else None

    await eventually(both)
    coordinator = bearer(platform, "coordinator", subject="c", branches=("wola-12",))
    own = await client.get("/v1/messages?branch_code=wola-12", headers=coordinator)
    assert own.status_code == 200 and [m["branch_code"] for m in own.json()] == ["wola-12"]
    message_id = own.json()[0]["id"]

    async def delivered() -> list[str] | None:
        detail = await client.get(f"/v1/messages/{message_id}", headers=coordinator)
        assert detail.status_code == 200, detail.text
        steps = [step["status"] for step in detail.json()["log"]]
        return steps if "sent" in steps else None

    assert await eventually(delivered) == ["queued", "sent"]
    assert (
        await client.get("/v1/messages?branch_code=mokotow-3", headers=coordinator)
    ).status_code == 403
    assert (await client.get("/v1/messages", headers=coordinator)).status_code == 403
    volunteer_token = bearer(platform, "volunteer", subject=volunteer)
    assert (await client.get("/v1/messages", headers=volunteer_token)).status_code == 403


def coordinator_assigned(staff_id: str, subject: str | None) -> dict[str, Any]:
    return {
        "branch_id": BRANCH_ID, "code": "wola-12", "staff_id": staff_id, "name": "Anna Nowak",
        "email": "anna@example.org", "language": "pl", "subject": subject,
    }  # fmt: skip


async def known_as_coordinator(platform: TestPlatform, staff_id: str, subject: str) -> None:
    async def recorded() -> bool:
        found = await platform.fetchval(
            "SELECT subject FROM notifications.staff WHERE staff_id = $1", uuid.UUID(staff_id)
        )
        return bool(found == subject)

    await eventually(recorded, message=f"staff {staff_id} not known by {subject!r}")


async def test_a_coordinator_chooses_the_daily_digest(
    platform: TestPlatform, api: tuple[NotificationsService, httpx.AsyncClient]
) -> None:
    _, client = api
    staff_id = str(uuid.uuid4())
    # Keycloak's user id, not the staff id: registry's event tells which staff member it is.
    await publish(platform, integration_event(
        "registry", "coordinator.assigned.v1", coordinator_assigned(staff_id, "kc-coordinator-4")
    ))  # fmt: skip
    await known_as_coordinator(platform, staff_id, "kc-coordinator-4")
    headers = bearer(platform, "coordinator", subject="kc-coordinator-4", branches=("wola-12",))
    assert (await client.get("/v1/staff/preferences", headers=headers)).json() == {
        "daily_digest": False
    }
    response = await client.put(
        "/v1/staff/preferences", json={"daily_digest": True}, headers=headers
    )
    assert response.status_code == 200
    assert (await client.get("/v1/staff/preferences", headers=headers)).json() == {
        "daily_digest": True
    }
    stored = await platform.fetch(
        "SELECT staff_id, daily_digest FROM notifications.staff_preferences"
    )
    assert [tuple(row) for row in stored] == [(uuid.UUID(staff_id), True)]

    stranger = bearer(platform, "coordinator", subject="kc-nobody", branches=("wola-12",))
    for refused in (
        await client.get("/v1/staff/preferences", headers=stranger),
        await client.put("/v1/staff/preferences", json={"daily_digest": False}, headers=stranger),
    ):
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["detail"] == (
            "użytkownik 'kc-nobody' nie jest znany jako koordynator / "
            "user 'kc-nobody' is not known as a coordinator"
        )
    # The staff id itself is not a user id.
    by_staff_id = bearer(platform, "coordinator", subject=staff_id, branches=("wola-12",))
    assert (await client.get("/v1/staff/preferences", headers=by_staff_id)).status_code == 403
    volunteer = bearer(platform, "volunteer", subject=str(uuid.uuid4()))
    assert (await client.get("/v1/staff/preferences", headers=volunteer)).status_code == 403
    admin = bearer(platform, "city_admin", subject="admin")
    assert (await client.get("/v1/staff/preferences", headers=admin)).status_code == 403
    bad = await client.put("/v1/staff/preferences", json={"daily_digest": "maybe"}, headers=headers)
    assert bad.status_code == 422


async def test_a_coordinator_is_known_by_the_new_user_id_after_a_change(
    platform: TestPlatform, api: tuple[NotificationsService, httpx.AsyncClient]
) -> None:
    _, client = api
    staff_id = str(uuid.uuid4())
    # Assigned before an account was linked: no token names this coordinator yet.
    await publish(platform, integration_event(
        "registry", "coordinator.assigned.v1", coordinator_assigned(staff_id, None)
    ))  # fmt: skip
    await eventually(
        lambda: platform.fetchval("SELECT count(*) FROM notifications.staff"),
        message="the coordinator was not recorded",
    )
    linked = bearer(platform, "coordinator", subject="kc-coordinator-7")
    assert (await client.get("/v1/staff/preferences", headers=linked)).status_code == 403

    changed = {"staff_id": staff_id, "subject": "kc-coordinator-7"}
    await publish(platform, integration_event("registry", "staff.subject.changed.v1", changed))
    await known_as_coordinator(platform, staff_id, "kc-coordinator-7")
    response = await client.put(
        "/v1/staff/preferences", json={"daily_digest": True}, headers=linked
    )
    assert response.status_code == 200, response.text
    preference = await platform.fetchval(
        "SELECT daily_digest FROM notifications.staff_preferences WHERE staff_id = $1",
        uuid.UUID(staff_id),
    )
    assert preference is True

    # A city admin whose own account is a coordinator's has that coordinator's preferences.
    admin = bearer(platform, "city_admin", subject="kc-coordinator-7")
    assert (await client.get("/v1/staff/preferences", headers=admin)).json() == {
        "daily_digest": True
    }

    # No longer coordinating anywhere: no longer a coordinator here either.
    await publish(platform, integration_event(
        "registry", "coordinator.unassigned.v1", coordinator_assigned(staff_id, "kc-coordinator-7")
    ))  # fmt: skip

    async def refused() -> bool:
        response = await client.get("/v1/staff/preferences", headers=linked)
        return response.status_code == 403

    await eventually(refused, message="an unassigned coordinator still has staff preferences")
