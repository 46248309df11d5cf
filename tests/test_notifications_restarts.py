"""Notifications as a real process that dies: nothing is lost, nothing is sent twice, and
where SMTP leaves a window, the resend carries the same Message-ID."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from notifications.clock import FileClock
from notifications.testing import MailCatcher, ReceivedMail, integration_event, publish
from shared.testing.platform import ServiceProcess, TestPlatform, eventually, free_port

BRANCH_ID = str(uuid.uuid4())
T = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)  # 12:00 in Warsaw


@pytest.fixture
def smtp() -> Iterator[MailCatcher]:
    catcher = MailCatcher(free_port()).start()
    yield catcher
    catcher.stop()


async def start(platform: TestPlatform, smtp: MailCatcher, **overrides: Any) -> ServiceProcess:
    return await platform.process(
        "notifications", smtp_port=smtp.port, sender_poll_interval_s=0.2, **overrides
    )


async def known_volunteer(platform: TestPlatform, email: str) -> str:
    volunteer = str(uuid.uuid4())
    await publish(platform, integration_event("matching", "volunteer.contact.changed.v1", {
        "volunteer_id": volunteer, "first_name": "Ola", "email": email, "phone": None,
        "consents": {"email": True, "sms": False}, "language": "pl",
        "guardian": None}))  # fmt: skip

    async def stored() -> bool:
        return bool(await platform.fetchval(
            "SELECT count(*) FROM notifications.volunteer_contacts"))  # fmt: skip

    await eventually(stored)
    return volunteer


async def certificate_issued(platform: TestPlatform, volunteer: str) -> None:
    await publish(platform, integration_event("matching", "certificate.issued.v1", {
        "certificate_id": str(uuid.uuid4()), "volunteer_id": volunteer, "branch_id": BRANCH_ID,
        "branch_code": "wola-12"}))  # fmt: skip


async def email_status(platform: TestPlatform) -> list[tuple[str, int]]:
    rows = await platform.fetch(
        "SELECT status, attempts FROM notifications.messages WHERE channel = 'email'"
    )
    return [(row["status"], row["attempts"]) for row in rows]


async def test_killed_before_sending_it_sends_once_after_restart(
    platform: TestPlatform, smtp: MailCatcher
) -> None:
    first = await start(platform, smtp, sender_enabled="false")
    volunteer = await known_volunteer(platform, "ola@example.org")
    await certificate_issued(platform, volunteer)

    async def queued() -> bool:
        return await email_status(platform) == [("queued", 0)]

    await eventually(queued, message="the intent to send was not recorded")
    first.kill()
    assert smtp.received == []
    await start(platform, smtp)

    async def sent() -> bool:
        return await email_status(platform) == [("sent", 1)]

    await eventually(sent, message="the message was not sent after the restart")
    assert len(smtp.to("ola@example.org")) == 1


async def test_killed_between_send_and_record_the_resend_has_the_same_message_id(
    platform: TestPlatform, smtp: MailCatcher
) -> None:
    processes: list[ServiceProcess] = []

    def die_once(mail: ReceivedMail) -> None:
        # The server has the message; the sender dies before it hears "250" and records it.
        if len(processes) == 1:
            processes[0].kill()

    smtp.on_data(die_once)
    processes.append(await start(platform, smtp, sender_lease_s=1))
    volunteer = await known_volunteer(platform, "ola@example.org")
    await certificate_issued(platform, volunteer)
    await eventually(lambda: _received(smtp, 1), message="the first copy did not arrive")
    assert await email_status(platform) == [("queued", 1)]
    processes.append(await start(platform, smtp, sender_lease_s=1))

    async def sent() -> bool:
        return await email_status(platform) == [("sent", 2)]

    await eventually(sent, message="the message was not resent after the lease ran out")
    copies = smtp.to("ola@example.org")
    assert len(copies) == 2
    assert copies[0].message_id == copies[1].message_id  # receivers can drop the second


async def test_pending_reminders_survive_restarts_and_each_goes_once_at_its_time(
    platform: TestPlatform, smtp: MailCatcher, tmp_path: Path
) -> None:
    clock = FileClock(tmp_path / "now")
    clock.set(T)
    settings = {"clock_file": tmp_path / "now"}
    first = await start(platform, smtp, **settings)
    volunteer = await known_volunteer(platform, "ola@example.org")
    for hours in (25, 26, 27):  # reminders due at T+1h, T+2h, T+3h
        starts_at = T + timedelta(hours=hours)
        confirmed = {
            "assignment_id": str(uuid.uuid4()), "task_id": str(uuid.uuid4()),
            "volunteer_id": volunteer, "branch_id": BRANCH_ID, "branch_code": "wola-12",
            "starts_at": starts_at.isoformat(), "ends_at": None}  # fmt: skip
        await publish(platform, integration_event("matching", "assignment.confirmed.v1", confirmed))
        # The one date of the assignment, which the reminder is for.
        await publish(platform, integration_event("matching", "shift.planned.v1", {
            **confirmed, "occurrence_id": str(uuid.uuid4()),
            "occurrence_date": starts_at.date().isoformat()}))  # fmt: skip

    async def three_pending() -> bool:
        pending = await platform.fetchval(
            "SELECT count(*) FROM notifications.reminders WHERE status = 'pending'"
        )
        return bool(pending == 3)

    await eventually(three_pending)
    await eventually(lambda: _received(smtp, 3))  # the three confirmations
    first.kill()

    second = await start(platform, smtp, **settings)
    clock.set(T + timedelta(hours=1, minutes=1))
    await eventually(lambda: _reminders(smtp, 1))
    # Not before their time: the other two are still waiting.
    assert (
        await platform.fetchval(
            "SELECT count(*) FROM notifications.reminders WHERE status = 'pending'"
        )
        == 2
    )
    clock.set(T + timedelta(hours=2, minutes=1))
    await eventually(lambda: _reminders(smtp, 2))
    clock.set(T + timedelta(hours=3, minutes=1))
    await eventually(lambda: _reminders(smtp, 3))

    async def all_done() -> bool:
        return await platform.fetchval(
            "SELECT count(*) FROM notifications.reminders WHERE status = 'done'"
        ) == 3 and ("queued", 0) not in await email_status(platform)

    await eventually(all_done)
    second.kill()
    reminders = [m for m in smtp.received if m.subject.startswith("Przypomnienie")]
    assert len(reminders) == 3
    assert len({m.message_id for m in reminders}) == 3
    assert sorted(m.subject[-5:] for m in reminders) == ["13:00", "14:00", "15:00"]


async def _received(smtp: MailCatcher, count: int) -> bool:
    return len(smtp.received) >= count


async def _reminders(smtp: MailCatcher, count: int) -> bool:
    return sum(m.subject.startswith("Przypomnienie") for m in smtp.received) >= count
