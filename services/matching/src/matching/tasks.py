"""Use cases for tasks: what a task is, when it happens, published by a coordinator, found.

Changing or cancelling a task reaches its places too: that is in ``task_changes``."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, field_validator
from sqlmodel import col, select

from matching import branches
from matching.contracts import Tag
from matching.domain.languages import ISO_639_1
from matching.domain.schedule import (
    WARSAW,
    Interval,
    Schedule,
    ScheduleError,
    ScheduleKind,
)
from matching.events import TaskPublished, TaskType
from matching.tables import Task
from shared.problems import Problem
from shared.unit_of_work import UnitOfWork
from shared.validation import CleanInput

PUBLISHED = "published"
CANCELLED = "cancelled"
# Not stored: a published task whose dates have all passed.
FINISHED = "finished"


class SchedulePlan(CleanInput):
    """When the task happens, in Warsaw wall-clock time.

    - ``one_off``: ``first_day``, ``start``, ``end`` (an ``end`` not after ``start`` is the
      next day: the shift crosses midnight);
    - ``recurring``: the same plus ``rrule`` (RFC 5545, with COUNT or UNTIL), e.g.
      ``FREQ=WEEKLY;BYDAY=TU;COUNT=10``;
    - ``flexible``: ``hours`` to give between ``first_day`` and ``last_day``
      ("15 hours in December").
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["one_off", "recurring", "flexible"]
    first_day: date
    start: time | None = None
    end: time | None = None
    rrule: Annotated[str, StringConstraints(max_length=500)] | None = None
    last_day: date | None = None
    hours: Decimal | None = Field(default=None, gt=0, le=10000, decimal_places=2)

    def to_domain(self) -> Schedule:
        return Schedule(
            kind=ScheduleKind(self.kind),
            first_day=self.first_day,
            start=self.start,
            end=self.end,
            rrule=self.rrule,
            last_day=self.last_day,
            hours=self.hours,
        )


class TaskInput(CleanInput):
    model_config = ConfigDict(extra="forbid")

    branch_code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    type: TaskType
    title: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    schedule: SchedulePlan
    places: int = Field(ge=1, le=500)
    min_age: int | None = Field(default=None, ge=0, le=99)
    skills: list[Tag] = Field(default_factory=list)
    with_children: bool = False
    what_to_bring: Annotated[str, StringConstraints(max_length=1000)] | None = None
    contact_first_name: (
        Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
        | None
    ) = None
    languages: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("skills")
    @classmethod
    def _case_insensitive(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(tag.casefold() for tag in value))

    @field_validator("languages")
    @classmethod
    def _iso_639_1(cls, value: list[str]) -> list[str]:
        codes = [code.strip().lower() for code in value]
        bad = [code for code in codes if code not in ISO_639_1]
        if bad:
            raise ValueError(f"not ISO 639-1 codes: {', '.join(bad)}")
        return list(dict.fromkeys(codes))


def schedule_of(task: Task) -> Schedule:
    return Schedule(
        kind=ScheduleKind(task.schedule_kind),
        first_day=task.first_day,
        start=task.start,
        end=task.end,
        rrule=task.rrule,
        last_day=task.last_day,
        hours=task.hours,
    )


def occurrences(task: Task) -> list[Interval]:
    """The task's shifts in UTC (a one-off shift is its stored span; flexible: none)."""
    if task.schedule_kind == ScheduleKind.ONE_OFF:
        return [Interval(task.starts_at, task.ends_at)]
    return schedule_of(task).occurrences()


def task_day(task: Task) -> date:
    """The day the task starts, in Warsaw (ages are counted on it)."""
    return task.starts_at.astimezone(WARSAW).date()


def apply_input(task: Task, data: TaskInput) -> None:
    schedule = data.schedule.to_domain()
    try:
        schedule.validate()
        span = schedule.span()
    except ScheduleError as error:
        raise Problem(422, "Invalid schedule", f"schedule.{error}") from error
    task.type = data.type
    task.title = data.title
    task.description = data.description
    task.schedule_kind = schedule.kind
    task.first_day = schedule.first_day
    task.last_day = schedule.last_day
    task.start, task.end = schedule.start, schedule.end
    task.rrule = schedule.rrule
    task.hours = schedule.hours
    task.starts_at, task.ends_at = span.starts_at, span.ends_at
    task.places = data.places
    task.min_age = data.min_age
    task.skills = data.skills
    task.with_children = data.with_children
    task.what_to_bring = data.what_to_bring
    task.contact_first_name = data.contact_first_name
    task.languages = data.languages


def event_fields(task: Task) -> dict[str, object]:
    flexible = task.schedule_kind == ScheduleKind.FLEXIBLE
    return {
        "task_id": task.id,
        "branch_id": task.branch_id,
        "branch_code": task.branch_code,
        "type": task.type,
        "title": task.title,
        "starts_at": None if flexible else task.starts_at,
        "ends_at": None if flexible else task.ends_at,
        "places": task.places,
        "min_age": task.min_age,
        "with_children": task.with_children,
        "reason": task.cancel_reason,
    }


async def publish_task(uow: UnitOfWork, data: TaskInput) -> Task:
    branch = await branches.publishable_branch(uow, data.branch_code)
    now = datetime.now(UTC)
    task = Task(
        branch_id=branch.id,
        branch_code=branch.code,
        type=data.type,
        title=data.title,
        schedule_kind=data.schedule.kind,
        first_day=data.schedule.first_day,
        starts_at=now,
        ends_at=now,
        places=data.places,
        source_time=now,
        created_at=now,
    )
    apply_input(task, data)
    uow.session.add(task)
    await uow.session.flush()
    await uow.emit(TaskPublished(**event_fields(task)), subject=str(task.id))
    return task


async def get_task(uow: UnitOfWork, task_id: uuid.UUID, *, for_update: bool = False) -> Task:
    query = select(Task).where(Task.id == task_id)
    if for_update:
        query = query.with_for_update()
    task = (await uow.session.exec(query)).first()
    if task is None:
        raise Problem(404, "Task not found", f"no task with id {task_id}")
    return task


async def list_tasks(
    uow: UnitOfWork, *, branch_code: str | None, status: str | None, limit: int, offset: int
) -> list[Task]:
    query = select(Task)
    if branch_code is not None:
        query = query.where(Task.branch_code == branch_code)
    now = datetime.now(UTC)
    if status == PUBLISHED:
        query = query.where(Task.status == PUBLISHED, col(Task.ends_at) > now)
    elif status == FINISHED:
        query = query.where(Task.status == PUBLISHED, col(Task.ends_at) <= now)
    elif status is not None:
        query = query.where(Task.status == status)
    query = query.order_by(col(Task.starts_at), col(Task.id)).limit(limit).offset(offset)
    return list((await uow.session.exec(query)).all())
