"""Use cases for agreements (porozumienia) and certificates (zaświadczenia)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import ConfigDict, StringConstraints
from sqlmodel import col, func, select

from matching import branches
from matching.certificate_pdf import render_certificate
from matching.domain.agreements import AgreementError, CertificateFacts, agreement_terms
from matching.domain.people import GuardianRole
from matching.domain.schedule import WARSAW
from matching.events import CertificateIssued
from matching.hours import APPROVED
from matching.tables import Agreement, Certificate, HoursEntry, Task, Volunteer
from shared.problems import Problem
from shared.unit_of_work import UnitOfWork
from shared.validation import CleanInput


class AgreementInput(CleanInput):
    model_config = ConfigDict(extra="forbid")

    volunteer_id: uuid.UUID
    branch_code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    scope: Annotated[str, StringConstraints(min_length=3, max_length=2000, strip_whitespace=True)]
    starts_on: date
    ends_on: date
    working_hours: (
        Annotated[str, StringConstraints(min_length=3, max_length=300, strip_whitespace=True)]
        | None
    ) = None
    reimbursed_costs: (
        Annotated[str, StringConstraints(min_length=3, max_length=500, strip_whitespace=True)]
        | None
    ) = None


async def _living_volunteer(uow: UnitOfWork, volunteer_id: uuid.UUID) -> Volunteer:
    volunteer = await uow.session.get(Volunteer, volunteer_id)
    if volunteer is None or volunteer.erased_at is not None or volunteer.birth_date is None:
        raise Problem(404, "Volunteer not found", f"no volunteer with id {volunteer_id}")
    return volunteer


async def conclude_agreement(uow: UnitOfWork, data: AgreementInput) -> Agreement:
    branch = await branches.branch_by_code(uow, data.branch_code)
    if branch is None:
        raise Problem(404, "Unknown branch", f"branch {data.branch_code!r} is not known")
    volunteer = await _living_volunteer(uow, data.volunteer_id)
    assert volunteer.birth_date is not None
    try:
        terms = agreement_terms(volunteer.birth_date, data.starts_on, data.ends_on)
    except AgreementError as error:
        raise Problem(422, "Invalid request", str(error)) from error
    guardian = volunteer.guardian or {}
    if terms.guardian_role is not GuardianRole.NONE and not guardian.get("name"):
        raise Problem(
            409,
            "Guardian required",
            f"the volunteer is a minor on {data.starts_on.isoformat()}: the guardian must "
            + (
                "conclude the agreement"
                if terms.guardian_role is GuardianRole.CONCLUDES_AGREEMENT
                else "give written consent"
            ),
        )
    agreement = Agreement(
        volunteer_id=volunteer.id,
        branch_id=branch.id,
        branch_code=branch.code,
        scope=data.scope,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        written_form_required=terms.written_form_required,
        guardian_role=terms.guardian_role,
        guardian_name=guardian.get("name")
        if terms.guardian_role is not GuardianRole.NONE
        else None,
        created_at=datetime.now(UTC),
        working_hours=data.working_hours,
        reimbursed_costs=data.reimbursed_costs,
    )
    uow.session.add(agreement)
    await uow.session.flush()
    return agreement


async def list_agreements(
    uow: UnitOfWork,
    *,
    volunteer_id: uuid.UUID | None,
    branch_codes: set[str] | None,
    limit: int,
    offset: int,
) -> list[Agreement]:
    query = select(Agreement)
    if volunteer_id is not None:
        query = query.where(Agreement.volunteer_id == volunteer_id)
    if branch_codes is not None:
        query = query.where(col(Agreement.branch_code).in_(sorted(branch_codes)))
    query = query.order_by(col(Agreement.starts_on), col(Agreement.id))
    return list((await uow.session.exec(query.limit(limit).offset(offset))).all())


async def issue_certificate(
    uow: UnitOfWork, volunteer_id: uuid.UUID, branch_code: str
) -> Certificate:
    """The certificate states scope, period and approved hours at the branch, in Polish."""
    session = uow.session
    branch = await branches.branch_by_code(uow, branch_code)
    if branch is None:
        raise Problem(404, "Unknown branch", f"branch {branch_code!r} is not known")
    volunteer = await _living_volunteer(uow, volunteer_id)
    total, first, last = (
        await session.exec(
            select(
                func.coalesce(func.sum(HoursEntry.hours), 0),
                func.min(HoursEntry.worked_on),
                func.max(HoursEntry.worked_on),
            ).where(
                HoursEntry.volunteer_id == volunteer.id,
                HoursEntry.branch_id == branch.id,
                HoursEntry.status == APPROVED,
            )
        )
    ).one()
    agreements = await list_agreements(
        uow, volunteer_id=volunteer.id, branch_codes={branch.code}, limit=100, offset=0
    )
    if first is None and not agreements:
        raise Problem(
            409,
            "Nothing to certify",
            f"no approved hours and no agreement at {branch.code} for this volunteer",
        )
    scopes = [agreement.scope for agreement in agreements]
    if not scopes:
        titles = (
            await session.exec(
                select(Task.title)
                .join(HoursEntry, col(HoursEntry.task_id) == col(Task.id))
                .where(HoursEntry.volunteer_id == volunteer.id, HoursEntry.status == APPROVED)
                .where(HoursEntry.branch_id == branch.id)
                .distinct()
            )
        ).all()
        scopes = list(titles)
    starts = [d for d in [first, *(a.starts_on for a in agreements)] if d is not None]
    ends = [d for d in [last, *(a.ends_on for a in agreements)] if d is not None]
    facts = CertificateFacts(
        full_name=f"{volunteer.first_name} {volunteer.last_name}",
        branch_name=branch.name,
        branch_code=branch.code,
        scope="; ".join(dict.fromkeys(scopes)),
        period_from=min(starts),
        period_to=max(ends),
        approved_hours=Decimal(total),
        issued_on=datetime.now(WARSAW).date(),
    )
    certificate = Certificate(
        volunteer_id=volunteer.id,
        branch_id=branch.id,
        branch_code=branch.code,
        approved_hours=facts.approved_hours,
        period_from=facts.period_from,
        period_to=facts.period_to,
        pdf=render_certificate(facts),
        issued_at=datetime.now(UTC),
    )
    session.add(certificate)
    await session.flush()
    await uow.emit(
        CertificateIssued(
            certificate_id=certificate.id,
            volunteer_id=volunteer.id,
            branch_id=branch.id,
            branch_code=branch.code,
        ),
        subject=str(volunteer.id),
    )
    return certificate


async def get_certificate(uow: UnitOfWork, certificate_id: uuid.UUID) -> Certificate:
    certificate = await uow.session.get(Certificate, certificate_id)
    if certificate is None or certificate.pdf is None:
        raise Problem(404, "Certificate not found", f"no certificate with id {certificate_id}")
    return certificate
