"""Use cases for child-protection checks (ustawa Kamilka): recorded, read, swept for expiry.

A check is a record of what a member of staff saw: the day the sex-offender register
(Rejestr Sprawców Przestępstw na Tle Seksualnym) was checked and the date of the criminal
record certificate (zaświadczenie z KRK), if one was shown. The latest check of a volunteer
is the one that counts; it opens tasks with children while it holds (both dates present,
not yet expired). The sweep tells the branch that recorded it, once each, that it is about
to expire and that it has.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import ConfigDict, StringConstraints
from sqlalchemy.dialects.postgresql import distinct_on
from sqlmodel import col, select

from matching import branches
from matching.domain.eligibility import ChildProtection, check_expires_on
from matching.domain.schedule import WARSAW
from matching.events import ChildProtectionCheckExpired, ChildProtectionCheckExpiring
from matching.tables import ChildProtectionCheck, Volunteer
from shared.problems import Problem
from shared.unit_of_work import UnitOfWork
from shared.validation import CleanInput

NO_CHECK = ChildProtection(None, None)


class CheckInput(CleanInput):
    """What the member of staff saw, for which branch."""

    model_config = ConfigDict(extra="forbid")

    branch_code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    register_checked_on: date
    criminal_record_on: date | None = None


def warsaw_today() -> date:
    return datetime.now(WARSAW).date()


async def record_check(
    uow: UnitOfWork,
    volunteer: Volunteer,
    data: CheckInput,
    *,
    recorded_by: str,
    valid_months: int,
    today: date,
) -> ChildProtectionCheck:
    """A new check for the volunteer, which from now on is the one that counts."""
    for field in ("register_checked_on", "criminal_record_on"):
        value = getattr(data, field)
        if value is not None and value > today:
            raise Problem(422, "Invalid request", f"{field}: must not be in the future")
    expires_on = check_expires_on(data.register_checked_on, data.criminal_record_on, valid_months)
    if expires_on <= today:
        raise Problem(
            422,
            "Invalid request",
            f"a check with these dates expired on {expires_on.isoformat()}"
            f" (a check holds {valid_months} months): record a new one",
        )
    branch = await branches.branch_by_code(uow, data.branch_code)
    if branch is None:
        raise Problem(404, "Unknown branch", f"branch {data.branch_code!r} is not known")
    # The volunteer's row is locked: an erasure cannot slip in between.
    locked = await uow.session.get(Volunteer, volunteer.id, with_for_update=True)
    if locked is None or locked.erased_at is not None:
        raise Problem(404, "Volunteer not found", f"no volunteer with id {volunteer.id}")
    check = ChildProtectionCheck(
        volunteer_id=volunteer.id,
        branch_id=branch.id,
        branch_code=branch.code,
        recorded_by=recorded_by,
        recorded_at=datetime.now(UTC),
        register_checked_on=data.register_checked_on,
        criminal_record_on=data.criminal_record_on,
        expires_on=expires_on,
    )
    uow.session.add(check)
    await uow.session.flush()
    return check


async def checks_of(uow: UnitOfWork, volunteer_id: uuid.UUID) -> list[ChildProtectionCheck]:
    """Every check recorded for the volunteer, the one that counts first."""
    query = (
        select(ChildProtectionCheck)
        .where(ChildProtectionCheck.volunteer_id == volunteer_id)
        .order_by(col(ChildProtectionCheck.recorded_at).desc(), col(ChildProtectionCheck.id))
    )
    return list((await uow.session.exec(query)).all())


async def latest_checks(
    uow: UnitOfWork, volunteer_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, ChildProtectionCheck]:
    """Each volunteer's latest check (the one that counts); volunteers without one are left out."""
    ids = sorted(set(volunteer_ids))
    if not ids:
        return {}
    query = (
        select(ChildProtectionCheck)
        .where(col(ChildProtectionCheck.volunteer_id).in_(ids))
        .ext(distinct_on(col(ChildProtectionCheck.volunteer_id)))
        .order_by(
            col(ChildProtectionCheck.volunteer_id), col(ChildProtectionCheck.recorded_at).desc()
        )
    )
    return {check.volunteer_id: check for check in (await uow.session.exec(query)).all()}


def protection(check: ChildProtectionCheck | None) -> ChildProtection:
    """The rules' view of a check (no check: nothing opens)."""
    if check is None:
        return NO_CHECK
    return ChildProtection(check.register_checked_on, check.criminal_record_on, check.expires_on)


async def protection_of(uow: UnitOfWork, volunteer_id: uuid.UUID) -> ChildProtection:
    return protection((await latest_checks(uow, [volunteer_id])).get(volunteer_id))


async def forget_checks(uow: UnitOfWork, volunteer_id: uuid.UUID) -> None:
    """Erasure: the checks say something about the person, so they go entirely."""
    for check in await checks_of(uow, volunteer_id):
        await uow.session.delete(check)


# -- the sweep: telling the branch before and when a check expires ----------------------------


@dataclass(frozen=True)
class SweepResult:
    expiring: int
    expired: int


async def sweep(
    uow: UnitOfWork, *, today: date, notice_days: int, now: datetime | None = None
) -> SweepResult:
    """Each latest check that expires within ``notice_days`` of ``today`` is announced as
    expiring, and once ``today`` reaches its expiry as expired: each at most once per check
    (the row remembers), so running it again, or on several replicas at once, tells no one
    twice. Checks carried over without a branch have no coordinator to tell."""
    now = now or datetime.now(UTC)
    horizon = today + timedelta(days=notice_days)
    newer = ChildProtectionCheck.__table__.alias("newer")  # type: ignore[attr-defined]
    query = (
        select(ChildProtectionCheck)
        .join(Volunteer, col(Volunteer.id) == col(ChildProtectionCheck.volunteer_id))
        .where(
            col(ChildProtectionCheck.expires_on) <= horizon,
            col(ChildProtectionCheck.expired_told_at).is_(None),
            col(ChildProtectionCheck.branch_id).is_not(None),
            col(Volunteer.erased_at).is_(None),
            ~select(newer.c.id)
            .where(
                newer.c.volunteer_id == ChildProtectionCheck.volunteer_id,
                newer.c.recorded_at > ChildProtectionCheck.recorded_at,
            )
            .exists(),
        )
        .order_by(col(ChildProtectionCheck.expires_on), col(ChildProtectionCheck.id))
        .with_for_update(of=ChildProtectionCheck, skip_locked=True)
    )
    expiring = expired = 0
    for check in (await uow.session.exec(query)).all():
        assert check.branch_id is not None and check.branch_code is not None
        facts = {
            "check_id": check.id,
            "volunteer_id": check.volunteer_id,
            "branch_id": check.branch_id,
            "branch_code": check.branch_code,
            "expires_on": check.expires_on,
        }
        if check.expires_on <= today:
            check.expired_told_at = now
            await uow.emit(ChildProtectionCheckExpired(**facts), subject=str(check.volunteer_id))
            expired += 1
        elif check.expiring_told_at is None:
            check.expiring_told_at = now
            await uow.emit(ChildProtectionCheckExpiring(**facts), subject=str(check.volunteer_id))
            expiring += 1
        else:
            continue
        uow.session.add(check)
    return SweepResult(expiring=expiring, expired=expired)
