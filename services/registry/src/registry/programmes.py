"""Use cases for a branch's volunteer programme: drafted, then submitted."""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel import select

from registry import events
from registry.clock import now, today
from registry.commands import (
    ProgrammeDraft,
)
from registry.domain import RuleViolation
from registry.domain.stages import Stage
from registry.enrolments import active_enrolment
from registry.stages import move_stage
from registry.tables import (
    Programme,
)
from shared.unit_of_work import UnitOfWork

# -- the volunteer programme -------------------------------------------------------------------


async def find_programme(uow: UnitOfWork, enrolment_id: uuid.UUID) -> Programme | None:
    query = select(Programme).where(Programme.enrolment_id == enrolment_id)
    return (await uow.session.exec(query)).first()


async def save_programme(
    uow: UnitOfWork, enrolment_id: uuid.UUID, draft: ProgrammeDraft
) -> Programme:
    """Write or rewrite the programme; a submitted one becomes a draft again until resubmitted."""
    enrolment, _, _ = await active_enrolment(uow, enrolment_id)
    programme = await find_programme(uow, enrolment.id)
    if programme is None:
        programme = Programme(enrolment_id=enrolment.id, **draft.model_dump())
    else:
        for field, value in draft.model_dump().items():
            setattr(programme, field, value)
        programme.status = "draft"
        programme.updated_at = now()
    uow.session.add(programme)
    await uow.session.flush()
    return programme


async def submit_programme(uow: UnitOfWork, enrolment_id: uuid.UUID, on: date | None) -> Programme:
    """Submitting moves a trained branch to "programme prepared"."""
    enrolment, branch, edition = await active_enrolment(uow, enrolment_id)
    programme = await find_programme(uow, enrolment.id)
    if programme is None:
        raise RuleViolation(
            f"branch '{branch.code}' has no volunteer programme yet: save it first (PUT)"
        )
    if programme.status == "submitted":
        raise RuleViolation(
            f"the programme of branch '{branch.code}' is already submitted", title="Already done"
        )
    if enrolment.stage is None:
        raise RuleViolation(
            f"branch '{branch.code}' is not trained yet: its staff must attend every module "
            "before the programme is submitted"
        )
    submitted_on = on or today()
    programme.status = "submitted"
    programme.submitted_on = submitted_on
    programme.updated_at = now()
    uow.session.add(programme)
    if enrolment.stage == Stage.TRAINED.value:
        await move_stage(uow, enrolment, branch, Stage.PROGRAMME_PREPARED, reached_on=submitted_on)
    await uow.emit(
        events.ProgrammeSubmitted(
            branch_id=branch.id, code=branch.code, edition_id=edition.id, submitted_on=submitted_on
        ),
        subject=branch.code,
    )
    return programme
