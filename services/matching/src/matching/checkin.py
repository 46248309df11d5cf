"""Check-in at the branch: a kiosk (a tablet at the desk) opened by a coordinator for one
branch, and the volunteer's pass for one date (a short-lived signed QR code, or the date's
six-character code typed at the desk).

The first scan of the day checks in (the date is attended), the second checks out, and the
time between becomes the draft of that date's hours for the coordinator to approve.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import col, select

from matching import hours, occurrences
from matching.domain.occurrences import ShiftState, normalise_code, worked_hours
from matching.domain.schedule import WARSAW, ScheduleKind
from matching.events import ShiftAttended
from matching.kiosks import Kiosk
from matching.tables import Assignment, Branch, HoursEntry, Occurrence, Task, Volunteer
from shared.problems import Problem
from shared.signed_links import InvalidLink, sign_link_token, verify_link_token
from shared.unit_of_work import UnitOfWork

PASS_PURPOSE = "matching-shift-pass"
PASS_LIFETIME_S = 15 * 60  # a QR code shown on a phone: its page makes a new one


@dataclass(frozen=True)
class Pass:
    token: str
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class CheckResult:
    action: str  # "in" or "out"
    first_name: str | None
    at: datetime
    hours: str | None  # the draft's hours, on check-out


def issue_pass(secret: str, occurrence: Occurrence, task: Task) -> Pass:
    if occurrence.state not in (ShiftState.PLANNED, ShiftState.ATTENDED):
        raise Problem(
            409, "No pass", f"shift {occurrence.id} is {occurrence.state}: it has no pass"
        )
    token = sign_link_token(
        secret,
        purpose=PASS_PURPOSE,
        subject=str(occurrence.id),
        lifetime_s=PASS_LIFETIME_S,
        branch=task.branch_code,
    )
    claims = verify_link_token(secret, token, purpose=PASS_PURPOSE)
    return Pass(token, occurrence.code, datetime.fromtimestamp(claims.expires_at, UTC))


def _refused(status: int, reason: str, detail: str, **extra: object) -> Problem:
    """A refusal the kiosk shows in the person's language (by ``reason``)."""
    return Problem(status, "Check-in refused", detail, reason=reason, **extra)


async def _occurrence_of(uow: UnitOfWork, secret: str, given: str) -> tuple[Occurrence, Task]:
    """The date a pass or typed code names, and its task, both locked (the task first, as
    every change of places locks them)."""
    code = normalise_code(given) if len(given) <= 12 else None
    if code is not None:
        query = select(Occurrence.id, Occurrence.task_id).where(Occurrence.code == code)
    else:
        try:
            claims = verify_link_token(secret, given, purpose=PASS_PURPOSE)
            occurrence_id = uuid.UUID(claims.subject)
        except (InvalidLink, ValueError) as error:
            raise _refused(422, "invalid", f"code: not a valid pass ({error})") from error
        query = select(Occurrence.id, Occurrence.task_id).where(Occurrence.id == occurrence_id)
    found = (await uow.session.exec(query)).first()
    if found is None:
        raise _refused(404, "unknown", "code: no shift has this code")
    task = await uow.session.get(Task, found[1], with_for_update=True)
    occurrence = await uow.session.get(
        Occurrence, found[0], with_for_update=True, populate_existing=True
    )
    assert task is not None and occurrence is not None
    return occurrence, task


async def check(
    uow: UnitOfWork, secret: str, kiosk: Kiosk, given: str, now: datetime | None = None
) -> CheckResult:
    """Check the pass's holder in, or out; a pass of another branch or day is refused."""
    now = now or datetime.now(UTC)
    today = now.astimezone(WARSAW).date()
    occurrence, task = await _occurrence_of(uow, secret, given.strip())
    if task.branch_code != kiosk.branch_code:
        raise _refused(409, "other_branch", f"code: this shift is at branch {task.branch_code!r}")
    if not occurrence.occurrence_date <= today <= occurrence.until:
        raise _refused(
            409,
            "other_day",
            f"code: this shift is on {occurrence.occurrence_date.isoformat()}",
            day=occurrence.occurrence_date.isoformat(),
        )
    if occurrence.state not in (ShiftState.PLANNED, ShiftState.ATTENDED):
        raise _refused(409, "not_planned", f"code: this shift is {occurrence.state}")
    flexible = task.schedule_kind == ScheduleKind.FLEXIBLE
    if (
        flexible
        and occurrence.checked_out_at is not None
        and occurrence.checked_out_at.astimezone(WARSAW).date() < today
    ):
        # A flexible task is worked on several days of its period: a new day, a new visit.
        occurrence.checked_in_at = occurrence.checked_out_at = None
    person = await uow.session.get(Volunteer, occurrence.volunteer_id)
    first_name = person.first_name if person is not None else None
    if occurrence.checked_in_at is None:
        occurrence.checked_in_at = now
        attended = occurrence.state == ShiftState.PLANNED
        occurrence.state = ShiftState.ATTENDED
        occurrence.changed_at = now
        uow.session.add(occurrence)
        await uow.session.flush()
        if attended:
            await occurrences.announce(uow, ShiftAttended, occurrence, task)
        return CheckResult("in", first_name, now, None)
    if occurrence.checked_out_at is not None:
        raise _refused(409, "checked_out", "code: this shift is already checked out")
    occurrence.checked_out_at = now
    occurrence.changed_at = now
    assignment = await uow.session.get(Assignment, occurrence.assignment_id)
    assert assignment is not None
    # Hours the person already logged for the day stand; the kiosk adds no second entry.
    logged = await uow.session.exec(
        select(HoursEntry).where(
            HoursEntry.assignment_id == assignment.id,
            HoursEntry.worked_on == today,
            HoursEntry.status != hours.REJECTED,
        )
    )
    draft = logged.first() or await hours.log_hours(
        uow,
        assignment,
        task,
        hours.HoursInput(hours=worked_hours(occurrence.checked_in_at, now), worked_on=today),
        logged_by="kiosk",
    )
    occurrence.hours_entry_id = draft.id
    uow.session.add(occurrence)
    return CheckResult("out", first_name, now, str(draft.hours))


async def present(uow: UnitOfWork, branch_code: str, now: datetime | None = None) -> list[str]:
    """First names of the people checked in at the branch now (all the kiosk shows)."""
    today = (now or datetime.now(UTC)).astimezone(WARSAW).date()
    query = (
        select(Volunteer.first_name)
        .join(Occurrence, col(Occurrence.volunteer_id) == col(Volunteer.id))
        .join(Task, col(Task.id) == col(Occurrence.task_id))
        .where(
            Task.branch_code == branch_code,
            col(Occurrence.checked_in_at).is_not(None),
            col(Occurrence.checked_out_at).is_(None),
            col(Occurrence.occurrence_date) <= today,
            col(Occurrence.until) >= today,
        )
        .order_by(col(Volunteer.first_name))
    )
    return [name for name in (await uow.session.exec(query)).all() if name]


async def branch_of(uow: UnitOfWork, code: str) -> Branch:
    branch = (await uow.session.exec(select(Branch).where(Branch.code == code))).first()
    if branch is None:
        raise Problem(404, "Unknown branch", f"branch {code!r} is not known to the registry")
    return branch
