"""Use cases for enrolments: a branch taking part in an edition, and withdrawing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from registry import events
from registry.branches import get_branch
from registry.clock import now, today
from registry.commands import (
    Enrol,
    EnrolmentChanges,
    Withdraw,
)
from registry.domain import NotFound, RuleViolation
from registry.domain.editions import (
    EditionStatus,
    EnrolmentStatus,
    check_can_enrol,
    check_can_withdraw,
    check_enrolment_active,
)
from registry.editions import edition_label, get_edition
from registry.scope import Page, Scope, one_page
from registry.tables import (
    Branch,
    Edition,
    Enrolment,
)
from shared.unit_of_work import UnitOfWork

# -- enrolments ----------------------------------------------------------------------------


async def get_enrolment(
    uow: UnitOfWork, enrolment_id: uuid.UUID, *, lock: bool = False
) -> Enrolment:
    query = select(Enrolment).where(Enrolment.id == enrolment_id)
    if lock:
        query = query.with_for_update()
    enrolment = (await uow.session.exec(query)).first()
    if enrolment is None:
        raise NotFound(f"no enrolment with id '{enrolment_id}'")
    return enrolment


async def find_enrolment(
    uow: UnitOfWork, edition_id: uuid.UUID, branch_id: uuid.UUID, *, lock: bool = False
) -> Enrolment | None:
    query = select(Enrolment).where(
        Enrolment.edition_id == edition_id, Enrolment.branch_id == branch_id
    )
    if lock:
        query = query.with_for_update()
    return (await uow.session.exec(query)).first()


async def enrol_branch(uow: UnitOfWork, edition_id: uuid.UUID, command: Enrol) -> Enrolment:
    """Enrol a branch in an open edition of its type; a branch that withdrew may come back."""
    # A shared lock: enrolments run side by side, and closing the edition waits for them.
    edition = await get_edition(uow, edition_id, lock="share")
    branch = await get_branch(uow, command.branch_code)
    check_can_enrol(
        edition=edition_label(edition),
        edition_status=EditionStatus(edition.status),
        edition_type=edition.institution_type,
        branch_code=branch.code,
        branch_type=branch.institution_type,
    )
    enrolled_on = command.enrolled_on or today()
    enrolment = await find_enrolment(uow, edition.id, branch.id, lock=True)
    if enrolment is not None and enrolment.status == EnrolmentStatus.ENROLLED.value:
        raise RuleViolation(
            f"branch '{branch.code}' is already enrolled in edition {edition_label(edition)}",
            title="Already enrolled",
        )
    if enrolment is None:
        enrolment = Enrolment(
            edition_id=edition.id,
            branch_id=branch.id,
            funding_pln=command.funding_pln,
            enrolled_on=enrolled_on,
        )
    else:  # coming back after a withdrawal: the stages reached so far stay
        enrolment.status = EnrolmentStatus.ENROLLED.value
        enrolment.funding_pln = command.funding_pln
        enrolment.enrolled_on = enrolled_on
        enrolment.withdrawn_on = None
        enrolment.withdrawal_reason = None
        enrolment.updated_at = now()
    uow.session.add(enrolment)
    await uow.session.flush()
    await uow.emit(
        events.BranchEnrolled(
            branch_id=branch.id,
            code=branch.code,
            edition_id=edition.id,
            funding_pln=enrolment.funding_pln,
        ),
        subject=branch.code,
    )
    return enrolment


async def update_enrolment(
    uow: UnitOfWork, enrolment_id: uuid.UUID, changes: EnrolmentChanges
) -> Enrolment:
    enrolment = await get_enrolment(uow, enrolment_id, lock=True)
    if enrolment.status == EnrolmentStatus.WITHDRAWN.value:
        branch = await get_branch(uow, enrolment.branch_id)
        raise RuleViolation(
            f"branch '{branch.code}' has withdrawn from this edition; its funding is closed"
        )
    enrolment.funding_pln = changes.funding_pln
    enrolment.updated_at = now()
    uow.session.add(enrolment)
    await uow.session.flush()
    return enrolment


async def withdraw_branch(uow: UnitOfWork, enrolment_id: uuid.UUID, command: Withdraw) -> Enrolment:
    enrolment = await get_enrolment(uow, enrolment_id, lock=True)
    branch = await get_branch(uow, enrolment.branch_id)
    edition = await get_edition(uow, enrolment.edition_id)
    check_can_withdraw(branch.code, edition_label(edition), EnrolmentStatus(enrolment.status))
    enrolment.status = EnrolmentStatus.WITHDRAWN.value
    enrolment.withdrawn_on = command.withdrawn_on or today()
    enrolment.withdrawal_reason = command.reason
    enrolment.updated_at = now()
    uow.session.add(enrolment)
    await uow.session.flush()
    await uow.emit(
        events.BranchWithdrawn(
            branch_id=branch.id, code=branch.code, edition_id=edition.id, reason=command.reason
        ),
        subject=branch.code,
    )
    return enrolment


@dataclass(frozen=True)
class EnrolmentFilters:
    edition_id: uuid.UUID | None = None
    district: str | None = None
    stage: str | None = None
    institution_type: str | None = None
    status: str | None = None


async def list_enrolments(
    uow: UnitOfWork, filters: EnrolmentFilters, scope: Scope, *, limit: int, offset: int
) -> Page[tuple[Enrolment, Branch]]:
    query: Any = select(Enrolment, Branch).join(Branch, col(Branch.id) == Enrolment.branch_id)
    if filters.edition_id is not None:
        query = query.where(Enrolment.edition_id == filters.edition_id)
    if filters.stage is not None:
        query = query.where(Enrolment.stage == filters.stage)
    if filters.status is not None:
        query = query.where(Enrolment.status == filters.status)
    if filters.district is not None:
        query = query.where(Branch.district == filters.district)
    if filters.institution_type is not None:
        query = query.where(Branch.institution_type == filters.institution_type)
    if not scope.everything:
        query = query.where(col(Branch.id).in_(scope.branch_ids))
    page: Page[tuple[Enrolment, Branch]] = await one_page(
        uow, query.order_by(Branch.code, Enrolment.enrolled_on), limit, offset
    )
    return Page(
        items=[(row[0], row[1]) for row in page.items],
        total=page.total,
        limit=limit,
        offset=offset,
    )


async def active_enrolment(
    uow: UnitOfWork, enrolment_id: uuid.UUID
) -> tuple[Enrolment, Branch, Edition]:
    """An enrolment that work can be recorded on: enrolled, in an open edition."""
    enrolment = await get_enrolment(uow, enrolment_id, lock=True)
    branch = await get_branch(uow, enrolment.branch_id)
    edition = await get_edition(uow, enrolment.edition_id)
    check_enrolment_active(
        branch.code,
        edition_label(edition),
        EnrolmentStatus(enrolment.status),
        EditionStatus(edition.status),
    )
    return enrolment, branch, edition
