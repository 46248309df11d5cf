"""A volunteer's hours at a glance: approved this year and in all, waiting for approval, and
the past dates still without hours, each with a suggestion (the kiosk's check-in and
check-out times where there were both, else the shift's length)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import col, select

from matching import hours
from matching.domain.occurrences import ShiftState, worked_hours
from matching.milestones import approved_total
from matching.occurrences import today
from matching.tables import HoursEntry, Occurrence, Task
from shared.unit_of_work import UnitOfWork

# How far back dates without hours are offered (older ones: ask the coordinator).
LOOK_BACK_DAYS = 90


@dataclass(frozen=True)
class DateToLog:
    occurrence: Occurrence
    task: Task
    suggested: Decimal | None  # None: a flexible task's period, the person knows best
    from_checkin: bool


@dataclass(frozen=True)
class HoursSummary:
    approved_this_year: Decimal
    approved_all_time: Decimal
    waiting: Decimal
    to_log: list[DateToLog]


def suggestion(occurrence: Occurrence) -> tuple[Decimal | None, bool]:
    """What the form is prefilled with, and whether it came from the kiosk."""
    came, left = occurrence.checked_in_at, occurrence.checked_out_at or occurrence.ends_at
    if came is not None and left is not None:
        return worked_hours(came, left), True
    if occurrence.starts_at is not None and occurrence.ends_at is not None:
        return worked_hours(occurrence.starts_at, occurrence.ends_at), False
    return None, False


async def summary(uow: UnitOfWork, volunteer_id: uuid.UUID) -> HoursSummary:
    now = today()
    waiting = await uow.session.exec(
        select(sa.func.coalesce(sa.func.sum(HoursEntry.hours), 0)).where(
            HoursEntry.volunteer_id == volunteer_id, HoursEntry.status == hours.LOGGED
        )
    )
    # A date has its hours when an entry (not rejected) names the same assignment and day.
    logged = (
        sa.select(sa.literal(1))
        .where(
            col(HoursEntry.assignment_id) == col(Occurrence.assignment_id),
            col(HoursEntry.worked_on) == col(Occurrence.occurrence_date),
            col(HoursEntry.status) != hours.REJECTED,
        )
        .exists()
    )
    rows = await uow.session.exec(
        select(Occurrence, Task)
        .join(Task, col(Task.id) == col(Occurrence.task_id))
        .where(
            Occurrence.volunteer_id == volunteer_id,
            col(Occurrence.state).in_((ShiftState.PLANNED, ShiftState.ATTENDED)),
            col(Occurrence.occurrence_date) <= now,
            col(Occurrence.occurrence_date) >= date.fromordinal(now.toordinal() - LOOK_BACK_DAYS),
            col(Occurrence.hours_entry_id).is_(None),
            # A flexible task's period stays on the list: its hours come day by day.
            sa.or_(col(Occurrence.starts_at).is_(None), ~logged),
        )
        .order_by(col(Occurrence.occurrence_date).desc(), col(Occurrence.id))
    )
    to_log = []
    for occurrence, task in rows.all():
        suggested, from_checkin = suggestion(occurrence)
        to_log.append(DateToLog(occurrence, task, suggested, from_checkin))
    return HoursSummary(
        approved_this_year=await approved_total(uow, volunteer_id, since=date(now.year, 1, 1)),
        approved_all_time=await approved_total(uow, volunteer_id),
        waiting=Decimal(waiting.one()),
        to_log=to_log,
    )
