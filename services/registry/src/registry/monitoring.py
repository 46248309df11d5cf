"""Use cases for trainers' monitoring visits to branches."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from registry import events
from registry.assignments import is_assigned_trainer
from registry.commands import (
    VisitChanges,
    VisitDetails,
)
from registry.domain import NotFound, RuleViolation
from registry.editions import edition_label
from registry.enrolments import active_enrolment
from registry.scope import Page, Scope, one_page
from registry.staff import get_trainer
from registry.tables import (
    Branch,
    Enrolment,
    MonitoringVisit,
    Trainer,
)
from shared.unit_of_work import UnitOfWork

# -- monitoring visits -------------------------------------------------------------------------


async def _trainer_for_visit(
    uow: UnitOfWork, trainer_id: uuid.UUID | None, acting_subject: str | None
) -> Trainer:
    if trainer_id is not None:
        trainer = await get_trainer(uow, trainer_id)
    elif acting_subject is not None:
        found = (
            await uow.session.exec(select(Trainer).where(Trainer.subject == acting_subject))
        ).first()
        if found is None:
            raise RuleViolation(
                "your user account is not linked to a trainer: say who visited (trainer_id)",
                title="Trainer unknown",
            )
        trainer = found
    else:
        raise RuleViolation("say which trainer visited (trainer_id)", title="Trainer unknown")
    if acting_subject is not None and trainer.subject not in (None, acting_subject):
        raise RuleViolation(
            f"visits of {trainer.name} are recorded by {trainer.name} or the city office",
            title="Someone else's visit",
        )
    return trainer


async def record_visit(
    uow: UnitOfWork, enrolment_id: uuid.UUID, details: VisitDetails, *, acting_subject: str | None
) -> MonitoringVisit:
    """``acting_subject`` is the trainer's user id when a trainer records it (None for the city)."""
    enrolment, branch, edition = await active_enrolment(uow, enrolment_id)
    trainer = await _trainer_for_visit(uow, details.trainer_id, acting_subject)
    if not await is_assigned_trainer(uow, enrolment.id, trainer.id):
        raise RuleViolation(
            f"{trainer.name} is not assigned to branch '{branch.code}' in edition "
            f"{edition_label(edition)}"
        )
    visit = MonitoringVisit(
        enrolment_id=enrolment.id,
        trainer_id=trainer.id,
        **details.model_dump(exclude={"trainer_id"}),
    )
    uow.session.add(visit)
    await uow.session.flush()
    await uow.emit(
        events.VisitRecorded(
            visit_id=visit.id,
            branch_id=branch.id,
            code=branch.code,
            edition_id=edition.id,
            trainer_id=trainer.id,
            visited_on=visit.visited_on,
            follow_up_on=visit.follow_up_on,
        ),
        subject=branch.code,
    )
    return visit


async def get_visit(uow: UnitOfWork, visit_id: uuid.UUID) -> MonitoringVisit:
    visit = await uow.session.get(MonitoringVisit, visit_id)
    if visit is None:
        raise NotFound(f"no monitoring visit with id '{visit_id}'")
    return visit


async def update_visit(
    uow: UnitOfWork, visit_id: uuid.UUID, changes: VisitChanges, *, acting_subject: str | None
) -> MonitoringVisit:
    visit = await get_visit(uow, visit_id)
    await _trainer_for_visit(uow, visit.trainer_id, acting_subject)
    values = changes.model_dump(exclude_unset=True)
    if "notes" in values and values["notes"] is None:
        raise RuleViolation("notes cannot be emptied", title="Invalid change")
    for field, value in values.items():
        setattr(visit, field, value)
    if visit.follow_up_on is not None and visit.follow_up_on < visit.visited_on:
        raise RuleViolation(
            f"follow_up_on ({visit.follow_up_on}) must not be before the visit "
            f"({visit.visited_on})",
            title="Invalid change",
        )
    uow.session.add(visit)
    await uow.session.flush()
    return visit


@dataclass(frozen=True)
class VisitFilters:
    edition_id: uuid.UUID | None = None
    enrolment_id: uuid.UUID | None = None
    trainer_id: uuid.UUID | None = None
    district: str | None = None


async def list_visits(
    uow: UnitOfWork, filters: VisitFilters, scope: Scope, *, limit: int, offset: int
) -> Page[tuple[MonitoringVisit, Enrolment, Branch]]:
    query: Any = (
        select(MonitoringVisit, Enrolment, Branch)
        .join(Enrolment, col(Enrolment.id) == MonitoringVisit.enrolment_id)
        .join(Branch, col(Branch.id) == Enrolment.branch_id)
    )
    if filters.edition_id is not None:
        query = query.where(Enrolment.edition_id == filters.edition_id)
    if filters.enrolment_id is not None:
        query = query.where(Enrolment.id == filters.enrolment_id)
    if filters.trainer_id is not None:
        query = query.where(MonitoringVisit.trainer_id == filters.trainer_id)
    if filters.district is not None:
        query = query.where(Branch.district == filters.district)
    if not scope.everything:
        query = query.where(col(Branch.id).in_(scope.branch_ids))
    page: Page[Any] = await one_page(
        uow, query.order_by(col(MonitoringVisit.visited_on).desc(), Branch.code), limit, offset
    )
    items = [(row[0], row[1], row[2]) for row in page.items]
    return Page(items=items, total=page.total, limit=limit, offset=offset)
