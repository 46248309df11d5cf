"""Use cases for the agreement as a document: its PDF from the template, and the signed
copy sent back, which makes the agreement signed (``agreement.signed.v1``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlmodel import select

from matching.document_pdf import render_document
from matching.domain.documents import AgreementFacts, agreement_values
from matching.domain.pdf_upload import NotAPdf, check_pdf
from matching.domain.people import GuardianRole
from matching.domain.schedule import WARSAW
from matching.events import AgreementSigned
from matching.tables import Agreement, AgreementSignedCopy, Branch, Volunteer
from shared.problems import Problem
from shared.unit_of_work import UnitOfWork

AGREEMENT_TITLE = "Porozumienie o wykonywaniu świadczeń wolontariusza"
DAYS_PL = {
    "mon": "pon.",
    "tue": "wt.",
    "wed": "śr.",
    "thu": "czw.",
    "fri": "pt.",
    "sat": "sob.",
    "sun": "niedz.",
}


async def get_agreement(uow: UnitOfWork, agreement_id: uuid.UUID) -> Agreement:
    agreement = await uow.session.get(Agreement, agreement_id)
    if agreement is None:
        raise Problem(404, "Agreement not found", f"no agreement with id {agreement_id}")
    return agreement


async def parties(uow: UnitOfWork, agreement: Agreement) -> tuple[Volunteer, Branch]:
    """The volunteer and the branch the document names; an erased person has no document."""
    volunteer = await uow.session.get(Volunteer, agreement.volunteer_id)
    if volunteer is None or volunteer.erased_at is not None:
        raise Problem(
            410, "Volunteer erased", "the volunteer's data was erased: no document names them"
        )
    branch = await uow.session.get(Branch, agreement.branch_id)
    if branch is None:
        raise Problem(404, "Unknown branch", f"branch {agreement.branch_code!r} is not known")
    return volunteer, branch


def opening_hours_text(hours: list[dict[str, str]]) -> str | None:
    parts = [
        f"{DAYS_PL.get(item.get('day', ''), item.get('day', ''))} "
        f"{item.get('opens')}–{item.get('closes')}"
        for item in hours
    ]
    return ", ".join(parts) or None


async def agreement_pdf(uow: UnitOfWork, agreement: Agreement) -> bytes:
    volunteer, branch = await parties(uow, agreement)
    facts = AgreementFacts(
        concluded_on=agreement.created_at.astimezone(WARSAW).date(),
        organisation=branch.district_library,
        branch_name=branch.name,
        branch_address=branch.address,
        opening_hours=opening_hours_text(branch.opening_hours),
        volunteer_name=f"{volunteer.first_name} {volunteer.last_name}",
        guardian_name=agreement.guardian_name,
        guardian_role=GuardianRole(agreement.guardian_role),
        scope=agreement.scope,
        starts_on=agreement.starts_on,
        ends_on=agreement.ends_on,
        working_hours=agreement.working_hours,
        reimbursed_costs=agreement.reimbursed_costs,
    )
    values, conditions = agreement_values(facts)
    return render_document("porozumienie", AGREEMENT_TITLE, values, conditions)


async def attach_signed_copy(
    uow: UnitOfWork, agreement: Agreement, content: bytes, *, uploaded_by: str
) -> Agreement:
    """Keep the signed copy (a newer one replaces it); the first makes the agreement
    signed and tells the platform so."""
    try:
        check_pdf(content)
    except NotAPdf as error:
        status = 413 if error.reason == "too_large" else 422
        raise Problem(
            status,
            "Not a usable PDF",
            str(error),
            errors=[{"field": "file", "message": str(error), "reason": error.reason}],
        ) from error
    await parties(uow, agreement)
    now = datetime.now(UTC)
    copy = await uow.session.get(AgreementSignedCopy, agreement.id)
    if copy is None:
        copy = AgreementSignedCopy(
            agreement_id=agreement.id,
            pdf=content,
            size_bytes=len(content),
            uploaded_by=uploaded_by,
            uploaded_at=now,
        )
    else:
        copy.pdf, copy.size_bytes = content, len(content)
        copy.uploaded_by, copy.uploaded_at = uploaded_by, now
    uow.session.add(copy)
    if agreement.signed_at is None:
        agreement.signed_at = now
        uow.session.add(agreement)
        await uow.session.flush()
        await uow.emit(
            AgreementSigned(
                agreement_id=agreement.id,
                volunteer_id=agreement.volunteer_id,
                branch_id=agreement.branch_id,
                branch_code=agreement.branch_code,
                starts_on=agreement.starts_on,
                ends_on=agreement.ends_on,
                written_form_required=agreement.written_form_required,
                signed_at=now,
            ),
            subject=str(agreement.volunteer_id),
        )
    await uow.session.flush()
    return agreement


async def signed_copy(uow: UnitOfWork, agreement: Agreement) -> bytes:
    found = (
        await uow.session.exec(
            select(AgreementSignedCopy.pdf).where(AgreementSignedCopy.agreement_id == agreement.id)
        )
    ).first()
    if found is None:
        raise Problem(404, "No signed copy", "no signed copy of this agreement was uploaded")
    return found
