"""A volunteer's applications: listed with their state (a waitlisted one with its position)
and withdrawn by the volunteer. Withdrawing an accepted application gives up the place,
which goes to the waitlist; applying again later reopens the same application."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import col, select

from matching import assignments
from matching.events import ApplicationWithdrawn
from matching.open_tasks import waitlist_position
from matching.tables import Application, Assignment, Task
from matching.tasks import get_task
from shared.problems import Problem
from shared.unit_of_work import UnitOfWork

WITHDRAWN = assignments.WITHDRAWN
WITHDRAWABLE = (assignments.SUBMITTED, assignments.WAITLISTED, assignments.ACCEPTED)


@dataclass(frozen=True)
class MyApplication:
    application: Application
    task: Task
    position: int | None


async def my_applications(
    uow: UnitOfWork, volunteer_id: uuid.UUID, *, limit: int, offset: int
) -> list[MyApplication]:
    query = (
        select(Application, Task)
        .join(Task, col(Task.id) == col(Application.task_id))
        .where(Application.volunteer_id == volunteer_id)
        .order_by(col(Task.starts_at).desc(), col(Application.id))
    )
    rows = (await uow.session.exec(query.limit(limit).offset(offset))).all()
    return [
        MyApplication(application, task, await waitlist_position(uow, application))
        for application, task in rows
    ]


async def withdraw(
    uow: UnitOfWork, application_id: uuid.UUID, volunteer_id: uuid.UUID
) -> Application:
    """The volunteer withdraws; someone else's application answers 404 (as a missing one)."""
    found = await uow.session.exec(
        select(Application.task_id).where(
            Application.id == application_id, Application.volunteer_id == volunteer_id
        )
    )
    task_id = found.first()
    if task_id is None:
        raise Problem(404, "Application not found", f"no application with id {application_id}")
    # The task first, as every change of places locks it.
    task = await get_task(uow, task_id, for_update=True)
    application = await uow.session.get(Application, application_id, with_for_update=True)
    assert application is not None
    if application.status not in WITHDRAWABLE:
        raise Problem(
            409, "Cannot withdraw", f"application {application.id} is {application.status}"
        )
    if application.status == assignments.ACCEPTED:
        await _give_up_place(uow, application, task)
    application.status = WITHDRAWN
    application.decided_at = datetime.now(UTC)
    uow.session.add(application)
    await uow.emit(
        ApplicationWithdrawn(
            application_id=application.id,
            task_id=task.id,
            volunteer_id=application.volunteer_id,
            branch_id=task.branch_id,
            branch_code=task.branch_code,
        ),
        subject=str(task.id),
    )
    return application


async def _give_up_place(uow: UnitOfWork, application: Application, task: Task) -> None:
    """An accepted application's confirmed place is cancelled (its dates still to come go
    to the waitlist); a task whose dates have all passed keeps its history."""
    if task.ends_at <= datetime.now(UTC):
        raise Problem(
            409, "Cannot withdraw", f"task {task.id} is over: there is no place to give up"
        )
    held = await uow.session.exec(
        select(Assignment)
        .where(
            Assignment.task_id == task.id,
            Assignment.volunteer_id == application.volunteer_id,
            Assignment.status == assignments.CONFIRMED,
        )
        .with_for_update()
    )
    for assignment in held.all():
        await assignments.finish(uow, assignment, task, assignments.ASSIGNMENT_CANCELLED)
