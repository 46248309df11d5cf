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
    await publish(platform, integration_event("matching", "assignment.confirmed.v1", {
        "assignment_id": str(uuid.uuid4()), "task_id": str(uuid.uuid4()), "volunteer_id": me,
        "branch_id": BRANCH_ID, "branch_code": "wola-12", "starts_at": starts.isoformat(),
        "ends_at": None}))  # fmt: skip

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


async def test_a_coordinator_chooses_the_daily_digest(
    platform: TestPlatform, api: tuple[NotificationsService, httpx.AsyncClient]
) -> None:
    _, client = api
    me = str(uuid.uuid4())
    headers = bearer(platform, "coordinator", subject=me, branches=("wola-12",))
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
    volunteer = bearer(platform, "volunteer", subject=str(uuid.uuid4()))
    assert (await client.get("/v1/staff/preferences", headers=volunteer)).status_code == 403
    admin = bearer(platform, "city_admin", subject="admin")
    assert (await client.get("/v1/staff/preferences", headers=admin)).status_code == 403
    bad = await client.put("/v1/staff/preferences", json={"daily_digest": "maybe"}, headers=headers)
    assert bad.status_code == 422
