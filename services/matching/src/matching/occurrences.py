"""Use cases for a volunteer's dates: every date of a confirmed assignment is an occurrence
with its own state, each announced (``shift.*.v1``) so that reminders follow the dates.

``assignments`` calls it when a place is confirmed or given up, ``task_changes`` when a
task's dates change; what a person or a coordinator does to one date is in ``excusals``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlmodel import col, func, select

from matching import milestones
from matching.domain.occurrences import HOLDS_PLACE, ShiftState, TaskDate, new_code, task_dates
from matching.domain.schedule import WARSAW, ScheduleKind
from matching.events import ShiftAbsent, ShiftAttended, ShiftCancelled, ShiftPlanned
from matching.tables import Assignment, Occurrence, Task
from matching.tasks import occurrences as task_shifts
from shared.events import IntegrationEvent
from shared.unit_of_work import UnitOfWork


def dates_of(task: Task) -> list[TaskDate]:
    """The task's dates: one-off one, recurring each shift, flexible its period."""
    shifts = [] if task.schedule_kind == ScheduleKind.FLEXIBLE else task_shifts(task)
    return task_dates(task.schedule_kind, shifts, task.first_day, task.last_day)


def today() -> date:
    return datetime.now(WARSAW).date()


def shift_fields(occurrence: Occurrence, task: Task) -> dict[str, object]:
    return {
        "occurrence_id": occurrence.id,
        "assignment_id": occurrence.assignment_id,
        "task_id": task.id,
        "volunteer_id": occurrence.volunteer_id,
        "branch_id": task.branch_id,
        "branch_code": task.branch_code,
        "occurrence_date": occurrence.occurrence_date,
        "starts_at": occurrence.starts_at,
        "ends_at": occurrence.ends_at,
    }


async def announce(
    uow: UnitOfWork, event: type[IntegrationEvent], occurrence: Occurrence, task: Task
) -> None:
    await uow.emit(event(**shift_fields(occurrence, task)), subject=str(task.id))
    if event is ShiftAttended:
        await milestones.record(uow, occurrence.volunteer_id, task.branch_id)


async def taken_on(uow: UnitOfWork, task_id: uuid.UUID, day: date) -> int:
    """How many of the date's places are held."""
    query = select(func.count()).where(
        Occurrence.task_id == task_id,
        Occurrence.occurrence_date == day,
        col(Occurrence.state).in_(HOLDS_PLACE),
    )
    return int((await uow.session.exec(query)).one())


async def of_assignment(uow: UnitOfWork, assignment_id: uuid.UUID) -> list[Occurrence]:
    query = (
        select(Occurrence)
        .where(Occurrence.assignment_id == assignment_id)
        .order_by(col(Occurrence.occurrence_date))
        .with_for_update()
    )
    return list((await uow.session.exec(query)).all())


async def _unused_code(uow: UnitOfWork) -> str:
    while True:
        code = new_code()
        found = await uow.session.exec(select(Occurrence.id).where(Occurrence.code == code))
        if found.first() is None:
            return code


async def plan_date(
    uow: UnitOfWork, assignment: Assignment, task: Task, when: TaskDate
) -> Occurrence:
    """The volunteer is expected on this date (the caller has checked it has a place)."""
    occurrence = Occurrence(
        assignment_id=assignment.id,
        task_id=task.id,
        volunteer_id=assignment.volunteer_id,
        occurrence_date=when.day,
        starts_at=when.starts_at,
        ends_at=when.ends_at,
        until=when.until,
        state=ShiftState.PLANNED,
        code=await _unused_code(uow),
        changed_at=datetime.now(UTC),
    )
    uow.session.add(occurrence)
    await uow.session.flush()
    await announce(uow, ShiftPlanned, occurrence, task)
    return occurrence


async def plan_series(uow: UnitOfWork, assignment: Assignment, task: Task) -> list[Occurrence]:
    """A confirmed place in the whole series: every date still to come that has a free
    place and that the person does not hold yet (a place recorded after all its dates
    passed: all of them, to be marked). A date that was cancelled when it left the
    schedule comes back with it."""
    held = {item.occurrence_date: item for item in await of_assignment(uow, assignment.id)}
    dates = dates_of(task)
    upcoming = [when for when in dates if when.until >= today()]
    planned: list[Occurrence] = []
    for when in upcoming or dates:
        before = held.get(when.day)
        if before is not None and before.state != ShiftState.CANCELLED:
            continue
        if await taken_on(uow, task.id, when.day) >= task.places:
            continue
        if before is None:
            planned.append(await plan_date(uow, assignment, task, when))
            continue
        before.state = ShiftState.PLANNED
        before.starts_at, before.ends_at, before.until = when.starts_at, when.ends_at, when.until
        before.changed_at = datetime.now(UTC)
        uow.session.add(before)
        await uow.session.flush()
        await announce(uow, ShiftPlanned, before, task)
        planned.append(before)
    return planned


async def _cancel(uow: UnitOfWork, occurrence: Occurrence, task: Task) -> None:
    occurrence.state = ShiftState.CANCELLED
    occurrence.changed_at = datetime.now(UTC)
    uow.session.add(occurrence)
    await announce(uow, ShiftCancelled, occurrence, task)


async def cancel_series(uow: UnitOfWork, assignment: Assignment, task: Task) -> list[date]:
    """The place was given up: its dates still planned are cancelled; the freed dates."""
    freed: list[date] = []
    for occurrence in await of_assignment(uow, assignment.id):
        if occurrence.state == ShiftState.PLANNED and occurrence.until >= today():
            await _cancel(uow, occurrence, task)
            freed.append(occurrence.occurrence_date)
    return freed


async def settle(uow: UnitOfWork, assignment: Assignment, task: Task, *, came: bool) -> None:
    """The place was completed (or was a no-show): its dates still planned that have begun
    are attended (absent)."""
    state = ShiftState.ATTENDED if came else ShiftState.ABSENT
    event = ShiftAttended if came else ShiftAbsent
    for occurrence in await of_assignment(uow, assignment.id):
        if occurrence.state == ShiftState.PLANNED and occurrence.occurrence_date <= today():
            occurrence.state = state
            occurrence.changed_at = datetime.now(UTC)
            uow.session.add(occurrence)
            await announce(uow, event, occurrence, task)


async def follow_schedule(uow: UnitOfWork, task: Task) -> list[date]:
    """The task's dates changed: a removed date is cancelled for everyone planned on it, a
    moved time is announced again, and the whole-series places get the new dates."""
    dates = {when.day: when for when in dates_of(task)}
    query = (
        select(Occurrence)
        .where(Occurrence.task_id == task.id, Occurrence.state == ShiftState.PLANNED)
        .with_for_update()
    )
    for occurrence in (await uow.session.exec(query)).all():
        when = dates.get(occurrence.occurrence_date)
        if when is None:
            await _cancel(uow, occurrence, task)
        elif (when.starts_at, when.ends_at, when.until) != (
            occurrence.starts_at,
            occurrence.ends_at,
            occurrence.until,
        ):
            occurrence.starts_at, occurrence.ends_at = when.starts_at, when.ends_at
            occurrence.until = when.until
            occurrence.changed_at = datetime.now(UTC)
            uow.session.add(occurrence)
            await announce(uow, ShiftPlanned, occurrence, task)
    series = await uow.session.exec(
        select(Assignment).where(
            Assignment.task_id == task.id,
            Assignment.status == "confirmed",
            col(Assignment.whole_series).is_(True),
        )
    )
    for assignment in series.all():
        await plan_series(uow, assignment, task)
    return [day for day in dates if day >= today()]
