"""Milestones reached: recorded when hours are approved and when a date is marked attended
(by the coordinator, the kiosk or a completed place), once each per volunteer, and announced
(``milestone.reached.v1``) so that notifications thanks the person.

"One year" is read at those moments too: it is recorded with the first shift or approval
after the anniversary of the first day."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select

from matching.domain import milestones as rules
from matching.domain.occurrences import ShiftState
from matching.domain.schedule import WARSAW
from matching.events import MilestoneReached
from matching.tables import HoursEntry, Milestone, Occurrence, Volunteer
from shared.unit_of_work import UnitOfWork

# hours.APPROVED (hours builds on this module, so the word is repeated here).
APPROVED = "approved"


async def approved_total(
    uow: UnitOfWork, volunteer_id: uuid.UUID, *, since: date | None = None
) -> Decimal:
    query = select(sa.func.coalesce(sa.func.sum(HoursEntry.hours), 0)).where(
        HoursEntry.volunteer_id == volunteer_id, HoursEntry.status == APPROVED
    )
    if since is not None:
        query = query.where(col(HoursEntry.worked_on) >= since)
    return Decimal((await uow.session.exec(query)).one())


async def _first_day(uow: UnitOfWork, volunteer_id: uuid.UUID) -> date | None:
    attended = await uow.session.exec(
        select(sa.func.min(Occurrence.occurrence_date)).where(
            Occurrence.volunteer_id == volunteer_id, Occurrence.state == ShiftState.ATTENDED
        )
    )
    worked = await uow.session.exec(
        select(sa.func.min(HoursEntry.worked_on)).where(
            HoursEntry.volunteer_id == volunteer_id, HoursEntry.status == APPROVED
        )
    )
    days = [day for day in (attended.one(), worked.one()) if day is not None]
    return min(days) if days else None


async def record(
    uow: UnitOfWork, volunteer_id: uuid.UUID, branch_id: uuid.UUID | None
) -> list[str]:
    """The milestones reached now and not before, recorded and announced. An erased person
    has no one to thank: nothing is recorded for them."""
    volunteer = await uow.session.get(Volunteer, volunteer_id)
    if volunteer is None or volunteer.erased_at is not None:
        return []
    await uow.session.flush()  # the approval or mark of this unit of work counts
    facts = rules.Record(
        approved_hours=await approved_total(uow, volunteer_id),
        first_day=await _first_day(uow, volunteer_id),
    )
    now = datetime.now(UTC)
    new: list[str] = []
    connection = await uow.session.connection()
    for name in rules.reached(facts, now.astimezone(WARSAW).date()):
        inserted: sa.CursorResult[Any] = await connection.execute(
            insert(Milestone.__table__)  # type: ignore[attr-defined]
            .values(
                volunteer_id=volunteer_id,
                milestone=name,
                reached_at=now,
                approved_hours=facts.approved_hours,
                branch_id=branch_id,
            )
            .on_conflict_do_nothing()
            .returning(sa.literal_column("milestone"))
        )
        if inserted.first() is None:
            continue  # reached before (or by a concurrent approval that committed first)
        new.append(name)
        await uow.emit(
            MilestoneReached(
                volunteer_id=volunteer_id,
                milestone=name,
                reached_at=now,
                approved_hours=facts.approved_hours,
                branch_id=branch_id,
            ),
            subject=str(volunteer_id),
        )
    return new


async def of_volunteer(uow: UnitOfWork, volunteer_id: uuid.UUID) -> list[Milestone]:
    query = (
        select(Milestone)
        .where(Milestone.volunteer_id == volunteer_id)
        .order_by(col(Milestone.reached_at), col(Milestone.approved_hours))
    )
    return list((await uow.session.exec(query)).all())
