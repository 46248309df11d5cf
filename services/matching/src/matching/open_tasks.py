"""Open tasks as a volunteer sees them: filtered, nearest first, and each with the reasons
it is not for them (age, a child-protection check missing, a clash with their own shifts)
instead of being hidden, and the state of their application if they applied."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.sql.expression import Select

from matching import assignments, occurrences
from matching.child_protection import protection_of, warsaw_today
from matching.domain.eligibility import ChildProtection, check_day
from matching.domain.occurrences import TaskDate
from matching.domain.people import age_on
from matching.domain.schedule import WARSAW
from matching.tables import Application, Branch, Task, Volunteer
from matching.tasks import PUBLISHED, get_task, task_day
from shared.problems import Problem
from shared.unit_of_work import UnitOfWork

# The dates a task page lists (a long series shows its next ones).
DATES_SHOWN = 60


@dataclass(frozen=True)
class Filters:
    district: str | None = None
    from_day: date | None = None
    to_day: date | None = None
    type: str | None = None
    skill: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Reason:
    """Why a task is not for the volunteer: a code the pages translate, and the detail."""

    code: str  # "age", "child_protection" or "clash"
    detail: str


@dataclass(frozen=True)
class MyApplication:
    id: uuid.UUID
    status: str
    position: int | None  # on the waitlist, 1 = next


@dataclass
class OpenTask:
    task: Task
    branch: Branch | None
    near: bool
    reasons: list[Reason]
    application: MyApplication | None
    dates: list[TaskDate] = field(default_factory=list)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), WARSAW).astimezone(UTC)


async def volunteer_of(uow: UnitOfWork, volunteer_id: uuid.UUID) -> Volunteer:
    volunteer = await uow.session.get(Volunteer, volunteer_id)
    if volunteer is None or volunteer.erased_at is not None:
        raise Problem(404, "Volunteer not found", f"no volunteer with id {volunteer_id}")
    return volunteer


def _filtered(query: Select[Task, Branch], filters: Filters) -> Select[Task, Branch]:
    if filters.from_day and filters.to_day and filters.to_day < filters.from_day:
        raise Problem(422, "Invalid request", "to: must not be before from")
    if filters.district is not None:
        query = query.where(col(Branch.district) == filters.district)
    if filters.from_day is not None:
        query = query.where(col(Task.ends_at) > _start_of(filters.from_day))
    if filters.to_day is not None:
        query = query.where(col(Task.starts_at) < _start_of(filters.to_day + timedelta(days=1)))
    if filters.type is not None:
        query = query.where(col(Task.type) == filters.type)
    if filters.skill is not None:
        query = query.where(col(Task.skills).contains([filters.skill.casefold()]))
    if filters.language is not None:
        query = query.where(col(Task.languages).contains([filters.language]))
    return query


async def reasons_for(
    uow: UnitOfWork, volunteer: Volunteer, task: Task, protection: ChildProtection
) -> list[Reason]:
    """The hard rules, each as a reason the volunteer reads (an application stands without
    the child-protection check, but no place is confirmed before it holds)."""
    reasons: list[Reason] = []
    day = task_day(task)
    if task.min_age is not None and volunteer.birth_date is not None:
        age = age_on(volunteer.birth_date, day)
        if age < task.min_age:
            reasons.append(
                Reason("age", f"the task is for people aged {task.min_age} or more on {day}")
            )
    if task.with_children and not protection.valid_on(check_day(day, warsaw_today())):
        reasons.append(
            Reason(
                "child_protection",
                "work with children needs a child-protection check recorded by the branch",
            )
        )
    clash = await assignments.clash_for(uow, volunteer.id, task)
    if clash is not None:
        reasons.append(Reason("clash", clash))
    return reasons


async def _applications(
    uow: UnitOfWork, volunteer_id: uuid.UUID, task_ids: list[uuid.UUID]
) -> dict[uuid.UUID, MyApplication]:
    """The volunteer's applications to these tasks, a waitlisted one with its position."""
    if not task_ids:
        return {}
    mine = (
        await uow.session.exec(
            select(Application).where(
                Application.volunteer_id == volunteer_id, col(Application.task_id).in_(task_ids)
            )
        )
    ).all()
    found: dict[uuid.UUID, MyApplication] = {}
    for application in mine:
        found[application.task_id] = MyApplication(
            application.id, application.status, await waitlist_position(uow, application)
        )
    return found


async def waitlist_position(uow: UnitOfWork, application: Application) -> int | None:
    """1 for the next person a freed place goes to; None when not waitlisted."""
    if application.status != assignments.WAITLISTED:
        return None
    ahead = await uow.session.exec(
        select(sa.func.count()).where(
            Application.task_id == application.task_id,
            Application.status == assignments.WAITLISTED,
            sa.tuple_(col(Application.created_at), col(Application.id))
            < sa.tuple_(sa.literal(application.created_at), sa.literal(application.id)),
        )
    )
    return int(ahead.one()) + 1


async def list_open_tasks(
    uow: UnitOfWork, volunteer_id: uuid.UUID, filters: Filters, *, limit: int, offset: int
) -> list[OpenTask]:
    """Published tasks with a date still to come; the volunteer's districts first."""
    volunteer = await volunteer_of(uow, volunteer_id)
    near = col(Branch.district).in_(volunteer.districts or [""])
    query = (
        select(Task, Branch)
        .join(Branch, col(Branch.id) == col(Task.branch_id), isouter=True)
        .where(Task.status == PUBLISHED, col(Task.ends_at) > datetime.now(UTC))
    )
    query = _filtered(query, filters).order_by(
        sa.case((near, 0), else_=1), col(Task.starts_at), col(Task.id)
    )
    rows = (await uow.session.exec(query.limit(limit).offset(offset))).all()
    protection = await protection_of(uow, volunteer.id)
    applications = await _applications(uow, volunteer.id, [task.id for task, _ in rows])
    return [
        OpenTask(
            task=task,
            branch=branch,
            near=branch is not None and branch.district in volunteer.districts,
            reasons=await reasons_for(uow, volunteer, task, protection),
            application=applications.get(task.id),
        )
        for task, branch in rows
    ]


async def open_task(uow: UnitOfWork, volunteer_id: uuid.UUID, task_id: uuid.UUID) -> OpenTask:
    """One task's page: the branch, its dates still to come, the reasons, my application."""
    volunteer = await volunteer_of(uow, volunteer_id)
    task = await get_task(uow, task_id)
    branch = await uow.session.get(Branch, task.branch_id)
    today = warsaw_today()
    dates = [when for when in occurrences.dates_of(task) if when.until >= today]
    return OpenTask(
        task=task,
        branch=branch,
        near=branch is not None and branch.district in volunteer.districts,
        reasons=await reasons_for(uow, volunteer, task, await protection_of(uow, volunteer.id)),
        application=(await _applications(uow, volunteer.id, [task.id])).get(task.id),
        dates=dates[:DATES_SHOWN],
    )
