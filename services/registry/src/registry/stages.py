"""Use cases for an enrolment's implementation stages, and what moves them on."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlmodel import col, select

from registry import events
from registry.branches import find_branch
from registry.clock import now
from registry.commands import (
    ReachStage,
)
from registry.domain.editions import (
    EnrolmentStatus,
)
from registry.domain.stages import Stage, check_stage_move
from registry.editions import open_edition_for
from registry.enrolments import active_enrolment, find_enrolment
from registry.tables import (
    Branch,
    Enrolment,
    StageRecord,
)
from shared.logging import get_logger
from shared.unit_of_work import UnitOfWork

log = get_logger(__name__)


# -- implementation stages -------------------------------------------------------------------


async def move_stage(
    uow: UnitOfWork,
    enrolment: Enrolment,
    branch: Branch,
    target: Stage,
    *,
    reached_on: date,
    reason: str | None = None,
) -> StageRecord:
    """The one way a branch's stage changes: checked, recorded with its history, announced."""
    current = Stage(enrolment.stage) if enrolment.stage else None
    check_stage_move(
        current,
        target,
        reason=reason,
        reached_on=reached_on,
        current_reached_on=enrolment.stage_reached_on,
    )
    record = StageRecord(
        enrolment_id=enrolment.id,
        stage=target.value,
        previous_stage=enrolment.stage,
        reached_on=reached_on,
        reason=reason,
    )
    enrolment.stage = target.value
    enrolment.stage_reached_on = reached_on
    enrolment.updated_at = now()
    uow.session.add_all([record, enrolment])
    await uow.session.flush()
    await uow.emit(
        events.StageReached(
            branch_id=branch.id,
            code=branch.code,
            edition_id=enrolment.edition_id,
            stage=target.value,
            reached_on=reached_on,
        ),
        subject=branch.code,
    )
    return record


async def reach_stage(uow: UnitOfWork, enrolment_id: uuid.UUID, command: ReachStage) -> Enrolment:
    enrolment, branch, _ = await active_enrolment(uow, enrolment_id)
    await move_stage(
        uow, enrolment, branch, command.stage, reached_on=command.reached_on, reason=command.reason
    )
    return enrolment


async def stage_history(uow: UnitOfWork, enrolment_id: uuid.UUID) -> Sequence[StageRecord]:
    query = (
        select(StageRecord)
        .where(StageRecord.enrolment_id == enrolment_id)
        .order_by(col(StageRecord.recorded_at), col(StageRecord.reached_on))
    )
    return (await uow.session.exec(query)).all()


# -- what other services tell us ---------------------------------------------------------------


async def note_volunteer_activity(
    uow: UnitOfWork, branch_id: uuid.UUID, *, worked_on: date
) -> None:
    """Volunteers worked at a branch: a branch still recruiting in the open edition of its type
    moves on to "volunteers active". Anything else changes nothing (later hours, a branch not
    yet recruiting, hours from a branch the registry does not enrol), so redeliveries and
    out-of-order events are harmless."""
    branch = await find_branch(uow, branch_id)
    if branch is None:
        log.warning(
            "approved hours at a branch the registry does not know", branch_id=str(branch_id)
        )
        return
    edition = await open_edition_for(uow, branch.institution_type)
    if edition is None:
        return
    enrolment = await find_enrolment(uow, edition.id, branch.id, lock=True)
    if (
        enrolment is None
        or enrolment.status != EnrolmentStatus.ENROLLED.value
        or enrolment.stage != Stage.RECRUITING.value
    ):
        return
    # Hours worked before recruiting was recorded still count from the day it was.
    reached_on = max(worked_on, enrolment.stage_reached_on or worked_on)
    await move_stage(uow, enrolment, branch, Stage.VOLUNTEERS_ACTIVE, reached_on=reached_on)
