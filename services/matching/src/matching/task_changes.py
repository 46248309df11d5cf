"""A task changes or is cancelled, by its coordinator or by the city's calendar, and its
places follow: more places promote the waitlist, a cancelled task cancels its assignments.

It builds on ``tasks`` (what a task is) and ``assignments`` (its places), which know
nothing of it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from matching import assignments, branches, occurrences, tasks
from matching.contracts import CalendarEventCancelled, CalendarEventScheduled
from matching.domain.schedule import WARSAW, ScheduleKind
from matching.events import TaskCancelled, TaskChanged, TaskPublished
from matching.tables import CalendarCancellation, Task
from shared.consumer import RejectMessage
from shared.problems import Problem
from shared.unit_of_work import UnitOfWork


async def change_task(uow: UnitOfWork, task: Task, data: tasks.TaskInput) -> Task:
    if task.status != tasks.PUBLISHED:
        raise Problem(409, "Task cancelled", f"task {task.id} is cancelled and cannot change")
    if data.branch_code != task.branch_code:
        raise Problem(422, "Invalid request", "branch_code: a task cannot move to another branch")
    tasks.apply_input(task, data)
    task.source_time = datetime.now(UTC)
    uow.session.add(task)
    await uow.session.flush()
    await uow.emit(TaskChanged(**tasks.event_fields(task)), subject=str(task.id))
    await follow_dates(uow, task)
    return task


async def follow_dates(uow: UnitOfWork, task: Task) -> None:
    """The places follow the task's dates and places: removed dates are cancelled, new
    ones planned, and more places go to the waitlist (the series first, then each date)."""
    upcoming = await occurrences.follow_schedule(uow, task)
    await assignments.promote_waitlist(uow, task)
    for day in upcoming:
        await assignments.fill_date(uow, task, day)


async def cancel_task(uow: UnitOfWork, task: Task, reason: str | None) -> Task:
    """Cancel a task (idempotent); its confirmed assignments are cancelled with it."""
    if task.status == tasks.CANCELLED:
        return task
    task.status = tasks.CANCELLED
    task.cancel_reason = reason
    uow.session.add(task)
    await uow.session.flush()
    await uow.emit(TaskCancelled(**tasks.event_fields(task)), subject=str(task.id))
    await assignments.cancel_all(uow, task)
    return task


# -- the calendar's inbound events ---------------------------------------------------------


async def schedule_from_calendar(
    uow: UnitOfWork, data: CalendarEventScheduled, occurred_at: datetime
) -> Task | None:
    """Create or update the task for a calendar event; an older copy changes nothing."""
    session = uow.session
    cancelled = await session.get(CalendarCancellation, data.calendar_id)
    if cancelled is not None and occurred_at <= cancelled.cancelled_at:
        return None
    branch = await branches.branch_by_code(uow, data.branch_code)
    if branch is None:
        raise RejectMessage(
            "unknown-branch", f"branch_code: {data.branch_code!r} is not known to the registry"
        )
    if await branches.open_edition_enrolment(uow, branch) is None:
        raise RejectMessage(
            "branch-not-enrolled",
            f"branch_code: {data.branch_code!r} is not enrolled in an open edition",
        )
    task = (
        await session.exec(
            select(Task).where(Task.calendar_id == data.calendar_id).with_for_update()
        )
    ).first()
    created = task is None
    if task is None:
        task = Task(
            branch_id=branch.id,
            branch_code=branch.code,
            type="event_help",
            title=data.title,
            schedule_kind=ScheduleKind.ONE_OFF,
            first_day=data.starts_at.astimezone(WARSAW).date(),
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            places=data.volunteers_needed,
            calendar_id=data.calendar_id,
            source_time=occurred_at,
            created_at=datetime.now(UTC),
        )
    elif occurred_at < task.source_time or task.status == tasks.CANCELLED:
        return None
    local_start = data.starts_at.astimezone(WARSAW)
    local_end = data.ends_at.astimezone(WARSAW)
    task.title = data.title
    task.description = data.description
    task.first_day = local_start.date()
    task.start, task.end = local_start.time(), local_end.time()
    task.starts_at = data.starts_at.astimezone(UTC)
    task.ends_at = data.ends_at.astimezone(UTC)
    task.places = data.volunteers_needed
    task.skills = data.skills
    task.min_age = data.min_age
    task.source_time = occurred_at
    session.add(task)
    await session.flush()
    event = TaskPublished if created else TaskChanged
    await uow.emit(event(**tasks.event_fields(task)), subject=str(task.id))
    if not created:
        await follow_dates(uow, task)
    return task


async def cancel_from_calendar(
    uow: UnitOfWork, data: CalendarEventCancelled, occurred_at: datetime
) -> Task | None:
    session = uow.session
    if await session.get(CalendarCancellation, data.calendar_id) is None:
        session.add(CalendarCancellation(calendar_id=data.calendar_id, cancelled_at=occurred_at))
    task = (
        await session.exec(
            select(Task).where(Task.calendar_id == data.calendar_id).with_for_update()
        )
    ).first()
    if task is None:
        return None  # cancelled before it was scheduled: the tombstone keeps it void
    return await cancel_task(uow, task, data.reason)
