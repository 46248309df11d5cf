"""A volunteer's personal iCal feed of confirmed shifts, behind an unguessable link."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime

from icalendar import Calendar, Event
from sqlmodel import col, select

from matching.assignments import CONFIRMED
from matching.domain.schedule import WARSAW, ScheduleKind
from matching.tables import Assignment, CalendarFeed, Task, Volunteer
from matching.tasks import occurrences
from shared.problems import Problem
from shared.unit_of_work import UnitOfWork


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_feed(uow: UnitOfWork, volunteer_id: uuid.UUID) -> str:
    """A new secret link (any older link stops working); only its digest is stored."""
    volunteer = await uow.session.get(Volunteer, volunteer_id)
    if volunteer is None or volunteer.erased_at is not None:
        raise Problem(404, "Volunteer not found", f"no volunteer with id {volunteer_id}")
    token = secrets.token_urlsafe(32)
    feed = await uow.session.get(CalendarFeed, volunteer_id, with_for_update=True)
    if feed is None:
        feed = CalendarFeed(
            volunteer_id=volunteer_id, token_digest="", created_at=datetime.now(UTC)
        )
    feed.token_digest = _digest(token)
    feed.created_at = datetime.now(UTC)
    uow.session.add(feed)
    return token


async def render_feed(uow: UnitOfWork, token: str) -> bytes:
    feed = (
        await uow.session.exec(
            select(CalendarFeed).where(CalendarFeed.token_digest == _digest(token))
        )
    ).first()
    if feed is None:
        raise Problem(404, "Feed not found", "this calendar link does not exist (any more)")
    rows = (
        await uow.session.exec(
            select(Assignment, Task)
            .join(Task, col(Task.id) == col(Assignment.task_id))
            .where(Assignment.volunteer_id == feed.volunteer_id, Assignment.status == CONFIRMED)
            .order_by(col(Task.starts_at))
        )
    ).all()
    calendar = Calendar()
    calendar.add("prodid", "-//Wolontariat w bibliotekach m.st. Warszawy//matching//PL")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Moje dyżury wolontariackie")
    calendar.add("x-wr-timezone", "Europe/Warsaw")
    stamp = datetime.now(UTC)
    for assignment, task in rows:
        if task.schedule_kind == ScheduleKind.FLEXIBLE:
            event = Event()
            event.add("uid", f"{assignment.id}@matching.volunteering.waw.pl")
            event.add("dtstamp", stamp)
            event.add("summary", f"{task.title} ({task.hours} h do rozplanowania)")
            event.add("dtstart", task.starts_at.astimezone(WARSAW).date())
            event.add("dtend", task.ends_at.astimezone(WARSAW).date())
            event.add("location", task.branch_code)
            calendar.add_component(event)
            continue
        for index, shift in enumerate(occurrences(task)):
            event = Event()
            event.add("uid", f"{assignment.id}-{index}@matching.volunteering.waw.pl")
            event.add("dtstamp", stamp)
            event.add("summary", task.title)
            event.add("dtstart", shift.starts_at.astimezone(UTC))
            event.add("dtend", shift.ends_at.astimezone(UTC))
            event.add("location", task.branch_code)
            event.add("description", f"Zadanie {task.id} w placówce {task.branch_code}")
            calendar.add_component(event)
    return bytes(calendar.to_ical())


async def forget_feed(uow: UnitOfWork, volunteer_id: uuid.UUID) -> None:
    feed = await uow.session.get(CalendarFeed, volunteer_id)
    if feed is not None:
        await uow.session.delete(feed)
