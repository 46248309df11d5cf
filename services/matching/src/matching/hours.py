"""Use cases for hours: logged by the volunteer or the coordinator, decided by the coordinator."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from pydantic import ConfigDict, Field
from sqlmodel import col, select

from matching import milestones
from matching.assignments import COMPLETED, CONFIRMED
from matching.domain.schedule import WARSAW
from matching.events import HoursApproved, HoursLogged, HoursRejected
from matching.tables import Assignment, HoursEntry, Task
from shared.problems import Problem
from shared.unit_of_work import UnitOfWork
from shared.validation import CleanInput

LOGGED = "logged"
APPROVED = "approved"
REJECTED = "rejected"


class HoursInput(CleanInput):
    model_config = ConfigDict(extra="forbid")

    hours: Decimal = Field(gt=0, le=24, decimal_places=2)
    worked_on: date


def _fields(entry: HoursEntry) -> dict[str, object]:
    return {
        "entry_id": entry.id,
        "assignment_id": entry.assignment_id,
        "task_id": entry.task_id,
        "branch_id": entry.branch_id,
        "branch_code": entry.branch_code,
        "volunteer_id": entry.volunteer_id,
        "hours": entry.hours,
        "worked_on": entry.worked_on,
    }


async def log_hours(
    uow: UnitOfWork, assignment: Assignment, task: Task, data: HoursInput, logged_by: str
) -> HoursEntry:
    if assignment.status not in (CONFIRMED, COMPLETED):
        raise Problem(409, "No hours here", f"assignment {assignment.id} is {assignment.status}")
    today = datetime.now(WARSAW).date()
    first = task.starts_at.astimezone(WARSAW).date()
    last = (task.ends_at - timedelta(microseconds=1)).astimezone(WARSAW).date()
    if data.worked_on > today:
        raise Problem(422, "Invalid request", "worked_on: must not be in the future")
    if not first <= data.worked_on <= last:
        raise Problem(
            422,
            "Invalid request",
            f"worked_on: the task runs from {first.isoformat()} to {last.isoformat()}",
        )
    entry = HoursEntry(
        assignment_id=assignment.id,
        task_id=task.id,
        branch_id=task.branch_id,
        branch_code=task.branch_code,
        volunteer_id=assignment.volunteer_id,
        hours=data.hours,
        worked_on=data.worked_on,
        status=LOGGED,
        logged_by=logged_by,
        created_at=datetime.now(UTC),
    )
    uow.session.add(entry)
    await uow.session.flush()
    await uow.emit(HoursLogged(**_fields(entry)), subject=str(task.id))
    return entry


async def get_entry(uow: UnitOfWork, entry_id: uuid.UUID) -> HoursEntry:
    entry = await uow.session.get(HoursEntry, entry_id, with_for_update=True)
    if entry is None:
        raise Problem(404, "Hours not found", f"no hours entry with id {entry_id}")
    return entry


async def decide(uow: UnitOfWork, entry: HoursEntry, approve: bool) -> HoursEntry:
    if entry.status != LOGGED:
        raise Problem(409, "Already decided", f"hours entry {entry.id} is {entry.status}")
    entry.status = APPROVED if approve else REJECTED
    entry.decided_at = datetime.now(UTC)
    uow.session.add(entry)
    event = HoursApproved if approve else HoursRejected
    await uow.emit(event(**_fields(entry)), subject=str(entry.task_id))
    if approve:
        await milestones.record(uow, entry.volunteer_id, entry.branch_id)
    return entry


async def list_entries(
    uow: UnitOfWork,
    *,
    task_id: uuid.UUID | None = None,
    volunteer_id: uuid.UUID | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[HoursEntry]:
    query = select(HoursEntry)
    if task_id is not None:
        query = query.where(HoursEntry.task_id == task_id)
    if volunteer_id is not None:
        query = query.where(HoursEntry.volunteer_id == volunteer_id)
    if status is not None:
        query = query.where(HoursEntry.status == status)
    query = query.order_by(col(HoursEntry.worked_on), col(HoursEntry.id))
    return list((await uow.session.exec(query.limit(limit).offset(offset))).all())
