"""Use cases for a branch's annual report: drafted, submitted, accepted."""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel import select

from registry import events
from registry.clock import now, today
from registry.commands import (
    AcceptReport,
    ReportDraft,
)
from registry.domain import RuleViolation
from registry.domain.stages import Stage
from registry.enrolments import active_enrolment
from registry.stages import move_stage
from registry.tables import (
    AnnualReport,
)
from shared.unit_of_work import UnitOfWork

# -- the annual report -------------------------------------------------------------------------


async def find_report(uow: UnitOfWork, enrolment_id: uuid.UUID) -> AnnualReport | None:
    query = select(AnnualReport).where(AnnualReport.enrolment_id == enrolment_id)
    return (await uow.session.exec(query)).first()


async def save_report(uow: UnitOfWork, enrolment_id: uuid.UUID, draft: ReportDraft) -> AnnualReport:
    enrolment, branch, _ = await active_enrolment(uow, enrolment_id)
    report = await find_report(uow, enrolment.id)
    if report is not None and report.status == "accepted":
        raise RuleViolation(
            f"the annual report of branch '{branch.code}' is accepted and can no longer change"
        )
    if report is None:
        report = AnnualReport(enrolment_id=enrolment.id, **draft.model_dump())
    else:
        for field, value in draft.model_dump().items():
            setattr(report, field, value)
        report.status = "draft"
        report.updated_at = now()
    uow.session.add(report)
    await uow.session.flush()
    return report


async def submit_report(uow: UnitOfWork, enrolment_id: uuid.UUID, on: date | None) -> AnnualReport:
    enrolment, branch, edition = await active_enrolment(uow, enrolment_id)
    report = await find_report(uow, enrolment.id)
    if report is None:
        raise RuleViolation(f"branch '{branch.code}' has no annual report yet: save it first (PUT)")
    if report.status != "draft":
        raise RuleViolation(
            f"the annual report of branch '{branch.code}' is already {report.status}",
            title="Already done",
        )
    report.status = "submitted"
    report.submitted_on = on or today()
    report.updated_at = now()
    uow.session.add(report)
    await uow.session.flush()
    await uow.emit(
        events.ReportSubmitted(
            branch_id=branch.id,
            code=branch.code,
            edition_id=edition.id,
            submitted_on=report.submitted_on,
            spent_pln=report.spent_pln,
        ),
        subject=branch.code,
    )
    return report


async def accept_report(
    uow: UnitOfWork, enrolment_id: uuid.UUID, command: AcceptReport
) -> AnnualReport:
    """The city accepts the report: the branch is evaluated."""
    enrolment, branch, edition = await active_enrolment(uow, enrolment_id)
    report = await find_report(uow, enrolment.id)
    if report is None or report.status != "submitted":
        state = "none" if report is None else report.status
        raise RuleViolation(
            f"only a submitted annual report can be accepted; branch '{branch.code}' has {state}"
        )
    accepted_on = command.accepted_on or today()
    report.status = "accepted"
    report.accepted_on = accepted_on
    report.updated_at = now()
    uow.session.add(report)
    await move_stage(
        uow, enrolment, branch, Stage.EVALUATED, reached_on=accepted_on, reason=command.reason
    )
    await uow.emit(
        events.ReportAccepted(
            branch_id=branch.id,
            code=branch.code,
            edition_id=edition.id,
            accepted_on=accepted_on,
            funding_pln=enrolment.funding_pln,
            spent_pln=report.spent_pln,
        ),
        subject=branch.code,
    )
    return report
