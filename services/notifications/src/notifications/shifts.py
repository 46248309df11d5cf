"""A volunteer's shifts, one date at a time (matching's shift.* events): the reminder of each
date at the person's lead time, cancelled when the date is excused or no longer happens;
the branch's coordinators hear when a volunteer excuses themselves for a date, and a
volunteer when a date came to them from the waitlist. And the thanks for a milestone
reached."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert

from notifications import contracts as c
from notifications.branches import find_branch
from notifications.domain.rules import reminder_due
from notifications.messages import notify_staff, notify_volunteer, task_params
from notifications.notifier import REMINDERS, Notifier, serialize
from notifications.preferences import reminder_hours
from notifications.reminders import cancel_reminder, upsert_reminder
from notifications.tables import Assignment, ErasedVolunteer, Task
from shared.unit_of_work import UnitOfWork


def reminder_key(data: c.ShiftFacts) -> str:
    return f"shift_reminder:{data.occurrence_id}"


def _payload(data: c.ShiftFacts) -> dict[str, Any]:
    return {
        "occurrence_id": str(data.occurrence_id),
        "assignment_id": str(data.assignment_id),
        "task_id": str(data.task_id),
        "branch_code": data.branch_code,
        "occurrence_date": data.occurrence_date.isoformat(),
        "starts_at": data.starts_at.isoformat() if data.starts_at else None,
        "ends_at": data.ends_at.isoformat() if data.ends_at else None,
    }


async def plan_shift(uow: UnitOfWork, notifier: Notifier, data: c.ShiftFacts) -> None:
    """shift.planned: a reminder at the person's lead time before the date's start (moved
    when the date is planned again at another time). None for a date without a time (a
    flexible task), none after the assignment ended, none for a forgotten person."""
    await serialize(uow, "person", data.volunteer_id)
    if data.starts_at is None:
        await cancel_reminder(uow, reminder_key(data))  # the date lost its time
        return
    assignment = await uow.session.get(Assignment, data.assignment_id)
    if assignment is not None and assignment.status != "confirmed":
        return
    if await uow.session.get(ErasedVolunteer, data.volunteer_id) is not None:
        return
    hours = await reminder_hours(uow, notifier, data.volunteer_id)
    await upsert_reminder(
        uow,
        key=reminder_key(data),
        kind="shift_reminder",
        due_at=reminder_due(data.starts_at, hours),
        volunteer_id=data.volunteer_id,
        subject_id=data.occurrence_id,
        payload=_payload(data),
    )


async def _drop_reminder(uow: UnitOfWork, notifier: Notifier, data: c.ShiftFacts) -> None:
    """The date's reminder is cancelled; should the cancellation come before the plan (events
    may arrive out of order), it is kept as a cancelled row, which the plan for the same time
    does not revive."""
    if data.starts_at is not None:
        hours = await reminder_hours(uow, notifier, data.volunteer_id)
        due_at = reminder_due(data.starts_at, hours)
    else:
        due_at = notifier.clock.now()
    connection = await uow.session.connection()
    await connection.execute(
        insert(REMINDERS)
        .values(
            key=reminder_key(data),
            kind="shift_reminder",
            due_at=due_at,
            status="cancelled",
            volunteer_id=data.volunteer_id,
            subject_id=data.occurrence_id,
            payload=_payload(data),
        )
        .on_conflict_do_update(
            index_elements=["key"],
            set_={"status": "cancelled"},
            where=REMINDERS.c.status == "pending",
        )
    )


async def cancel_shift(uow: UnitOfWork, notifier: Notifier, data: c.ShiftFacts) -> None:
    """shift.cancelled: that date no longer happens for the volunteer."""
    await serialize(uow, "person", data.volunteer_id)
    await _drop_reminder(uow, notifier, data)


def _date_params(task: Task | None, data: c.ShiftFacts) -> dict[str, Any]:
    return {
        **task_params(
            task, branch_code=data.branch_code, starts_at=data.starts_at, ends_at=data.ends_at
        ),
        "occurrence_date": data.occurrence_date,
    }


async def excuse_shift(uow: UnitOfWork, notifier: Notifier, data: c.ShiftFacts, cause: str) -> None:
    """shift.excused: no reminder for that date; the branch's coordinators are told who will
    not come (a link to the volunteer's page in the console, no name in the mail)."""
    await cancel_shift(uow, notifier, data)
    task = await uow.session.get(Task, data.task_id)
    console = notifier.settings.console_public_url.rstrip("/")
    await notify_staff(
        uow, notifier, cause=cause, role="coordinator", branch_code=data.branch_code,
        template="shift_excused", about_volunteer=data.volunteer_id,
        params={
            **_date_params(task, data),
            "volunteer_url": f"{console}/koordynator/wolontariusze/{data.volunteer_id}",
        },
    )  # fmt: skip


async def promote_shift(
    uow: UnitOfWork, notifier: Notifier, data: c.ShiftFacts, cause: str
) -> None:
    """shift.promoted: a date freed and came to the volunteer from the waitlist; they hear
    that this one date is theirs (its reminder comes with the date's shift.planned)."""
    task = await uow.session.get(Task, data.task_id)
    await notify_volunteer(
        uow, notifier, cause=cause, volunteer_id=data.volunteer_id,
        template="shift_promoted", branch_code=data.branch_code,
        params=_date_params(task, data),
    )  # fmt: skip


async def cancel_shift_reminders(
    uow: UnitOfWork, *, assignment_id: Any = None, task_id: Any = None
) -> None:
    """Every pending date's reminder of an assignment (cancelled, completed, missed) or of a
    task (cancelled)."""
    field, value = ("assignment_id", assignment_id) if assignment_id else ("task_id", task_id)
    connection = await uow.session.connection()
    await connection.execute(
        REMINDERS.update()
        .where(
            REMINDERS.c.kind == "shift_reminder",
            REMINDERS.c.status == "pending",
            REMINDERS.c.payload[field].astext == str(value),
        )
        .values(status="cancelled")
    )


async def thank_for_milestone(uow: UnitOfWork, notifier: Notifier, data: c.MilestoneFacts) -> None:
    """milestone.reached: thanks in the volunteer's language, each milestone its own text,
    from the branch where it was reached."""
    branch = await find_branch(uow, branch_id=data.branch_id) if data.branch_id else None
    await notify_volunteer(
        uow, notifier, cause=f"milestone.reached:{data.volunteer_id}:{data.milestone}",
        volunteer_id=data.volunteer_id, template="milestone_reached",
        branch_code=branch.code if branch else None,
        params={"milestone": data.milestone, "hours": data.approved_hours},
    )  # fmt: skip
