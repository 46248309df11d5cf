"""A branch's volunteers by approved hours in a year, for the coordinator's end-of-year
thank-you: the most hours first, with the first date and the number of dates attended.
An erased person stays in the list without a name, so the branch's total holds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import col

from matching.milestones import APPROVED
from matching.tables import HoursEntry, Volunteer
from shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class VolunteerYear:
    volunteer_id: uuid.UUID
    first_name: str | None
    last_name: str | None
    approved_hours: Decimal
    days: int
    first_day: date
    last_day: date


async def volunteers_by_hours(
    uow: UnitOfWork, branch_code: str, year: int, *, limit: int, offset: int
) -> list[VolunteerYear]:
    hours = sa.func.sum(col(HoursEntry.hours))
    query = (
        sa.select(
            col(HoursEntry.volunteer_id),
            col(Volunteer.first_name),
            col(Volunteer.last_name),
            hours,
            sa.func.count(sa.distinct(col(HoursEntry.worked_on))),
            sa.func.min(col(HoursEntry.worked_on)),
            sa.func.max(col(HoursEntry.worked_on)),
        )
        .join(Volunteer, col(Volunteer.id) == col(HoursEntry.volunteer_id))
        .where(
            col(HoursEntry.branch_code) == branch_code,
            col(HoursEntry.status) == APPROVED,
            col(HoursEntry.worked_on) >= date(year, 1, 1),
            col(HoursEntry.worked_on) <= date(year, 12, 31),
        )
        .group_by(col(HoursEntry.volunteer_id), col(Volunteer.first_name), col(Volunteer.last_name))
        .order_by(hours.desc(), col(Volunteer.last_name), col(HoursEntry.volunteer_id))
        .limit(limit)
        .offset(offset)
    )
    connection = await uow.session.connection()
    rows = (await connection.execute(query)).all()
    return [VolunteerYear(*row) for row in rows]
