"""A volunteer's personal iCal feed of the dates they hold, behind an unguessable link."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event
from sqlmodel import col, select

from matching.branches import map_link
from matching.domain.occurrences import ShiftState
from matching.tables import Branch, CalendarFeed, Occurrence, Task, Volunteer
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
    # Every date the person holds (not the ones given up or cancelled), where it happens.
    rows = (
        await uow.session.exec(
            select(Occurrence, Task, Branch)
            .join(Task, col(Task.id) == col(Occurrence.task_id))
            .join(Branch, col(Branch.id) == col(Task.branch_id), isouter=True)
            .where(
                Occurrence.volunteer_id == feed.volunteer_id,
                col(Occurrence.state).in_((ShiftState.PLANNED, ShiftState.ATTENDED)),
            )
            .order_by(col(Occurrence.occurrence_date), col(Occurrence.id))
        )
    ).all()
    calendar = Calendar()
    calendar.add("prodid", "-//Wolontariat w bibliotekach m.st. Warszawy//matching//PL")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Moje dyżury wolontariackie")
    calendar.add("x-wr-timezone", "Europe/Warsaw")
    stamp = datetime.now(UTC)
    for occurrence, task, branch in rows:
        event = Event()
        event.add("uid", f"{occurrence.id}@matching.volunteering.waw.pl")
        event.add("dtstamp", stamp)
        if occurrence.starts_at is None or occurrence.ends_at is None:
            # A flexible task: its period, all day, without a made-up hour.
            event.add("summary", f"{task.title} ({task.hours} h do rozplanowania)")
            event.add("dtstart", occurrence.occurrence_date)
            event.add("dtend", occurrence.until + timedelta(days=1))
        else:
            event.add("summary", task.title)
            event.add("dtstart", occurrence.starts_at.astimezone(UTC))
            event.add("dtend", occurrence.ends_at.astimezone(UTC))
        place = branch.name if branch is not None else task.branch_code
        address = branch.address if branch is not None else None
        event.add("location", f"{place}, {address}" if address else place)
        where = map_link(address)
        event.add(
            "description",
            f"Zadanie {task.id} w placówce {place}" + (f"\nMapa: {where}" if where else ""),
        )
        calendar.add_component(event)
    return bytes(calendar.to_ical())


async def forget_feed(uow: UnitOfWork, volunteer_id: uuid.UUID) -> None:
    feed = await uow.session.get(CalendarFeed, volunteer_id)
    if feed is not None:
        await uow.session.delete(feed)
