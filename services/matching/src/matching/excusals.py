"""Use cases for one date of a volunteer's place: "I can't come this time", the
coordinator's attendance marks, and the lists of dates (a task's roster, a person's shifts).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlmodel import col, select

from matching import assignments, occurrences
from matching.domain.occurrences import MARKABLE, ShiftState, TaskDate, can_excuse, can_mark
from matching.events import ShiftAbsent, ShiftAttended, ShiftDeclined, ShiftExcused
from matching.tables import Assignment, Branch, Occurrence, Task, Volunteer
from matching.tasks import get_task
from shared.events import IntegrationEvent
from shared.problems import Problem
from shared.unit_of_work import UnitOfWork

_MARKED: dict[str, type[IntegrationEvent]] = {
    ShiftState.ATTENDED: ShiftAttended,
    ShiftState.ABSENT: ShiftAbsent,
    ShiftState.EXCUSED: ShiftExcused,
}


async def get_occurrence(uow: UnitOfWork, occurrence_id: uuid.UUID) -> Occurrence:
    occurrence = await uow.session.get(
        Occurrence, occurrence_id, with_for_update=True, populate_existing=True
    )
    if occurrence is None:
        raise Problem(404, "Shift not found", f"no shift with id {occurrence_id}")
    return occurrence


async def excuse(uow: UnitOfWork, occurrence: Occurrence, task: Task) -> Occurrence:
    """The volunteer cannot come on this date: the place goes to the date's waitlist.

    A date of their place in the series (a commitment) is excused and the coordinator is
    told (``shift.excused.v1``); a date only given to them from the waitlist, which they
    never asked for on its own, is declined (``shift.declined.v1``): not an absence, and
    nobody needs telling, as the next person on the waitlist gets it."""
    if not can_excuse(occurrence.state, occurrence.until, occurrences.today()):
        raise Problem(
            409,
            "Cannot excuse",
            f"shift {occurrence.id} of {occurrence.occurrence_date.isoformat()} is"
            f" {occurrence.state}: only a planned date that has not passed can be given up",
        )
    assignment = await uow.session.get(Assignment, occurrence.assignment_id)
    declined = assignment is not None and not assignment.whole_series
    occurrence.state = ShiftState.DECLINED if declined else ShiftState.EXCUSED
    occurrence.changed_at = datetime.now(UTC)
    uow.session.add(occurrence)
    await uow.session.flush()
    await occurrences.announce(uow, ShiftDeclined if declined else ShiftExcused, occurrence, task)
    await assignments.fill_date(uow, task, occurrence.occurrence_date)
    return occurrence


async def mark(uow: UnitOfWork, occurrence: Occurrence, task: Task, state: str) -> Occurrence:
    """The coordinator marks the date attended, absent or excused, from the date on; a
    mark may be corrected (each change is announced)."""
    if state not in MARKABLE:
        raise Problem(422, "Invalid request", f"state: one of {', '.join(MARKABLE)}")
    if occurrence.state in (ShiftState.CANCELLED, ShiftState.DECLINED):
        raise Problem(409, "Not planned", f"shift {occurrence.id} is {occurrence.state}")
    if not can_mark(occurrence.occurrence_date, occurrences.today()):
        raise Problem(
            409,
            "Too early",
            f"shift {occurrence.id} is on {occurrence.occurrence_date.isoformat()}:"
            " attendance is marked from that day on",
        )
    if occurrence.state == state:
        return occurrence
    freed = occurrence.state == ShiftState.PLANNED and state == ShiftState.EXCUSED
    occurrence.state = state
    occurrence.changed_at = datetime.now(UTC)
    uow.session.add(occurrence)
    await uow.session.flush()
    await occurrences.announce(uow, _MARKED[state], occurrence, task)
    if freed:
        await assignments.fill_date(uow, task, occurrence.occurrence_date)
    return occurrence


# -- lists ----------------------------------------------------------------------------------


@dataclass
class RosterLine:
    occurrence: Occurrence
    name: str | None


@dataclass
class RosterDate:
    when: TaskDate
    places: int
    lines: list[RosterLine] = field(default_factory=list)

    @property
    def taken(self) -> int:
        return sum(1 for line in self.lines if line.occurrence.state in _HOLDING)


_HOLDING = (ShiftState.PLANNED, ShiftState.ATTENDED, ShiftState.ABSENT)


async def roster(uow: UnitOfWork, task: Task) -> list[RosterDate]:
    """Each date of the task with the people on it (names for the coordinator; None once
    a person is erased)."""
    dates = {when.day: RosterDate(when, task.places) for when in occurrences.dates_of(task)}
    query = (
        select(Occurrence, Volunteer)
        .join(Volunteer, col(Volunteer.id) == col(Occurrence.volunteer_id))
        .where(Occurrence.task_id == task.id)
        .order_by(col(Occurrence.occurrence_date), col(Volunteer.last_name), col(Occurrence.id))
    )
    for occurrence, person in (await uow.session.exec(query)).all():
        line = RosterLine(
            occurrence,
            f"{person.first_name} {person.last_name}" if person.first_name else None,
        )
        day = occurrence.occurrence_date
        if day not in dates:  # a date since removed from the series: still shown
            dates[day] = RosterDate(
                TaskDate(day, occurrence.starts_at, occurrence.ends_at, occurrence.until),
                task.places,
            )
        dates[day].lines.append(line)
    return [dates[day] for day in sorted(dates)]


@dataclass
class MyShift:
    occurrence: Occurrence
    task: Task
    branch: Branch | None
    # A date given from the waitlist (the person waits for the series): declined if given up.
    from_waitlist: bool


async def my_shifts(
    uow: UnitOfWork, volunteer_id: uuid.UUID, *, since: date | None, limit: int, offset: int
) -> list[MyShift]:
    """A volunteer's dates, one line each, with the task and the branch to go to."""
    query = (
        select(Occurrence, Task, Branch, Assignment.whole_series)
        .join(Task, col(Task.id) == col(Occurrence.task_id))
        .join(Assignment, col(Assignment.id) == col(Occurrence.assignment_id))
        .join(Branch, col(Branch.id) == col(Task.branch_id), isouter=True)
        .where(Occurrence.volunteer_id == volunteer_id)
    )
    if since is not None:
        query = query.where(col(Occurrence.until) >= since)
    query = query.order_by(col(Occurrence.occurrence_date), col(Occurrence.id))
    rows = (await uow.session.exec(query.limit(limit).offset(offset))).all()
    return [
        MyShift(occurrence, task, branch, not whole_series)
        for occurrence, task, branch, whole_series in rows
    ]


async def occurrence_with_task(
    uow: UnitOfWork, occurrence_id: uuid.UUID
) -> tuple[Occurrence, Task]:
    """The date and its task, both locked: the task first, as every change of places
    locks them (no deadlock with a place given up at the same time)."""
    found = await uow.session.exec(select(Occurrence.task_id).where(Occurrence.id == occurrence_id))
    task_id = found.first()
    if task_id is None:
        raise Problem(404, "Shift not found", f"no shift with id {occurrence_id}")
    task = await get_task(uow, task_id, for_update=True)
    return await get_occurrence(uow, occurrence_id), task
