"""What notifications sends, to whom, on which channel: on the real broker, database and
SMTP server, with the service in this process and a clock the test moves."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from notifications import preferences
from notifications.app import NotificationsService
from notifications.clock import FileClock
from notifications.testing import MailCatcher, SmsProvider, integration_event, publish
from shared.signed_links import verify_link_token
from shared.testing.platform import TestPlatform, eventually, free_port

SMS_KEY = "test-sms-key"
BRANCH = "wola-12"
BRANCH_ID = str(uuid.uuid4())
NOON = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)  # 12:00 in Warsaw


@dataclass
class Setup:
    platform: TestPlatform
    service: NotificationsService
    smtp: MailCatcher
    sms: SmsProvider
    clock: FileClock

    async def send(self, service: str, fact: str, data: dict[str, Any], **kw: Any) -> str:
        event = integration_event(service, fact, data, **kw)
        await publish(self.platform, event)
        return str(event["id"])

    async def rows(self, query: str, *args: Any) -> int:
        return int(await self.platform.fetchval(query, *args) or 0)

    async def settled(self) -> None:
        """Until nothing is queued and due now (the background sender keeps running)."""

        async def idle() -> bool:
            await self.service.sender.drain()
            return (
                await self.rows(
                    "SELECT count(*) FROM notifications.messages WHERE status = 'queued'"
                    " AND channel = 'email' AND (not_before IS NULL OR not_before <= $1)",
                    self.clock.now(),
                )
                == 0
            )

        await eventually(idle, message="queued emails were not sent")


@asynccontextmanager
async def started(
    platform: TestPlatform, smtp: MailCatcher, sms: SmsProvider, tmp_path: Path, **overrides: Any
) -> AsyncIterator[Setup]:
    clock = FileClock(tmp_path / "now")
    clock.set(NOON)
    settings: dict[str, Any] = {
        "smtp_port": smtp.port,
        "sms_api_url": sms.url,
        "sms_api_key": SMS_KEY,
        "clock_file": tmp_path / "now",
        "sender_poll_interval_s": 0.1,
        "console_public_url": "http://console.test",
        **overrides,
    }
    async with platform.running("notifications", **settings) as (service,):
        assert isinstance(service, NotificationsService)
        yield Setup(platform, service, smtp, sms, clock)


@pytest.fixture
async def setup(
    platform: TestPlatform, smtp: MailCatcher, sms: SmsProvider, tmp_path: Path
) -> AsyncIterator[Setup]:
    async with started(platform, smtp, sms, tmp_path) as running:
        yield running


def contact(
    volunteer_id: str,
    email: str | None,
    *,
    language: str = "pl",
    email_consent: bool = True,
    sms_consent: bool = False,
    phone: str | None = None,
    guardian: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "volunteer_id": volunteer_id,
        "first_name": "Ola",
        "email": email,
        "phone": phone,
        "consents": {"email": email_consent, "sms": sms_consent},
        "language": language,
        "guardian": guardian,
    }


def task(task_id: str, starts_at: datetime | None, places: int = 2, **extra: Any) -> dict[str, Any]:
    return {
        "task_id": task_id,
        "branch_id": BRANCH_ID,
        "branch_code": BRANCH,
        "type": "reading_help",
        "title": "Pomoc w czytelni",
        "starts_at": starts_at.isoformat() if starts_at else None,
        "ends_at": (starts_at + timedelta(hours=2)).isoformat() if starts_at else None,
        "places": places,
        "min_age": None,
        "with_children": False,
        "reason": None,
        **extra,
    }


def facts(volunteer_id: str, task_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "task_id": task_id,
        "volunteer_id": volunteer_id,
        "branch_id": BRANCH_ID,
        "branch_code": BRANCH,
        **extra,
    }


def assignment(
    volunteer_id: str, task_id: str, starts_at: datetime | None, assignment_id: str | None = None
) -> dict[str, Any]:
    return facts(
        volunteer_id,
        task_id,
        assignment_id=assignment_id or str(uuid.uuid4()),
        starts_at=starts_at.isoformat() if starts_at else None,
        ends_at=(starts_at + timedelta(hours=2)).isoformat() if starts_at else None,
    )


def planned(confirmed: dict[str, Any], starts_at: datetime | None) -> dict[str, Any]:
    """matching's shift.planned for the one date of a one-off assignment."""
    return {
        **confirmed,
        "occurrence_id": str(uuid.uuid5(uuid.NAMESPACE_URL, confirmed["assignment_id"])),
        "occurrence_date": (starts_at or NOON).date().isoformat(),
        "starts_at": starts_at.isoformat() if starts_at else None,
        "ends_at": (starts_at + timedelta(hours=2)).isoformat() if starts_at else None,
    }


def staff(role: str, staff_id: str, email: str, language: str) -> dict[str, Any]:
    person = {"name": "Anna", "email": email, "language": language}
    if role == "coordinator":
        return {"branch_id": BRANCH_ID, "code": BRANCH, "staff_id": staff_id, **person}
    return {
        "branch_id": BRANCH_ID,
        "code": BRANCH,
        "edition_id": str(uuid.uuid4()),
        "trainer_id": staff_id,
        **person,
    }


def subjects(mails: list[Any]) -> list[str]:
    return sorted(mail.subject for mail in mails)


async def test_each_message_type_goes_once_to_the_right_people(setup: Setup) -> None:
    minor, adult = str(uuid.uuid4()), str(uuid.uuid4())
    coordinator, trainer = str(uuid.uuid4()), str(uuid.uuid4())
    task_id = str(uuid.uuid4())
    starts = NOON + timedelta(days=6)
    guardian = {"name": "Ewa", "email": "ewa@example.org", "phone": None}
    coordinator_email = "koordynator@example.org"
    await setup.send("registry", "coordinator.assigned.v1",
                     staff("coordinator", coordinator, coordinator_email, "pl"))  # fmt: skip
    await setup.send("registry", "trainer.assigned.v1",
                     staff("trainer", trainer, "trainer@example.org", "en"))  # fmt: skip
    await setup.send("matching", "volunteer.contact.changed.v1",
                     contact(minor, "ola@example.org", sms_consent=True, phone="+48600100200",
                             guardian=guardian))  # fmt: skip
    await setup.send("matching", "volunteer.contact.changed.v1",
                     contact(adult, "jan@example.org", language="en"))  # fmt: skip
    await setup.send("matching", "task.published.v1", task(task_id, starts))

    async def known() -> bool:
        return (
            await setup.rows("SELECT count(*) FROM notifications.staff") == 2
            and await setup.rows("SELECT count(*) FROM notifications.volunteer_contacts") == 2
            and await setup.rows("SELECT count(*) FROM notifications.tasks") == 1
        )

    await eventually(known)
    application = {"application_id": str(uuid.uuid4())}
    await setup.send("matching", "application.submitted.v1", facts(minor, task_id, **application))
    await setup.send("matching", "application.accepted.v1", facts(minor, task_id, **application))
    await setup.send("matching", "application.rejected.v1", facts(adult, task_id, **application))
    await setup.send("matching", "application.promoted.v1", facts(adult, task_id, **application))
    proposal_id = str(uuid.uuid4())
    await setup.send("matching", "proposal.made.v1", facts(adult, task_id, proposal_id=proposal_id,
                     expires_at=(NOON + timedelta(days=2)).isoformat()))  # fmt: skip
    confirmed = assignment(minor, task_id, starts)
    await setup.send("matching", "assignment.confirmed.v1", confirmed)
    await setup.send("matching", "assignment.no_show.v1", assignment(adult, task_id, starts))
    await setup.send("matching", "hours.approved.v1", facts(
        minor, task_id, entry_id=str(uuid.uuid4()), assignment_id=confirmed["assignment_id"],
        hours="2.50", worked_on="2026-11-20"))  # fmt: skip
    await setup.send("matching", "certificate.issued.v1", {
        "certificate_id": str(uuid.uuid4()), "volunteer_id": minor, "branch_id": BRANCH_ID,
        "branch_code": BRANCH})  # fmt: skip
    await setup.send("registry", "visit.recorded.v1", {
        "visit_id": str(uuid.uuid4()), "branch_id": BRANCH_ID, "code": BRANCH,
        "edition_id": str(uuid.uuid4()), "trainer_id": trainer, "visited_on": "2026-11-10",
        "follow_up_on": "2026-11-24"})  # fmt: skip
    moved = starts + timedelta(days=1)
    await _known(setup, "assignments", 2)  # before the change
    await setup.send("matching", "task.changed.v1", task(task_id, moved))
    # matching plans the date at its new time.
    await setup.send("matching", "shift.planned.v1", planned(confirmed, moved))

    async def first_wave() -> bool:
        return len(setup.smtp.received) >= 14

    await eventually(first_wave, message="the first wave of emails did not arrive")
    await setup.settled()
    smtp = setup.smtp
    assert subjects(smtp.to("koordynator@example.org")) == [
        "Nieobecność na dyżurze: Pomoc w czytelni",
        "Nowe zgłoszenie: Pomoc w czytelni",
    ]
    assert subjects(smtp.to("trainer@example.org")) == ["Monitoring follow-up due: wola-12"]
    assert subjects(smtp.to("ola@example.org")) == [
        "Potwierdzenie dyżuru: Pomoc w czytelni",
        "Zatwierdzone godziny: 2,5 h",
        "Zaświadczenie o wolontariacie jest gotowe",
        "Zgłoszenie przyjęte: Pomoc w czytelni",
        "Zmiana terminu: Pomoc w czytelni",
    ]
    assert subjects(smtp.to("ewa@example.org")) == [
        "Kopia dla opiekuna: Potwierdzenie dyżuru: Pomoc w czytelni",
        "Kopia dla opiekuna: Zgłoszenie przyjęte: Pomoc w czytelni",
        "Kopia dla opiekuna: Zmiana terminu: Pomoc w czytelni",
    ]
    jan = smtp.to("jan@example.org")
    assert subjects(jan) == [
        "A place is yours: Pomoc w czytelni",
        "A task for you: Pomoc w czytelni",
        "Application not accepted: Pomoc w czytelni",
    ]
    # The proposal's links: signed for this proposal, one to accept and one to decline.
    proposal = next(mail for mail in jan if mail.subject.startswith("A task"))
    links = [line for line in proposal.body.splitlines() if "/propozycje/" in line]
    actions = []
    for line in links:
        url = urlparse(line.split(": ", 1)[1])
        assert url.netloc == "console.test"
        assert url.path == f"/wolontariusz/propozycje/{proposal_id}"
        query = parse_qs(url.query)
        claims = verify_link_token(
            "local-development-proposal-link-secret", query["token"][0], purpose="proposal.respond"
        )
        assert claims.subject == proposal_id
        assert query["action"] == [claims.extra["action"]]
        actions.append(claims.extra["action"])
    assert actions == ["accept", "decline"]
    # Every message to a volunteer opens their own pages; the guardian's copy does not.
    my_page = next(line for line in proposal.body.splitlines() if "/wolontariusz/wejscie" in line)
    session = verify_link_token(
        "local-development-volunteer-link-secret",
        parse_qs(urlparse(my_page.split(": ", 1)[1]).query)["t"][0],
        purpose="volunteer.session",
    )
    assert session.subject == adult
    assert not any("/wolontariusz/" in mail.body for mail in smtp.to("ewa@example.org"))
    # SMS only for what is urgent, and only with consent: the minor agreed, the adult did not.
    await eventually(lambda: _sms_count(setup.sms, 1))
    assert [(m["to"], m["text"].split(":")[0]) for m in setup.sms.received] == [
        ("+48600100200", "Zmiana terminu")
    ]

    # Three days before the start, one of two places is filled: the coordinator hears of it.
    setup.clock.set(moved - timedelta(days=3) + timedelta(minutes=1))
    await eventually(lambda: _count(smtp, "koordynator@example.org", 3))
    assert "Brakuje wolontariuszy" in subjects(smtp.to("koordynator@example.org"))[0]
    # 24 hours before the (moved) shift: the reminder, by email, SMS and to the guardian.
    setup.clock.set(moved - timedelta(hours=24) + timedelta(minutes=1))
    await eventually(lambda: _count(smtp, "ewa@example.org", 4))
    await setup.settled()
    assert "Przypomnienie: Pomoc w czytelni" in subjects(smtp.to("ola@example.org"))[1]
    await eventually(lambda: _sms_count(setup.sms, 2))
    # The task is cancelled: the volunteer hears of it, the guardian too.
    await setup.send("matching", "task.cancelled.v1", task(task_id, moved, reason="remont"))
    await eventually(lambda: _count(smtp, "ewa@example.org", 5))
    await eventually(lambda: _count(smtp, "ola@example.org", 7))
    cancelled = [m for m in smtp.to("ola@example.org") if m.subject.startswith("Odwołany")]
    assert len(cancelled) == 1 and "Powód: remont" in cancelled[0].body
    await setup.settled()
    # Every email exactly once, with a distinct Message-ID; every one in the delivery log.
    ids = [mail.message_id for mail in smtp.received]
    assert len(ids) == len(set(ids)) == 19
    assert (
        await setup.rows(
            "SELECT count(*) FROM notifications.messages"
            " WHERE channel = 'email' AND status = 'sent'"
        )
        == 19
    )


async def _count(smtp: MailCatcher, address: str, expected: int) -> bool:
    return len(smtp.to(address)) >= expected


async def _sms_count(sms: SmsProvider, expected: int) -> bool:
    return len(sms.received) >= expected


async def _known(setup: Setup, table: str, expected: int = 1) -> None:
    async def present() -> bool:
        return await setup.rows(f"SELECT count(*) FROM notifications.{table}") >= expected

    await eventually(present, message=f"notifications.{table} was not filled")


async def test_a_duplicate_event_sends_one_email(setup: Setup) -> None:
    volunteer, task_id = str(uuid.uuid4()), str(uuid.uuid4())
    await setup.send(
        "matching", "volunteer.contact.changed.v1", contact(volunteer, "a@example.org")
    )
    await _known(setup, "volunteer_contacts")
    accepted = integration_event(
        "matching", "application.accepted.v1",
        facts(volunteer, task_id, application_id=str(uuid.uuid4())),
    )  # fmt: skip
    await publish(setup.platform, accepted)
    await publish(setup.platform, accepted)
    # The same fact under another event id (a republished copy) makes no second message.
    await publish(setup.platform, {**accepted, "id": str(uuid.uuid4())})
    # A later message to the same person shows both copies were handled before it.
    await setup.send("matching", "certificate.issued.v1", {
        "certificate_id": str(uuid.uuid4()), "volunteer_id": volunteer, "branch_id": BRANCH_ID,
        "branch_code": BRANCH})  # fmt: skip
    await eventually(lambda: _count(setup.smtp, "a@example.org", 2))
    await setup.settled()
    assert subjects(setup.smtp.to("a@example.org")) == [
        "Zaświadczenie o wolontariacie jest gotowe",
        "Zgłoszenie przyjęte: —",
    ]


async def test_without_consent_nothing_goes_to_that_channel(setup: Setup) -> None:
    volunteer, task_id = str(uuid.uuid4()), str(uuid.uuid4())
    guardian = {"name": "Ewa", "email": "ewa@example.org", "phone": None}
    await setup.send("matching", "volunteer.contact.changed.v1", contact(
        volunteer, "a@example.org", email_consent=False, sms_consent=False, phone="+48600100200",
        guardian=guardian))  # fmt: skip
    await _known(setup, "volunteer_contacts")
    await setup.send("matching", "assignment.confirmed.v1",
                     assignment(volunteer, task_id, NOON + timedelta(hours=3)))  # fmt: skip
    await _known(setup, "assignments", 1)  # before the change
    await setup.send("matching", "task.changed.v1", task(task_id, NOON + timedelta(hours=5)))
    await _known(setup, "tasks")
    await setup.service.sender.drain()
    channels = await setup.platform.fetch(
        "SELECT channel, template FROM notifications.messages ORDER BY template"
    )
    # Only the person's own inbox; no email, no SMS, no copy to the guardian.
    assert {row["channel"] for row in channels} == {"in_app"}
    assert "assignment_confirmed" in {row["template"] for row in channels}
    assert setup.smtp.received == [] and setup.sms.received == []


async def test_smtp_down_is_retried_and_delivered_later(
    platform: TestPlatform, sms: SmsProvider, tmp_path: Path
) -> None:
    down = MailCatcher(free_port())  # not started yet: nothing listens on its port
    async with started(
        platform, down, sms, tmp_path, clock_file="", retry_first_delay_s=0.2,
        retry_max_delay_s=0.5, smtp_timeout_s=2,
    ) as setup:  # fmt: skip
        volunteer = str(uuid.uuid4())
        await setup.send("matching", "volunteer.contact.changed.v1",
                         contact(volunteer, "a@example.org"))  # fmt: skip
        await _known(setup, "volunteer_contacts")
        await setup.send("matching", "certificate.issued.v1", {
            "certificate_id": str(uuid.uuid4()), "volunteer_id": volunteer,
            "branch_id": BRANCH_ID, "branch_code": BRANCH})  # fmt: skip

        async def retried() -> bool:
            return (
                await setup.rows(
                    "SELECT count(*) FROM notifications.delivery_log WHERE status = 'retry'"
                )
                >= 2
            )

        await eventually(retried, message="the failed send was not retried")
        down.start()
        try:
            await eventually(lambda: _count(down, "a@example.org", 1))

            async def recorded() -> Any:
                rows = await platform.fetch(
                    "SELECT status, attempts FROM notifications.messages"
                    " WHERE channel = 'email' AND status = 'sent'"
                )
                return rows[0] if rows else None

            row = await eventually(recorded, message="the delivery was not recorded")
            assert row["attempts"] >= 3
            log = await platform.fetch(
                "SELECT l.status, l.detail FROM notifications.delivery_log l"
                " JOIN notifications.messages m ON m.id = l.message_id"
                " WHERE m.channel = 'email' ORDER BY l.id"
            )
            assert log[0]["status"] == "queued" and log[-1]["status"] == "sent"
            assert "SMTP unavailable" in log[1]["detail"]
        finally:
            down.stop()
    assert len(down.received) == 1


async def test_a_rejected_address_fails_for_good_and_is_reported(setup: Setup) -> None:
    volunteer = str(uuid.uuid4())
    setup.smtp.reject("gone@example.org")
    await setup.send("matching", "volunteer.contact.changed.v1",
                     contact(volunteer, "gone@example.org"))  # fmt: skip
    await _known(setup, "volunteer_contacts")
    await setup.send("matching", "certificate.issued.v1", {
        "certificate_id": str(uuid.uuid4()), "volunteer_id": volunteer, "branch_id": BRANCH_ID,
        "branch_code": BRANCH})  # fmt: skip

    async def failed() -> Any:
        rows = await setup.platform.fetch(
            "SELECT id, status, attempts, last_answer FROM notifications.messages"
            " WHERE channel = 'email' AND status = 'failed'"
        )
        return rows[0] if rows else None

    message = await eventually(failed)
    assert message["attempts"] == 1 and "550" in message["last_answer"]
    reported = await setup.platform.fetch(
        "SELECT body FROM notifications.outbox WHERE event_type = $1",
        "pl.waw.volunteering.notifications.message.failed.v1",
    )
    assert len(reported) == 1 and str(message["id"]) in str(reported[0]["body"])


async def test_no_sms_at_night_it_waits_for_eight(setup: Setup) -> None:
    volunteer, task_id = str(uuid.uuid4()), str(uuid.uuid4())
    night = datetime(2026, 11, 24, 22, 30, tzinfo=UTC)  # 23:30 in Warsaw
    setup.clock.set(night)
    await setup.send("matching", "volunteer.contact.changed.v1", contact(
        volunteer, "a@example.org", sms_consent=True, phone="+48600100200"))  # fmt: skip
    await _known(setup, "volunteer_contacts")
    await setup.send("matching", "assignment.confirmed.v1",
                     assignment(volunteer, task_id, night + timedelta(hours=36)))  # fmt: skip
    await setup.send("matching", "task.published.v1", task(task_id, night + timedelta(hours=36)))
    await _known(setup, "assignments", 1)  # before the change
    await setup.send("matching", "task.changed.v1", task(task_id, night + timedelta(hours=40)))
    await eventually(lambda: _count(setup.smtp, "a@example.org", 2))
    await setup.settled()
    assert setup.sms.received == []
    setup.clock.set(datetime(2026, 11, 25, 7, 0, tzinfo=UTC))  # 08:00 in Warsaw
    await eventually(lambda: _sms_count(setup.sms, 1))
    assert setup.sms.received[0]["text"].startswith("Zmiana terminu")


async def test_erasure_forgets_the_person_and_cancels_what_was_pending(setup: Setup) -> None:
    volunteer, task_id = str(uuid.uuid4()), str(uuid.uuid4())
    night = datetime(2026, 11, 24, 22, 30, tzinfo=UTC)
    setup.clock.set(night)  # the SMS waits for the morning: still queued when erased
    await setup.send("matching", "volunteer.contact.changed.v1", contact(
        volunteer, "a@example.org", sms_consent=True, phone="+48600100200"))  # fmt: skip
    await _known(setup, "volunteer_contacts")
    await setup.send("matching", "task.published.v1", task(task_id, night + timedelta(days=2)))
    confirmed = assignment(volunteer, task_id, night + timedelta(days=2))
    await setup.send("matching", "assignment.confirmed.v1", confirmed)
    await _known(setup, "assignments", 1)  # before the change
    await setup.send("matching", "task.changed.v1", task(task_id, night + timedelta(days=3)))
    await setup.send("matching", "shift.planned.v1", planned(confirmed, night + timedelta(days=3)))
    await eventually(lambda: _count(setup.smtp, "a@example.org", 2))
    await _known(setup, "reminders")
    await setup.settled()
    await setup.send("matching", "volunteer.erased.v1", {"volunteer_id": volunteer})
    await _known(setup, "erased_volunteers")
    # A late copy of the contact data does not bring the person back.
    await setup.send(
        "matching", "volunteer.contact.changed.v1", contact(volunteer, "a@example.org")
    )
    await setup.send("matching", "certificate.issued.v1", {
        "certificate_id": str(uuid.uuid4()), "volunteer_id": volunteer, "branch_id": BRANCH_ID,
        "branch_code": BRANCH})  # fmt: skip
    setup.clock.set(night + timedelta(days=3))  # past 08:00 and past the reminder's time
    await setup.service.sender.drain()

    async def inbox_drained() -> bool:
        return (
            await setup.rows(
                "SELECT count(*) FROM notifications.inbox WHERE event_type LIKE '%certificate%'"
            )
            == 1
        )

    await eventually(inbox_drained)
    await setup.service.sender.drain()
    platform = setup.platform
    assert await setup.rows("SELECT count(*) FROM notifications.volunteer_contacts") == 0
    assert (
        await setup.rows(
            "SELECT count(*) FROM notifications.messages WHERE address IS NOT NULL"
            " OR body IS NOT NULL OR channel = 'in_app'"
        )
        == 0
    )
    statuses = await platform.fetch(
        "SELECT channel, status FROM notifications.messages ORDER BY channel, status"
    )
    assert [tuple(r) for r in statuses] == [
        ("email", "sent"),
        ("email", "sent"),
        ("sms", "cancelled"),
    ]
    reminder = await platform.fetchval(
        "SELECT status FROM notifications.reminders WHERE kind = 'shift_reminder'"
    )
    assert reminder == "cancelled"
    assert len(setup.smtp.received) == 2 and setup.sms.received == []


async def test_a_coordinator_who_prefers_it_gets_one_daily_digest(setup: Setup) -> None:
    coordinator, task_id = str(uuid.uuid4()), str(uuid.uuid4())
    await setup.send("registry", "coordinator.assigned.v1",
                     staff("coordinator", coordinator, "k@example.org", "pl"))  # fmt: skip
    await _known(setup, "staff")
    async with setup.service.unit_of_work() as uow:
        await preferences.set_staff_preference(uow, uuid.UUID(coordinator), True)
    for _ in range(2):
        application = facts(str(uuid.uuid4()), task_id, application_id=str(uuid.uuid4()))
        await setup.send("matching", "application.submitted.v1", application)

    async def held() -> bool:
        return (
            await setup.rows("SELECT count(*) FROM notifications.messages WHERE status = 'held'")
            == 2
        )

    await eventually(held)
    await setup.service.sender.drain()
    assert setup.smtp.received == []
    digest_at = await setup.platform.fetchval(
        "SELECT due_at FROM notifications.reminders WHERE kind = 'daily_digest'"
    )
    assert digest_at == datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 07:00 in Warsaw
    setup.clock.set(digest_at)
    await eventually(lambda: _count(setup.smtp, "k@example.org", 1))
    (digest,) = setup.smtp.to("k@example.org")
    assert digest.subject == "Podsumowanie dnia (2)"
    assert digest.body.count("wola-12: Nowe zgłoszenie") == 2
    assert (
        await setup.rows("SELECT count(*) FROM notifications.messages WHERE status = 'digested'")
        == 2
    )


async def test_no_unfilled_check_for_a_task_published_close_to_its_start(setup: Setup) -> None:
    await setup.send("matching", "task.published.v1",
                     task(str(uuid.uuid4()), NOON + timedelta(days=1)))  # fmt: skip
    await _known(setup, "tasks")
    assert await setup.rows("SELECT count(*) FROM notifications.reminders") == 0


async def test_a_cancelled_shift_cancels_its_reminder(setup: Setup) -> None:
    volunteer, task_id = str(uuid.uuid4()), str(uuid.uuid4())
    await setup.send(
        "matching", "volunteer.contact.changed.v1", contact(volunteer, "a@example.org")
    )
    await _known(setup, "volunteer_contacts")
    starts = NOON + timedelta(days=2)
    confirmed = assignment(volunteer, task_id, starts)
    await setup.send("matching", "assignment.confirmed.v1", confirmed)
    await setup.send("matching", "shift.planned.v1", planned(confirmed, starts))
    await _known(setup, "reminders")
    await setup.send("matching", "assignment.cancelled.v1", confirmed)
    await eventually(lambda: _count(setup.smtp, "a@example.org", 2))
    assert await setup.platform.fetchval("SELECT status FROM notifications.reminders") == (
        "cancelled"
    )
    setup.clock.set(starts - timedelta(hours=1))
    await setup.service.sender.drain()
    assert subjects(setup.smtp.to("a@example.org")) == [
        "Odwołany dyżur: —",
        "Potwierdzenie dyżuru: —",
    ]
