"""Reminders: of a shift, of a task's unfilled places, of a monitoring visit's follow-up,
of the daily digest; scheduled (and moved) by events, fired when due."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from notifications import contracts as c
from notifications.digests import send_digest
from notifications.domain.rules import WARSAW, unfilled_check_due
from notifications.messages import notify_staff, notify_volunteer, task_params
from notifications.notifier import REMINDERS, Notifier, confirmed_assignments
from notifications.tables import Assignment, Reminder, Task
from shared.observability.tracing import TRACEPARENT, TRACESTATE, trace_extensions
from shared.unit_of_work import UnitOfWork

FOLLOW_UP_HOUR = time(8, 0)


async def schedule_follow_up(uow: UnitOfWork, data: c.VisitFacts) -> None:
    """A trainer hears of a follow-up on its day, at 08:00 in Warsaw."""
    if data.follow_up_on is None:
        return
    await upsert_reminder(
        uow,
        key=f"follow_up_due:{data.visit_id}",
        kind="follow_up_due",
        due_at=datetime.combine(data.follow_up_on, FOLLOW_UP_HOUR, tzinfo=WARSAW),
        volunteer_id=None,
        subject_id=data.visit_id,
        payload={
            "trainer_id": str(data.trainer_id),
            "branch_code": data.code,
            "visited_on": data.visited_on.isoformat(),
            "follow_up_on": data.follow_up_on.isoformat(),
        },
    )


async def fire_reminder(
    uow: UnitOfWork, notifier: Notifier, reminder: Reminder, now: datetime
) -> None:
    """A due reminder becomes its messages (the caller marks it done in this transaction)."""
    cause = f"{reminder.key}@{reminder.due_at.isoformat()}"
    session = uow.session
    if reminder.kind == "shift_reminder":
        await _remind_of_shift(uow, notifier, reminder, cause, now)
    elif reminder.kind == "task_unfilled":
        task = await session.get(Task, reminder.subject_id)
        if task is None or task.cancelled or task.starts_at is None or task.starts_at <= now:
            return
        confirmed = len(await confirmed_assignments(uow, task.task_id))
        if confirmed >= task.places:
            return
        await notify_staff(
            uow,
            notifier,
            cause=cause,
            role="coordinator",
            branch_code=task.branch_code,
            template="task_unfilled",
            params={**task_params(task), "confirmed": confirmed, "places": task.places},
        )
    elif reminder.kind == "daily_digest":
        await send_digest(uow, notifier, reminder.subject_id, cause)
    elif reminder.kind == "follow_up_due":
        payload = reminder.payload
        await notify_staff(
            uow,
            notifier,
            cause=cause,
            role="trainer",
            branch_code=payload["branch_code"],
            staff_id=uuid.UUID(payload["trainer_id"]),
            template="follow_up_due",
            params={
                "branch_code": payload["branch_code"],
                "visited_on": date.fromisoformat(payload["visited_on"]),
                "follow_up_on": date.fromisoformat(payload["follow_up_on"]),
            },
        )


async def _remind_of_shift(
    uow: UnitOfWork, notifier: Notifier, reminder: Reminder, cause: str, now: datetime
) -> None:
    """One date of a volunteer's shift (its reminder was scheduled by shift.planned)."""
    payload = reminder.payload
    starts_at = datetime.fromisoformat(payload["starts_at"])
    if starts_at <= now:
        return  # the shift has begun: a reminder now would only confuse
    session = uow.session
    # Cancelled dates cancel their reminders; an assignment that ended meanwhile, all of its.
    assignment = await session.get(Assignment, uuid.UUID(payload["assignment_id"]))
    if assignment is not None and assignment.status != "confirmed":
        return
    if reminder.volunteer_id is None:
        return
    task = await session.get(Task, uuid.UUID(payload["task_id"]))
    ends_at = datetime.fromisoformat(payload["ends_at"]) if payload.get("ends_at") else None
    await notify_volunteer(
        uow,
        notifier,
        cause=cause,
        volunteer_id=reminder.volunteer_id,
        template="shift_reminder",
        branch_code=payload["branch_code"],
        params={
            **task_params(task, branch_code=payload["branch_code"]),
            "starts_at": starts_at,
            "ends_at": ends_at,
        },
    )


async def schedule_unfilled_check(uow: UnitOfWork, notifier: Notifier, task: Task) -> None:
    """A check N days before the start; none for a task published (or moved) closer to its
    start than that: its coordinators know it has just begun recruiting."""
    key = f"task_unfilled:{task.task_id}"
    due_at = (
        unfilled_check_due(task.starts_at, notifier.settings.unfilled_days_before)
        if task.starts_at
        else None
    )
    if due_at is None or due_at < notifier.clock.now():
        await cancel_reminder(uow, key)
        return
    await upsert_reminder(
        uow,
        key=key,
        kind="task_unfilled",
        due_at=due_at,
        volunteer_id=None,
        subject_id=task.task_id,
        payload={"starts_at": task.starts_at.isoformat() if task.starts_at else None},
    )


async def upsert_reminder(
    uow: UnitOfWork,
    *,
    key: str,
    kind: str,
    due_at: datetime,
    volunteer_id: uuid.UUID | None,
    subject_id: uuid.UUID,
    payload: dict[str, Any],
) -> None:
    """Schedule, or move: a moved reminder is pending again at its new time (a reminder
    already sent for the old time is sent again for the new one)."""
    connection = await uow.session.connection()
    # The span applying the event that schedules (or moves) it: firing continues that trace.
    trace_context = trace_extensions()
    trace = {
        "traceparent": trace_context.get(TRACEPARENT),
        "tracestate": trace_context.get(TRACESTATE),
    }
    values = {
        "key": key,
        "kind": kind,
        "due_at": due_at,
        "status": "pending",
        "volunteer_id": volunteer_id,
        "subject_id": subject_id,
        "payload": payload,
        **trace,
    }
    await connection.execute(
        insert(REMINDERS)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={"due_at": due_at, "status": "pending", "payload": payload, **trace},
            where=sa.or_(REMINDERS.c.due_at != due_at, REMINDERS.c.status == "pending"),
        )
    )


async def cancel_reminder(uow: UnitOfWork, key: str) -> None:
    connection = await uow.session.connection()
    await connection.execute(
        REMINDERS.update()
        .where(REMINDERS.c.key == key, REMINDERS.c.status == "pending")
        .values(status="cancelled")
    )
