"""Notifications and a volunteer's dates (matching's shift.* events), their branch as registry
describes it, and thanks for milestones: on the real broker, database and an SMTP server,
with the events published from outside as matching and registry publish them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from notifications import preferences
from notifications.app import NotificationsService
from notifications.clock import FileClock
from notifications.testing import MailCatcher, integration_event, publish
from shared.testing.platform import TestPlatform, eventually, free_port

NOON = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)  # 12:00 in Warsaw
BRANCH_ID = str(uuid.uuid4())
CODE = "bialoleka-29"
NAME = "Biblioteka Białołęka, Wypożyczalnia nr 29"
ADDRESS = "ul. Van Gogha 1, 03-188 Warszawa"
MAP = "https://mapa.um.warszawa.pl/?q=ul.%20Van%20Gogha%201%2C%2003-188%20Warszawa"
OPENING_HOURS = [
    {"day": "mon", "opens": "12:00", "closes": "19:00"},
    {"day": "sat", "opens": "10:00", "closes": "14:00"},
]


@dataclass
class Setup:
    platform: TestPlatform
    service: NotificationsService
    smtp: MailCatcher
    clock: FileClock

    async def send(self, service: str, fact: str, data: dict[str, Any]) -> None:
        await publish(self.platform, integration_event(service, fact, data))

    async def count(self, query: str, *args: Any) -> int:
        return int(await self.platform.fetchval(query, *args) or 0)

    async def until(self, query: str, *args: Any, expected: int = 1) -> None:
        async def reached() -> bool:
            return await self.count(query, *args) >= expected

        await eventually(reached, message=f"not reached: {query}")

    async def mails_to(self, address: str, expected: int) -> list[Any]:
        async def arrived() -> list[Any] | None:
            await self.service.sender.drain()
            mails = self.smtp.to(address)
            return mails if len(mails) >= expected else None

        found = await eventually(arrived, message=f"{expected} mails to {address} did not come")
        assert found is not None
        return list(found)


@pytest.fixture
def smtp() -> Iterator[MailCatcher]:
    catcher = MailCatcher(free_port()).start()
    yield catcher
    catcher.stop()


@pytest.fixture
async def setup(platform: TestPlatform, smtp: MailCatcher, tmp_path: Path) -> AsyncIterator[Setup]:
    clock = FileClock(tmp_path / "now")
    clock.set(NOON)
    async with platform.running(
        "notifications",
        smtp_port=smtp.port,
        clock_file=tmp_path / "now",
        sender_poll_interval_s=0.1,
        console_public_url="http://console.test",
    ) as (service,):
        assert isinstance(service, NotificationsService)
        yield Setup(platform, service, smtp, clock)


def contact(volunteer_id: str, email: str, language: str = "pl") -> dict[str, Any]:
    return {
        "volunteer_id": volunteer_id, "first_name": "Ola", "email": email, "phone": None,
        "consents": {"email": True, "sms": False}, "language": language, "guardian": None,
    }  # fmt: skip


def branch(**changes: Any) -> dict[str, Any]:
    return {
        "branch_id": BRANCH_ID, "code": CODE, "name": NAME, "district": "bialoleka",
        "institution_type": "library_branch", "district_library": None, "address": ADDRESS,
        "opening_hours": OPENING_HOURS, **changes,
    }  # fmt: skip


def shift(
    confirmed: dict[str, Any], day: date, starts_at: datetime | None, **changes: Any
) -> dict[str, Any]:
    """A date of the assignment, as matching's shift.* events carry it."""
    return {
        **confirmed,
        "occurrence_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{confirmed['assignment_id']}/{day}")),
        "occurrence_date": day.isoformat(),
        "starts_at": starts_at.isoformat() if starts_at else None,
        "ends_at": (starts_at + timedelta(hours=2)).isoformat() if starts_at else None,
        **changes,
    }


SHIFT_REMINDERS = "SELECT count(*) FROM notifications.reminders WHERE kind = 'shift_reminder'"


async def reminder(setup: Setup, occurrence: dict[str, Any]) -> Any:
    rows = await setup.platform.fetch(
        "SELECT status, due_at FROM notifications.reminders WHERE key = $1",
        f"shift_reminder:{occurrence['occurrence_id']}",
    )
    return rows[0] if rows else None


async def test_each_date_is_reminded_at_the_persons_lead_time_and_an_excuse_cancels_it(
    setup: Setup,
) -> None:
    volunteer, task_id, coordinator = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    first = NOON + timedelta(days=2)  # too close for the task's unfilled-places check
    await setup.send("registry", "branch.registered.v1", branch(address="ul. Stara 1"))
    await setup.send("registry", "branch.updated.v1", branch())
    await setup.send("registry", "coordinator.assigned.v1", {
        "branch_id": BRANCH_ID, "code": CODE, "staff_id": coordinator, "name": "Anna",
        "email": "koordynator@example.org", "language": "pl"})  # fmt: skip
    await setup.send("matching", "volunteer.contact.changed.v1",
                     contact(volunteer, "ola@example.org"))  # fmt: skip
    await setup.send("matching", "task.published.v1", {
        "task_id": task_id, "branch_id": BRANCH_ID, "branch_code": CODE, "type": "reading_help",
        "title": "Głośne czytanie", "starts_at": first.isoformat(),
        "ends_at": (first + timedelta(hours=2)).isoformat(), "places": 2})  # fmt: skip
    await setup.until("SELECT count(*) FROM notifications.volunteer_contacts")
    await setup.until("SELECT count(*) FROM notifications.staff")
    await setup.until("SELECT count(*) FROM notifications.tasks")
    await setup.until(
        "SELECT count(*) FROM notifications.branches WHERE address = $1 AND name = $2",
        ADDRESS,
        NAME,
    )
    async with setup.service.unit_of_work() as uow:
        await preferences.set_reminder_preference(uow, uuid.UUID(volunteer), 6)

    confirmed = {
        "assignment_id": str(uuid.uuid4()), "task_id": task_id, "volunteer_id": volunteer,
        "branch_id": BRANCH_ID, "branch_code": CODE, "starts_at": first.isoformat(),
        "ends_at": (first + timedelta(hours=2)).isoformat(),
    }  # fmt: skip
    await setup.send("matching", "assignment.confirmed.v1", confirmed)
    await setup.until("SELECT count(*) FROM notifications.assignments")
    # The confirmation itself schedules no reminder: its dates do.
    assert await setup.count(SHIFT_REMINDERS) == 0

    second = first + timedelta(days=7)
    flexible = shift(confirmed, (first + timedelta(days=2)).date(), None)
    dated = shift(confirmed, first.date(), first)
    excused = shift(confirmed, second.date(), second)
    for occurrence in (dated, flexible, excused):
        await setup.send("matching", "shift.planned.v1", occurrence)
    await setup.until(SHIFT_REMINDERS, expected=2)
    assert await reminder(setup, flexible) is None  # a date without a time: no reminder
    planned = await reminder(setup, dated)
    assert (planned["status"], planned["due_at"]) == ("pending", first - timedelta(hours=6))
    assert (await reminder(setup, excused))["due_at"] == second - timedelta(hours=6)

    # The volunteer cannot come on the second date: its reminder goes, the coordinator hears.
    await setup.send("matching", "shift.excused.v1", excused)
    [told] = await setup.mails_to("koordynator@example.org", 1)
    assert told.subject == "Wolontariusz nie przyjdzie 03.12.2026: Głośne czytanie"
    assert f"w bibliotece {NAME}: 03.12.2026 12:00–14:00" in told.body
    assert f"http://console.test/koordynator/wolontariusze/{volunteer}" in told.body
    assert (await reminder(setup, excused))["status"] == "cancelled"

    # The first date's reminder, six hours before: where the branch is and when it is open.
    setup.clock.set(first - timedelta(hours=6) + timedelta(minutes=1))
    mails = await setup.mails_to("ola@example.org", 2)  # the confirmation, the reminder
    [reminded] = [mail for mail in mails if mail.subject.startswith("Przypomnienie")]
    assert f"„Głośne czytanie” w bibliotece {NAME}: 26.11.2026 12:00–14:00" in reminded.body
    assert f"Adres: {ADDRESS}" in reminded.body and f"Mapa: {MAP}" in reminded.body
    assert "Godziny otwarcia: pon. 12:00–19:00, sob. 10:00–14:00" in reminded.body
    assert CODE not in reminded.body

    # Past the excused date's time: nothing more is sent to the volunteer.
    setup.clock.set(second - timedelta(hours=1))
    await setup.service.sender.drain()
    assert len(setup.smtp.to("ola@example.org")) == 2

    # A date removed (shift.cancelled) and a cancellation that came before the plan itself.
    later = second + timedelta(days=7)
    removed = shift(confirmed, later.date(), later)
    await setup.send("matching", "shift.planned.v1", removed)
    await setup.until(SHIFT_REMINDERS, expected=3)
    await setup.send("matching", "shift.cancelled.v1", removed)
    early = shift(confirmed, (later + timedelta(days=7)).date(), later + timedelta(days=7))
    await setup.send("matching", "shift.excused.v1", early)
    await setup.mails_to("koordynator@example.org", 2)
    await setup.send("matching", "shift.planned.v1", early)
    # Then the whole assignment is cancelled: every date's reminder goes.
    last = shift(confirmed, (later + timedelta(days=14)).date(), later + timedelta(days=14))
    await setup.send("matching", "shift.planned.v1", last)
    await setup.until(SHIFT_REMINDERS, expected=5)
    await setup.send("matching", "assignment.cancelled.v1", confirmed)
    await setup.until("SELECT count(*) FROM notifications.assignments WHERE status = 'cancelled'")
    statuses = await setup.platform.fetch(
        "SELECT status FROM notifications.reminders WHERE kind = 'shift_reminder'"
    )
    assert sorted(row["status"] for row in statuses) == ["cancelled"] * 4 + ["done"]

    # Forgotten: what the coordinators were told about the person loses its text too.
    await setup.send("matching", "volunteer.erased.v1", {"volunteer_id": volunteer})
    await setup.until("SELECT count(*) FROM notifications.erased_volunteers")
    assert (
        await setup.count(
            "SELECT count(*) FROM notifications.messages"
            " WHERE template = 'shift_excused' AND body IS NOT NULL"
        )
        == 0
    )


async def test_a_milestone_is_thanked_for_in_the_volunteers_language(setup: Setup) -> None:
    polish, english, forgotten = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    await setup.send("registry", "branch.registered.v1", branch())
    await setup.send("matching", "volunteer.contact.changed.v1",
                     contact(polish, "pl@example.org"))  # fmt: skip
    await setup.send("matching", "volunteer.contact.changed.v1",
                     contact(english, "en@example.org", "en"))  # fmt: skip
    await setup.send("matching", "volunteer.contact.changed.v1",
                     contact(forgotten, "gone@example.org"))  # fmt: skip
    await setup.send("matching", "volunteer.erased.v1", {"volunteer_id": forgotten})
    await setup.until("SELECT count(*) FROM notifications.volunteer_contacts", expected=2)
    await setup.until("SELECT count(*) FROM notifications.erased_volunteers")
    await setup.until("SELECT count(*) FROM notifications.branches")

    def reached(volunteer: str, milestone: str, hours: str, branch_id: str | None) -> Any:
        return {"volunteer_id": volunteer, "milestone": milestone,
                "reached_at": NOON.isoformat(), "approved_hours": hours,
                "branch_id": branch_id}  # fmt: skip

    ten = reached(polish, "hours_10", "10.50", BRANCH_ID)
    await setup.send("matching", "milestone.reached.v1", ten)
    await setup.send("matching", "milestone.reached.v1", ten)  # told twice: thanked once
    await setup.send("matching", "milestone.reached.v1", reached(polish, "first_shift", "2", None))
    await setup.send("matching", "milestone.reached.v1", reached(english, "hours_25", "25", None))
    await setup.send("matching", "milestone.reached.v1", reached(forgotten, "hours_10", "10", None))
    thanked = await setup.mails_to("pl@example.org", 2)
    by_subject = {mail.subject: mail for mail in thanked}
    assert sorted(by_subject) == [
        "10 godzin wolontariatu — dziękujemy!",
        "Dziękujemy za pierwszy dyżur!",
    ]
    ten_body = by_subject["10 godzin wolontariatu — dziękujemy!"].body
    assert "Masz już za sobą 10 godzin wolontariatu." in ten_body
    assert "Zatwierdzony czas Twojej pracy: 10,5 godziny." in ten_body
    assert f"Dziękujemy w imieniu biblioteki {NAME}." in ten_body
    first_body = by_subject["Dziękujemy za pierwszy dyżur!"].body
    assert "Zatwierdzony czas Twojej pracy: 2 godziny." in first_body
    [english_mail] = await setup.mails_to("en@example.org", 1)
    assert english_mail.subject == "25 hours of volunteering — thank you!"
    assert "Your approved time: 25 hours." in english_mail.body
    await setup.until(
        "SELECT count(*) FROM notifications.inbox WHERE event_type LIKE '%milestone%'",
        expected=5,
    )
    await setup.service.sender.drain()
    assert setup.smtp.to("gone@example.org") == []
    assert len(setup.smtp.to("pl@example.org")) == 2


async def test_coordinators_hear_of_withdrawals_and_requests_and_volunteers_of_dates_and_references(
    setup: Setup,
) -> None:
    volunteer, waiting, task_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    first = NOON + timedelta(days=2)
    await setup.send("registry", "branch.registered.v1", branch())
    await setup.send("registry", "coordinator.assigned.v1", {
        "branch_id": BRANCH_ID, "code": CODE, "staff_id": str(uuid.uuid4()), "name": "Anna",
        "email": "anna@example.org", "language": "pl"})  # fmt: skip
    await setup.send("registry", "coordinator.assigned.v1", {
        "branch_id": BRANCH_ID, "code": CODE, "staff_id": str(uuid.uuid4()), "name": "Kate",
        "email": "kate@example.org", "language": "en"})  # fmt: skip
    await setup.send("matching", "volunteer.contact.changed.v1",
                     contact(volunteer, "ola@example.org"))  # fmt: skip
    await setup.send("matching", "volunteer.contact.changed.v1",
                     contact(waiting, "tom@example.org", "en"))  # fmt: skip
    await setup.send("matching", "task.published.v1", {
        "task_id": task_id, "branch_id": BRANCH_ID, "branch_code": CODE, "type": "reading_help",
        "title": "Głośne czytanie", "starts_at": first.isoformat(),
        "ends_at": (first + timedelta(days=14, hours=2)).isoformat(), "places": 1})  # fmt: skip
    await setup.until("SELECT count(*) FROM notifications.volunteer_contacts", expected=2)
    await setup.until("SELECT count(*) FROM notifications.staff", expected=2)
    await setup.until("SELECT count(*) FROM notifications.tasks")
    await setup.until("SELECT count(*) FROM notifications.branches")

    # The volunteer withdraws: both coordinators hear, each in their language, no name.
    application = str(uuid.uuid4())
    await setup.send("matching", "application.withdrawn.v1", {
        "application_id": application, "task_id": task_id, "volunteer_id": volunteer,
        "branch_id": BRANCH_ID, "branch_code": CODE})  # fmt: skip
    [anna] = await setup.mails_to("anna@example.org", 1)
    assert anna.subject == "Zgłoszenie wycofane: Głośne czytanie"
    assert f"w bibliotece {NAME}" in anna.body
    assert f"http://console.test/koordynator/zadania/{task_id}" in anna.body
    [kate] = await setup.mails_to("kate@example.org", 1)
    assert kate.subject == "Application withdrawn: Głośne czytanie"
    assert "Ola" not in anna.body + kate.body

    # The freed date goes to the waitlisted volunteer: a place of dates only is not
    # announced as the whole series; the date is, with where to go and how to decline.
    dates_only = {
        "assignment_id": str(uuid.uuid4()), "task_id": task_id, "volunteer_id": waiting,
        "branch_id": BRANCH_ID, "branch_code": CODE, "starts_at": first.isoformat(),
        "ends_at": (first + timedelta(days=14, hours=2)).isoformat(), "whole_series": False,
    }  # fmt: skip
    await setup.send("matching", "assignment.confirmed.v1", dates_only)
    await setup.until("SELECT count(*) FROM notifications.assignments")
    given = shift(dates_only, (first + timedelta(days=7)).date(), first + timedelta(days=7))
    await setup.send("matching", "shift.planned.v1", given)
    await setup.send("matching", "shift.promoted.v1", given)
    await setup.send("matching", "shift.promoted.v1", given)  # told twice: one message
    [promoted] = await setup.mails_to("tom@example.org", 1)
    assert promoted.subject == "A place opened up on 3 December 2026: Głośne czytanie"
    assert "This date is yours" in promoted.body and f"Address: {ADDRESS}" in promoted.body
    assert "decline this date" in promoted.body
    assert (await reminder(setup, given))["status"] == "pending"
    # They decline it: its reminder goes, and nobody else is told (the waitlist goes on).
    await setup.send("matching", "shift.declined.v1", given)

    async def reminder_cancelled() -> bool:
        return bool((await reminder(setup, given))["status"] == "cancelled")

    await eventually(reminder_cancelled, message="the declined date's reminder stays")

    # A reference: the coordinators are asked to write it, the volunteer told it is ready.
    facts = {
        "reference_id": str(uuid.uuid4()), "agreement_id": str(uuid.uuid4()),
        "volunteer_id": volunteer, "branch_id": BRANCH_ID, "branch_code": CODE,
    }  # fmt: skip
    await setup.send("matching", "reference.requested.v1", facts)
    asked = await setup.mails_to("anna@example.org", 2)
    assert asked[-1].subject == "Prośba o opinię wolontariusza"
    assert "http://console.test/koordynator/opinie" in asked[-1].body
    [english] = (await setup.mails_to("kate@example.org", 2))[-1:]
    assert english.subject == "A volunteer asks for a reference"
    await setup.send("matching", "reference.written.v1", facts)
    [ready] = await setup.mails_to("ola@example.org", 1)
    assert ready.subject == "Twoja opinia jest gotowa"
    assert "http://console.test/wolontariusz/porozumienia" in ready.body
    assert f"w bibliotece {NAME}" in ready.body
    await setup.service.sender.drain()
    assert len(setup.smtp.to("tom@example.org")) == 1
    assert len(setup.smtp.to("anna@example.org")) == len(setup.smtp.to("kate@example.org")) == 2
