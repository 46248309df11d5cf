"""Use cases for applications, the waitlist and assignments.

Every change to a task's places locks the task row, and every new confirmed place locks the
volunteer's row, so concurrent accepts can neither overfill a task nor double-book a person.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlmodel import col, func, select

from matching import occurrences
from matching.child_protection import protection_of, warsaw_today
from matching.domain.eligibility import hard_blockers
from matching.domain.occurrences import ShiftState
from matching.domain.schedule import Interval, ScheduleKind, describe, first_clash
from matching.events import (
    ApplicationAccepted,
    ApplicationPromoted,
    ApplicationRejected,
    ApplicationSubmitted,
    ApplicationWaitlisted,
    AssignmentCancelled,
    AssignmentCompleted,
    AssignmentConfirmed,
    AssignmentNoShow,
    ShiftPromoted,
)
from matching.tables import Application, Assignment, Occurrence, Task, Volunteer
from matching.tasks import PUBLISHED, get_task, task_day
from matching.tasks import occurrences as task_shifts
from shared.problems import Problem
from shared.unit_of_work import UnitOfWork

SUBMITTED = "submitted"
WAITLISTED = "waitlisted"
ACCEPTED = "accepted"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"

CONFIRMED = "confirmed"
ASSIGNMENT_CANCELLED = "cancelled"
COMPLETED = "completed"
NO_SHOW = "no_show"


def _application_fields(application: Application, task: Task) -> dict[str, object]:
    return {
        "application_id": application.id,
        "task_id": task.id,
        "volunteer_id": application.volunteer_id,
        "branch_id": task.branch_id,
        "branch_code": task.branch_code,
    }


def _assignment_fields(assignment: Assignment, task: Task) -> dict[str, object]:
    flexible = task.schedule_kind == ScheduleKind.FLEXIBLE
    return {
        "assignment_id": assignment.id,
        "task_id": task.id,
        "volunteer_id": assignment.volunteer_id,
        "branch_id": task.branch_id,
        "branch_code": task.branch_code,
        "starts_at": task.starts_at,
        "ends_at": None if flexible else task.ends_at,
        "whole_series": assignment.whole_series,
    }


async def volunteer_for_update(uow: UnitOfWork, volunteer_id: uuid.UUID) -> Volunteer:
    volunteer = await uow.session.get(Volunteer, volunteer_id, with_for_update=True)
    if volunteer is None or volunteer.erased_at is not None:
        raise Problem(404, "Volunteer not found", f"no volunteer with id {volunteer_id}")
    return volunteer


async def blockers(
    uow: UnitOfWork, volunteer: Volunteer, task: Task, *, child_protection: bool = True
) -> list[str]:
    """The hard rules for a place on the task; ``child_protection=False`` leaves the check
    out (an application to a task with children stands without it: the branch records the
    check for the person who applied, and no place is confirmed before it holds)."""
    return hard_blockers(
        birth_date=volunteer.birth_date,
        checks=await protection_of(uow, volunteer.id),
        task_day=task_day(task),
        today=warsaw_today(),
        min_age=task.min_age,
        with_children=task.with_children and child_protection,
    )


async def confirmed_count(uow: UnitOfWork, task_id: uuid.UUID) -> int:
    """Places taken in the whole series (a date given from its waitlist takes none)."""
    query = select(func.count()).where(
        Assignment.task_id == task_id,
        Assignment.status == CONFIRMED,
        col(Assignment.whole_series).is_(True),
    )
    return int((await uow.session.exec(query)).one())


async def clash_for(
    uow: UnitOfWork, volunteer_id: uuid.UUID, task: Task, only: Interval | None = None
) -> str | None:
    """The volunteer's held date of another task that overlaps this task's shifts (or just
    ``only`` of them), described, or None. Dates they gave up or lost do not count."""
    mine = [only] if only is not None else task_shifts(task)
    if not mine:
        return None
    query = (
        select(Occurrence, Task)
        .join(Task, col(Task.id) == col(Occurrence.task_id))
        .where(
            Occurrence.volunteer_id == volunteer_id,
            col(Occurrence.state).in_((ShiftState.PLANNED, ShiftState.ATTENDED)),
            Occurrence.task_id != task.id,
            col(Occurrence.starts_at) < max(shift.ends_at for shift in mine),
            col(Occurrence.ends_at) > min(shift.starts_at for shift in mine),
        )
        .order_by(col(Occurrence.starts_at))
    )
    held = (await uow.session.exec(query)).all()
    for occurrence, other in held:
        assert occurrence.starts_at is not None and occurrence.ends_at is not None
        clash = first_clash(mine, [Interval(occurrence.starts_at, occurrence.ends_at)])
        if clash is not None:
            return (
                f"the shift {describe(clash[0])} overlaps the confirmed shift"
                f" {describe(clash[1])} of task {other.title!r} ({other.id})"
            )
    return None


async def confirm(
    uow: UnitOfWork,
    task: Task,
    volunteer: Volunteer,
    *,
    application_id: uuid.UUID | None = None,
    proposal_id: uuid.UUID | None = None,
) -> Assignment:
    """A confirmed place, if the task has one free and the person is free then."""
    if task.status != PUBLISHED:
        raise Problem(409, "Task cancelled", f"task {task.id} is cancelled")
    taken = await confirmed_count(uow, task.id)
    if taken >= task.places:
        raise Problem(409, "Task full", f"task {task.id} has all {task.places} places taken")
    reasons = await blockers(uow, volunteer, task)
    if reasons:
        raise Problem(409, "Not eligible", "; ".join(reasons), reasons=reasons)
    clash = await clash_for(uow, volunteer.id, task)
    if clash is not None:
        raise Problem(409, "Double booking", clash, clash=clash)
    now = datetime.now(UTC)
    partial = await _dates_only_assignment(uow, task, volunteer.id)
    if partial is not None:
        # They held some dates from the dates' waitlist: now the whole series is theirs.
        partial.whole_series = True
        partial.application_id = partial.application_id or application_id
        partial.proposal_id = proposal_id
        partial.changed_at = now
        uow.session.add(partial)
        await occurrences.plan_series(uow, partial, task)
        return partial
    assignment = Assignment(
        task_id=task.id,
        volunteer_id=volunteer.id,
        application_id=application_id,
        proposal_id=proposal_id,
        status=CONFIRMED,
        created_at=now,
        changed_at=now,
    )
    uow.session.add(assignment)
    await uow.session.flush()
    await uow.emit(
        AssignmentConfirmed(**_assignment_fields(assignment, task)), subject=str(task.id)
    )
    await occurrences.plan_series(uow, assignment, task)
    return assignment


async def _dates_only_assignment(
    uow: UnitOfWork, task: Task, volunteer_id: uuid.UUID
) -> Assignment | None:
    query = select(Assignment).where(
        Assignment.task_id == task.id,
        Assignment.volunteer_id == volunteer_id,
        Assignment.status == CONFIRMED,
        col(Assignment.whole_series).is_(False),
    )
    return (await uow.session.exec(query.with_for_update())).first()


async def fill_date(uow: UnitOfWork, task: Task, day: date) -> list[Occurrence]:
    """A date's freed places go to the task's waitlist, oldest application first: the
    person gets that one date (their application keeps waiting for the whole series) and
    is told so (``shift.promoted.v1``); they may decline it.
    Someone not eligible, busy then, or already holding the date is passed over."""
    given: list[Occurrence] = []
    when = next((item for item in occurrences.dates_of(task) if item.day == day), None)
    if task.status != PUBLISHED or when is None or when.until < warsaw_today():
        return given
    waiting = (
        await uow.session.exec(
            select(Application)
            .where(Application.task_id == task.id, Application.status == WAITLISTED)
            .order_by(col(Application.created_at), col(Application.id))
            .with_for_update()
        )
    ).all()
    for application in waiting:
        if await occurrences.taken_on(uow, task.id, day) >= task.places:
            break
        try:
            volunteer = await volunteer_for_update(uow, application.volunteer_id)
        except Problem:
            continue
        assignment = await _dates_only_assignment(uow, task, volunteer.id)
        if assignment is not None and any(
            item.occurrence_date == day
            for item in await occurrences.of_assignment(uow, assignment.id)
        ):
            continue
        if await blockers(uow, volunteer, task):
            continue
        if when.starts_at is not None and when.ends_at is not None:
            shift = Interval(when.starts_at, when.ends_at)
            if await clash_for(uow, volunteer.id, task, only=shift) is not None:
                continue
        if assignment is None:
            now = datetime.now(UTC)
            assignment = Assignment(
                task_id=task.id,
                volunteer_id=volunteer.id,
                application_id=application.id,
                status=CONFIRMED,
                whole_series=False,
                created_at=now,
                changed_at=now,
            )
            uow.session.add(assignment)
            await uow.session.flush()
            await uow.emit(
                AssignmentConfirmed(**_assignment_fields(assignment, task)), subject=str(task.id)
            )
        occurrence = await occurrences.plan_date(uow, assignment, task, when)
        await occurrences.announce(uow, ShiftPromoted, occurrence, task)
        given.append(occurrence)
    return given


async def apply(uow: UnitOfWork, task_id: uuid.UUID, volunteer_id: uuid.UUID) -> Application:
    """A volunteer applies; a full task puts the application on its waitlist."""
    task = await get_task(uow, task_id, for_update=True)
    if task.status != PUBLISHED:
        raise Problem(409, "Task cancelled", f"task {task.id} is cancelled")
    volunteer = await volunteer_for_update(uow, volunteer_id)
    reasons = await blockers(uow, volunteer, task, child_protection=False)
    if reasons:
        raise Problem(409, "Not eligible", "; ".join(reasons), reasons=reasons)
    existing = (
        await uow.session.exec(
            select(Application).where(
                Application.task_id == task.id, Application.volunteer_id == volunteer.id
            )
        )
    ).first()
    if existing is not None and existing.status != WITHDRAWN:
        raise Problem(409, "Already applied", f"application {existing.id} is {existing.status}")
    full = await confirmed_count(uow, task.id) >= task.places
    # A withdrawn application comes back as new: the end of the waitlist, no decision yet.
    status, now = WAITLISTED if full else SUBMITTED, datetime.now(UTC)
    application = existing or Application(
        task_id=task.id, volunteer_id=volunteer.id, status=status, created_at=now
    )
    application.status, application.created_at, application.decided_at = status, now, None
    uow.session.add(application)
    await uow.session.flush()
    event = ApplicationWaitlisted if full else ApplicationSubmitted
    await uow.emit(event(**_application_fields(application, task)), subject=str(task.id))
    return application


async def get_application(uow: UnitOfWork, application_id: uuid.UUID) -> Application:
    application = await uow.session.get(Application, application_id)
    if application is None:
        raise Problem(404, "Application not found", f"no application with id {application_id}")
    return application


async def accept(uow: UnitOfWork, application: Application, task: Task) -> Assignment:
    if application.status not in (SUBMITTED, WAITLISTED):
        raise Problem(
            409, "Already decided", f"application {application.id} is {application.status}"
        )
    volunteer = await volunteer_for_update(uow, application.volunteer_id)
    assignment = await confirm(uow, task, volunteer, application_id=application.id)
    application.status = ACCEPTED
    application.decided_at = datetime.now(UTC)
    uow.session.add(application)
    await uow.emit(
        ApplicationAccepted(**_application_fields(application, task)), subject=str(task.id)
    )
    return assignment


async def reject(uow: UnitOfWork, application: Application, task: Task) -> Application:
    if application.status not in (SUBMITTED, WAITLISTED):
        raise Problem(
            409, "Already decided", f"application {application.id} is {application.status}"
        )
    application.status = REJECTED
    application.decided_at = datetime.now(UTC)
    uow.session.add(application)
    await uow.emit(
        ApplicationRejected(**_application_fields(application, task)), subject=str(task.id)
    )
    return application


async def promote_waitlist(uow: UnitOfWork, task: Task) -> list[Assignment]:
    """Fill free places from the waitlist, oldest first; someone who is no longer eligible
    or is busy then keeps waiting and the next person is tried."""
    promoted: list[Assignment] = []
    if task.status != PUBLISHED:
        return promoted
    waiting = (
        await uow.session.exec(
            select(Application)
            .where(Application.task_id == task.id, Application.status == WAITLISTED)
            .order_by(col(Application.created_at), col(Application.id))
            .with_for_update()
        )
    ).all()
    for application in waiting:
        if await confirmed_count(uow, task.id) >= task.places:
            break
        try:
            volunteer = await volunteer_for_update(uow, application.volunteer_id)
            assignment = await confirm(uow, task, volunteer, application_id=application.id)
        except Problem:
            continue
        application.status = ACCEPTED
        application.decided_at = datetime.now(UTC)
        uow.session.add(application)
        await uow.emit(
            ApplicationPromoted(**_application_fields(application, task)), subject=str(task.id)
        )
        promoted.append(assignment)
    return promoted


async def get_assignment(uow: UnitOfWork, assignment_id: uuid.UUID) -> Assignment:
    assignment = await uow.session.get(Assignment, assignment_id, with_for_update=True)
    if assignment is None:
        raise Problem(404, "Assignment not found", f"no assignment with id {assignment_id}")
    return assignment


_OUTCOMES = {
    ASSIGNMENT_CANCELLED: AssignmentCancelled,
    COMPLETED: AssignmentCompleted,
    NO_SHOW: AssignmentNoShow,
}


async def finish(uow: UnitOfWork, assignment: Assignment, task: Task, outcome: str) -> Assignment:
    """Cancel, complete or mark a no-show; a cancelled place goes to the waitlist."""
    if assignment.status != CONFIRMED:
        raise Problem(409, "Already finished", f"assignment {assignment.id} is {assignment.status}")
    if outcome in (COMPLETED, NO_SHOW) and datetime.now(UTC) < task.starts_at:
        raise Problem(
            409,
            "Too early",
            f"task {task.id} has not started yet: it can be completed or marked no-show"
            " once its first shift begins",
        )
    assignment.status = outcome
    assignment.changed_at = datetime.now(UTC)
    uow.session.add(assignment)
    await uow.session.flush()
    event = _OUTCOMES[outcome]
    await uow.emit(event(**_assignment_fields(assignment, task)), subject=str(task.id))
    if outcome == ASSIGNMENT_CANCELLED:
        freed = await occurrences.cancel_series(uow, assignment, task)
        await promote_waitlist(uow, task)
        for day in freed:
            await fill_date(uow, task, day)
    else:
        await occurrences.settle(uow, assignment, task, came=outcome == COMPLETED)
    return assignment


async def cancel_all(uow: UnitOfWork, task: Task) -> None:
    """The task was cancelled: every confirmed place goes with it."""
    confirmed = (
        await uow.session.exec(
            select(Assignment)
            .where(Assignment.task_id == task.id, Assignment.status == CONFIRMED)
            .with_for_update()
        )
    ).all()
    for assignment in confirmed:
        await finish(uow, assignment, task, ASSIGNMENT_CANCELLED)


async def list_applications(
    uow: UnitOfWork, task_id: uuid.UUID, status: str | None, limit: int, offset: int
) -> list[tuple[Application, str | None]]:
    """The task's applications in order (the waitlist's order), with the applicant's name
    for the coordinator (None once erased)."""
    query = (
        select(Application, Volunteer)
        .join(Volunteer, col(Volunteer.id) == col(Application.volunteer_id))
        .where(Application.task_id == task_id)
    )
    if status is not None:
        query = query.where(Application.status == status)
    query = query.order_by(col(Application.created_at), col(Application.id))
    rows = (await uow.session.exec(query.limit(limit).offset(offset))).all()
    return [
        (
            application,
            f"{person.first_name} {person.last_name}" if person.first_name else None,
        )
        for application, person in rows
    ]


async def list_assignments(
    uow: UnitOfWork,
    *,
    task_id: uuid.UUID | None = None,
    volunteer_id: uuid.UUID | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Assignment]:
    query = select(Assignment)
    if task_id is not None:
        query = query.where(Assignment.task_id == task_id)
    if volunteer_id is not None:
        query = query.where(Assignment.volunteer_id == volunteer_id)
    if status is not None:
        query = query.where(Assignment.status == status)
    query = query.order_by(col(Assignment.created_at), col(Assignment.id))
    return list((await uow.session.exec(query.limit(limit).offset(offset))).all())
