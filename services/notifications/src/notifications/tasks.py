"""Tasks and assignments as matching tells of them: kept to remind people of their shifts
and to tell them when a shift moves, is cancelled or is missed."""

from __future__ import annotations

from datetime import datetime

from notifications import contracts as c
from notifications.messages import notify_staff, notify_volunteer, task_params
from notifications.notifier import Notifier, confirmed_assignments, serialize
from notifications.reminders import cancel_reminder, schedule_unfilled_check
from notifications.shifts import cancel_shift_reminders
from notifications.tables import Assignment, Task
from shared.unit_of_work import UnitOfWork


async def record_task(
    uow: UnitOfWork, notifier: Notifier, event_id: str, data: c.TaskFacts, *, occurred_at: datetime
) -> None:
    """task.published / task.changed: keep the task; a moved task tells its volunteers (their
    dates' reminders follow matching's shift.planned for the new times); the unfilled-places
    check follows the start."""
    session = uow.session
    await serialize(uow, "task", data.task_id)
    task = await session.get(Task, data.task_id, with_for_update=True)
    if task is not None and occurred_at < task.changed_at:
        return
    task = task or Task(
        task_id=data.task_id,
        branch_id=data.branch_id,
        branch_code=data.branch_code,
        title=data.title,
        type=data.type,
        places=data.places,
        changed_at=occurred_at,
    )
    task.title, task.type, task.places = data.title, data.type, data.places
    task.starts_at, task.ends_at, task.changed_at = data.starts_at, data.ends_at, occurred_at
    session.add(task)
    if not task.cancelled:
        await schedule_unfilled_check(uow, notifier, task)
    for assignment in await confirmed_assignments(uow, task.task_id):
        if (assignment.starts_at, assignment.ends_at) == (data.starts_at, data.ends_at):
            continue
        # The shift moved (also when this is the first we hear of the task itself).
        assignment.starts_at, assignment.ends_at = data.starts_at, data.ends_at
        session.add(assignment)
        await notify_volunteer(
            uow,
            notifier,
            cause=event_id,
            volunteer_id=assignment.volunteer_id,
            template="shift_changed",
            branch_code=task.branch_code,
            params=task_params(task, starts_at=data.starts_at, ends_at=data.ends_at),
        )


async def cancel_task(
    uow: UnitOfWork, notifier: Notifier, event_id: str, data: c.TaskFacts, *, occurred_at: datetime
) -> None:
    session = uow.session
    await record_task(uow, notifier, event_id, data, occurred_at=occurred_at)
    task = await session.get(Task, data.task_id)
    assert task is not None
    task.cancelled = True
    session.add(task)
    await cancel_reminder(uow, f"task_unfilled:{task.task_id}")
    await cancel_shift_reminders(uow, task_id=task.task_id)
    for assignment in await confirmed_assignments(uow, task.task_id):
        assignment.status = "cancelled"
        session.add(assignment)
        await notify_volunteer(
            uow,
            notifier,
            cause=event_id,
            volunteer_id=assignment.volunteer_id,
            template="shift_cancelled",
            branch_code=task.branch_code,
            params={**task_params(task), "reason": data.reason},
        )


async def confirm_assignment(
    uow: UnitOfWork,
    notifier: Notifier,
    event_id: str,
    data: c.AssignmentFacts,
    *,
    occurred_at: datetime,
) -> None:
    session = uow.session
    await serialize(uow, "task", data.task_id)
    assignment = await session.get(Assignment, data.assignment_id, with_for_update=True)
    if assignment is not None:
        return  # already known (or already cancelled: a late confirmation changes nothing)
    task = await session.get(Task, data.task_id)
    starts_at, ends_at = data.starts_at, data.ends_at
    if task is not None and task.changed_at > occurred_at:
        starts_at, ends_at = task.starts_at, task.ends_at  # the task moved since
    assignment = Assignment(
        assignment_id=data.assignment_id,
        task_id=data.task_id,
        volunteer_id=data.volunteer_id,
        branch_id=data.branch_id,
        branch_code=data.branch_code,
        starts_at=starts_at,
        ends_at=ends_at,
        status="confirmed",
        changed_at=occurred_at,
    )
    session.add(assignment)
    await session.flush()
    # The dates' reminders come with matching's shift.planned, one per date; a place of
    # dates from the waitlist is told date by date (shift.promoted).
    if not data.whole_series:
        return
    await notify_volunteer(
        uow,
        notifier,
        cause=event_id,
        volunteer_id=data.volunteer_id,
        template="assignment_confirmed",
        branch_code=data.branch_code,
        params={
            **task_params(task, branch_code=data.branch_code),
            "starts_at": starts_at,
            "ends_at": ends_at,
        },
    )


async def end_assignment(
    uow: UnitOfWork,
    notifier: Notifier,
    event_id: str,
    data: c.AssignmentFacts,
    *,
    status: str,
    occurred_at: datetime,
) -> None:
    """cancelled / completed / no_show: the reminders of its dates go; the volunteer hears
    of a cancellation, the coordinators of a no-show."""
    session = uow.session
    await serialize(uow, "task", data.task_id)
    assignment = await session.get(Assignment, data.assignment_id, with_for_update=True)
    already_ended = assignment is not None and assignment.status != "confirmed"
    assignment = assignment or Assignment(
        assignment_id=data.assignment_id,
        task_id=data.task_id,
        volunteer_id=data.volunteer_id,
        branch_id=data.branch_id,
        branch_code=data.branch_code,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        status=status,
        changed_at=occurred_at,
    )
    if not already_ended:
        assignment.status, assignment.changed_at = status, occurred_at
    session.add(assignment)
    await cancel_shift_reminders(uow, assignment_id=data.assignment_id)
    task = await session.get(Task, data.task_id)
    params = {
        **task_params(task, branch_code=data.branch_code),
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
    }
    if status == "cancelled" and not already_ended:
        await notify_volunteer(
            uow,
            notifier,
            cause=event_id,
            volunteer_id=data.volunteer_id,
            template="shift_cancelled",
            branch_code=data.branch_code,
            params={**params, "reason": None},
        )
    elif status == "no_show":
        await notify_staff(
            uow,
            notifier,
            cause=event_id,
            role="coordinator",
            branch_code=data.branch_code,
            template="no_show",
            params=params,
        )
