"""Use cases for an edition's call for applications and the branches' applications to it.

The city office announces the call (dates, criteria, the edition's budget); a branch applies
once per edition, within the call's dates; the city office accepts it with funding (the
branch is enrolled), rejects it with a reason, or asks for changes (the branch amends and
submits again). Funding granted never exceeds the call's budget.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import col, select

from registry import events
from registry.branches import get_branch
from registry.clock import now, today
from registry.commands import (
    AcceptApplication,
    ApplicationDraft,
    Apply,
    CallDetails,
    Enrol,
    RejectApplication,
    RequestChanges,
)
from registry.domain import NotFound, RuleViolation
from registry.domain.editions import EditionStatus, EnrolmentStatus
from registry.editions import edition_label, get_edition
from registry.enrolments import enrol_branch, find_enrolment
from registry.scope import Scope
from registry.tables import (
    AnnualReport,
    Application,
    ApplicationCall,
    Branch,
    Edition,
    Enrolment,
)
from shared.unit_of_work import UnitOfWork

SUBMITTED = "submitted"
CHANGES_REQUESTED = "changes_requested"
ACCEPTED = "accepted"
REJECTED = "rejected"
# Applications the city office still has to answer; the branch may amend them.
OPEN_STATUSES = (SUBMITTED, CHANGES_REQUESTED)


# -- the call --------------------------------------------------------------------------------


async def find_call(
    uow: UnitOfWork, edition_id: uuid.UUID, *, lock: bool = False
) -> ApplicationCall | None:
    query = select(ApplicationCall).where(ApplicationCall.edition_id == edition_id)
    if lock:
        query = query.with_for_update()
    return (await uow.session.exec(query)).first()


async def get_call(
    uow: UnitOfWork, edition_id: uuid.UUID, *, lock: bool = False
) -> ApplicationCall:
    call = await find_call(uow, edition_id, lock=lock)
    if call is None:
        edition = await get_edition(uow, edition_id)
        raise NotFound(f"edition {edition_label(edition)} has no call for applications")
    return call


async def announce_call(
    uow: UnitOfWork, edition_id: uuid.UUID, details: CallDetails
) -> ApplicationCall:
    """Announce the edition's call, or change its terms; a budget is never set below what
    has already been granted."""
    edition = await get_edition(uow, edition_id)
    if edition.status == EditionStatus.CLOSED.value:
        raise RuleViolation(f"edition {edition_label(edition)} is closed")
    call = await find_call(uow, edition.id, lock=True)
    granted = await granted_in(uow, edition.id)
    if details.budget_pln < granted:
        raise RuleViolation(
            f"edition {edition_label(edition)} has already granted {granted} PLN; "
            f"the budget cannot be {details.budget_pln} PLN",
            title="Budget below what was granted",
        )
    if call is None:
        call = ApplicationCall(edition_id=edition.id, **details.model_dump())
    else:
        for name, value in details.model_dump().items():
            setattr(call, name, value)
        call.updated_at = now()
    uow.session.add(call)
    await uow.session.flush()
    await uow.emit(
        events.CallAnnounced(
            edition_id=edition.id,
            institution_type=edition.institution_type,
            opens_on=call.opens_on,
            closes_on=call.closes_on,
            budget_pln=call.budget_pln,
        ),
        subject=str(edition.id),
    )
    return call


async def granted_in(uow: UnitOfWork, edition_id: uuid.UUID) -> Decimal:
    """The funding of the edition's enrolled branches, however they were enrolled."""
    total = (
        await uow.session.exec(
            select(sa.func.coalesce(sa.func.sum(Enrolment.funding_pln), 0)).where(
                Enrolment.edition_id == edition_id,
                Enrolment.status == EnrolmentStatus.ENROLLED.value,
            )
        )
    ).one()
    return Decimal(total)


# -- applying --------------------------------------------------------------------------------


async def get_application(uow: UnitOfWork, application_id: uuid.UUID) -> Application:
    application = await uow.session.get(Application, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}")
    return application


async def apply(uow: UnitOfWork, edition_id: uuid.UUID, command: Apply) -> Application:
    """A branch applies to the edition: within the call's dates, once per edition."""
    edition = await get_edition(uow, edition_id)
    branch = await get_branch(uow, command.branch_code)
    call = await get_call(uow, edition.id)
    submitted_on = command.submitted_on or today()
    if not call.opens_on <= submitted_on <= call.closes_on:
        raise RuleViolation(
            f"the call for edition {edition_label(edition)} takes applications from "
            f"{call.opens_on} to {call.closes_on}, not on {submitted_on}",
            title="Outside the call's dates",
        )
    if edition.status == EditionStatus.CLOSED.value:
        raise RuleViolation(f"edition {edition_label(edition)} is closed")
    if branch.institution_type != edition.institution_type:
        raise RuleViolation(
            f"edition {edition_label(edition)} is for {edition.institution_type}; "
            f"branch '{branch.code}' is a {branch.institution_type}"
        )
    enrolment = await find_enrolment(uow, edition.id, branch.id)
    if enrolment is not None and enrolment.status == EnrolmentStatus.ENROLLED.value:
        raise RuleViolation(
            f"branch '{branch.code}' is already enrolled in edition {edition_label(edition)}",
            title="Already enrolled",
        )
    existing = (
        await uow.session.exec(
            select(Application).where(
                Application.edition_id == edition.id, Application.branch_id == branch.id
            )
        )
    ).first()
    if existing is not None:
        raise RuleViolation(
            f"branch '{branch.code}' has already applied to edition {edition_label(edition)}",
            title="Already applied",
        )
    application = Application(
        edition_id=edition.id,
        branch_id=branch.id,
        submitted_on=submitted_on,
        motivation=command.motivation,
        team=command.team,
        task_types=command.task_types,
    )
    uow.session.add(application)
    await uow.session.flush()
    await _emit_submitted(uow, application, branch)
    return application


async def amend(uow: UnitOfWork, application_id: uuid.UUID, draft: ApplicationDraft) -> Application:
    """The branch changes its application before the decision; asked for changes, it is
    submitted again."""
    application = await _locked(uow, application_id)
    branch = await get_branch(uow, application.branch_id)
    if application.status not in OPEN_STATUSES:
        raise RuleViolation(
            f"the application of branch '{branch.code}' is {application.status} "
            "and can no longer be changed",
            title="Already decided",
        )
    for name, value in draft.model_dump().items():
        setattr(application, name, value)
    resubmitted = application.status == CHANGES_REQUESTED
    if resubmitted:
        application.submitted_on = today()
    application.status = SUBMITTED
    application.updated_at = now()
    uow.session.add(application)
    await uow.session.flush()
    if resubmitted:
        await _emit_submitted(uow, application, branch)
    return application


async def _emit_submitted(uow: UnitOfWork, application: Application, branch: Branch) -> None:
    await uow.emit(
        events.BranchApplicationSubmitted(
            application_id=application.id,
            edition_id=application.edition_id,
            branch_id=branch.id,
            code=branch.code,
            submitted_on=application.submitted_on,
            task_types=list(application.task_types),
        ),
        subject=branch.code,
    )


async def _locked(uow: UnitOfWork, application_id: uuid.UUID) -> Application:
    query = select(Application).where(Application.id == application_id).with_for_update()
    application = (await uow.session.exec(query)).first()
    if application is None:
        raise NotFound(f"no application {application_id}")
    return application


async def _undecided(uow: UnitOfWork, application_id: uuid.UUID) -> tuple[Application, Branch]:
    application = await _locked(uow, application_id)
    branch = await get_branch(uow, application.branch_id)
    if application.status != SUBMITTED:
        state = (
            "waits for the branch's changes"
            if application.status in OPEN_STATUSES
            else (f"is already {application.status}")
        )
        raise RuleViolation(
            f"the application of branch '{branch.code}' {state}", title="Not awaiting a decision"
        )
    return application, branch


# -- the city office's decisions -------------------------------------------------------------


async def accept(
    uow: UnitOfWork, application_id: uuid.UUID, command: AcceptApplication
) -> Application:
    """Accepted with funding: the branch is enrolled, within what is left of the budget."""
    application, branch = await _undecided(uow, application_id)
    edition = await get_edition(uow, application.edition_id)
    # Locked: two acceptances at once cannot both spend the same remainder.
    call = await get_call(uow, edition.id, lock=True)
    left = call.budget_pln - await granted_in(uow, edition.id)
    if command.funding_pln > left:
        raise RuleViolation(
            f"edition {edition_label(edition)} has {left} PLN left of its "
            f"{call.budget_pln} PLN budget; {command.funding_pln} PLN is more",
            title="Budget exceeded",
        )
    decided_on = command.decided_on or today()
    enrolment = await enrol_branch(
        uow,
        edition.id,
        Enrol(branch_code=branch.code, funding_pln=command.funding_pln, enrolled_on=decided_on),
    )
    application.status = ACCEPTED
    application.funding_pln = command.funding_pln
    application.decided_on = decided_on
    application.enrolment_id = enrolment.id
    application.answer = None
    await _decided(uow, application)
    await uow.emit(
        events.BranchApplicationAccepted(
            application_id=application.id,
            edition_id=edition.id,
            branch_id=branch.id,
            code=branch.code,
            enrolment_id=enrolment.id,
            funding_pln=command.funding_pln,
            decided_on=decided_on,
        ),
        subject=branch.code,
    )
    return application


async def reject(
    uow: UnitOfWork, application_id: uuid.UUID, command: RejectApplication
) -> Application:
    application, branch = await _undecided(uow, application_id)
    application.status = REJECTED
    application.answer = command.reason
    application.decided_on = command.decided_on or today()
    await _decided(uow, application)
    await uow.emit(
        events.BranchApplicationRejected(
            application_id=application.id,
            edition_id=application.edition_id,
            branch_id=branch.id,
            code=branch.code,
            reason=command.reason,
            decided_on=application.decided_on,
        ),
        subject=branch.code,
    )
    return application


async def request_changes(
    uow: UnitOfWork, application_id: uuid.UUID, command: RequestChanges
) -> Application:
    application, branch = await _undecided(uow, application_id)
    application.status = CHANGES_REQUESTED
    application.answer = command.changes
    application.decided_on = command.decided_on or today()
    await _decided(uow, application)
    await uow.emit(
        events.BranchApplicationChangesRequested(
            application_id=application.id,
            edition_id=application.edition_id,
            branch_id=branch.id,
            code=branch.code,
            changes=command.changes,
            decided_on=application.decided_on,
        ),
        subject=branch.code,
    )
    return application


async def _decided(uow: UnitOfWork, application: Application) -> None:
    application.updated_at = now()
    uow.session.add(application)
    await uow.session.flush()


# -- lists -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationFilters:
    edition_id: uuid.UUID | None = None
    status: str | None = None
    branch_code: str | None = None


async def list_applications(
    uow: UnitOfWork, filters: ApplicationFilters, scope: Scope
) -> Sequence[tuple[Application, Branch, Edition]]:
    """Applications with their branch and edition: those waiting for a decision first,
    then by the day they came."""
    query = (
        select(Application, Branch, Edition)
        .join(Branch, col(Branch.id) == Application.branch_id)
        .join(Edition, col(Edition.id) == Application.edition_id)
    )
    if filters.edition_id is not None:
        query = query.where(Application.edition_id == filters.edition_id)
    if filters.status is not None:
        query = query.where(Application.status == filters.status)
    if filters.branch_code is not None:
        query = query.where(Branch.code == filters.branch_code)
    if not scope.everything:
        query = query.where(col(Branch.id).in_(scope.branch_ids))
    waiting = sa.case((col(Application.status) == SUBMITTED, 0), else_=1)
    rows = await uow.session.exec(
        query.order_by(waiting, col(Application.submitted_on), Branch.code).limit(500)
    )
    return [(application, branch, edition) for application, branch, edition in rows.all()]


# -- the edition's budget --------------------------------------------------------------------


@dataclass(frozen=True)
class BranchFunding:
    branch: Branch
    enrolment: Enrolment
    report: AnnualReport | None

    @property
    def settled(self) -> bool:
        """The branch's spending is final once the city office accepted its report."""
        return self.report is not None and self.report.status == "accepted"


@dataclass(frozen=True)
class Budget:
    call: ApplicationCall | None
    granted: Decimal
    spent: Decimal  # by the branches whose reports are accepted
    branches: list[BranchFunding]

    @property
    def left(self) -> Decimal | None:
        return None if self.call is None else self.call.budget_pln - self.granted


async def edition_budget(uow: UnitOfWork, edition_id: uuid.UUID) -> Budget:
    """What the edition's call budgets, what was granted per branch, and what the accepted
    annual reports say was spent."""
    await get_edition(uow, edition_id)
    rows = await uow.session.exec(
        select(Enrolment, Branch, AnnualReport)
        .join(Branch, col(Branch.id) == Enrolment.branch_id)
        .outerjoin(AnnualReport, col(AnnualReport.enrolment_id) == Enrolment.id)
        .where(Enrolment.edition_id == edition_id)
        .order_by(Branch.code)
    )
    branches = [
        BranchFunding(branch=branch, enrolment=enrolment, report=report)
        for enrolment, branch, report in rows.all()
    ]
    granted = sum(
        (b.enrolment.funding_pln for b in branches if b.enrolment.status == "enrolled"),
        Decimal("0.00"),
    )
    spent = sum(
        (b.report.spent_pln or Decimal("0.00") for b in branches if b.settled and b.report),
        Decimal("0.00"),
    )
    return Budget(
        call=await find_call(uow, edition_id), granted=granted, spent=spent, branches=branches
    )
