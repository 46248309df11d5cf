"""Use cases for volunteers: registered and updated from the city's portal, read, and erased
on request (the anonymous row stays, so that history and counts hold)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import col, select

from matching.child_protection import forget_checks
from matching.contracts import PortalErasureRequested, PortalVolunteer
from matching.domain.people import is_minor
from matching.events import (
    ChannelConsents,
    GuardianContact,
    VolunteerContactChanged,
    VolunteerErased,
    VolunteerRegistered,
    VolunteerUpdated,
)
from matching.tables import SCHEMA, ErasedPortalId, ParkedPurge, Volunteer
from shared.consumer import RejectMessage
from shared.erasure import digests, purge_outbox
from shared.unit_of_work import UnitOfWork

WARSAW = ZoneInfo("Europe/Warsaw")


def portal_id_digest(portal_id: str) -> str:
    return hashlib.sha256(f"portal:{portal_id}".encode()).hexdigest()


async def register_or_update_volunteer(
    uow: UnitOfWork, profile: PortalVolunteer, *, occurred_at: datetime
) -> Volunteer | None:
    """The portal registered or updated a person: one profile per portal id, never two.

    Returns None when the event is older than the person's erasure or latest update.
    """
    session = uow.session
    day_in_warsaw = occurred_at.astimezone(WARSAW).date()
    if is_minor(profile.birth_date, day_in_warsaw) and profile.guardian is None:
        raise RejectMessage(
            "invalid-data",
            f"guardian: required, the person is under 18 on {day_in_warsaw.isoformat()}",
        )
    erased = await session.get(ErasedPortalId, portal_id_digest(profile.portal_id))
    if erased is not None and occurred_at <= erased.erased_at:
        return None
    volunteer = (
        await session.exec(
            select(Volunteer).where(Volunteer.portal_id == profile.portal_id).with_for_update()
        )
    ).first()
    created = volunteer is None
    if volunteer is None:
        # Every field given: pydantic inspects each default factory's signature per call,
        # which costs more than the rest of the constructor on this hot path.
        volunteer = Volunteer(
            id=uuid.uuid4(),
            portal_id=profile.portal_id,
            districts=[],
            skills=[],
            interests=[],
            languages=[],
            availability=[],
            registered_at=occurred_at,
            profile_updated_at=occurred_at,
        )
    elif occurred_at < volunteer.profile_updated_at:
        return None  # an older copy arrived after a newer one: the newer stays
    _apply_profile(volunteer, profile, occurred_at)
    session.add(volunteer)
    await session.flush()
    facts = _public_facts(volunteer, day_in_warsaw)
    await uow.emit(
        VolunteerRegistered(**facts) if created else VolunteerUpdated(**facts),
        subject=str(volunteer.id),
    )
    await uow.emit(_contact(volunteer), subject=str(volunteer.id))
    return volunteer


async def erase_volunteer(uow: UnitOfWork, request: PortalErasureRequested) -> Volunteer | None:
    """Remove every personal field; the anonymous row keeps history and counts correct."""
    session = uow.session
    now = datetime.now(UTC)
    digest = portal_id_digest(request.portal_id)
    if await session.get(ErasedPortalId, digest) is None:
        session.add(ErasedPortalId(portal_id_digest=digest, erased_at=now))
    volunteer = (
        await session.exec(
            select(Volunteer).where(Volunteer.portal_id == request.portal_id).with_for_update()
        )
    ).first()
    # The broker's parked messages (a refused registration, an unrouted copy) are cleaned
    # after commit by a background round, from one-way digests of what names the person.
    guardian = (volunteer.guardian if volunteer else None) or {}
    identifying: list[str | None] = [request.portal_id]
    if volunteer is not None:
        identifying += [str(volunteer.id), volunteer.email, volunteer.phone, guardian.get("email")]
    session.add(ParkedPurge(digests=digests(identifying), requested_at=now))
    if volunteer is None:
        return None
    # Events about the person that carry their data leave the outbox now, not after 72 h.
    await purge_outbox(
        await session.connection(),
        SCHEMA,
        identifiers=[str(volunteer.id), request.portal_id],
        personal=[
            volunteer.first_name,
            volunteer.last_name,
            volunteer.email,
            volunteer.phone,
            guardian.get("name"),
            guardian.get("email"),
        ],
    )
    for field in (
        "portal_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "birth_date",
        "guardian",
    ):
        setattr(volunteer, field, None)
    volunteer.skills, volunteer.interests, volunteer.availability = [], [], []
    volunteer.consent_email = volunteer.consent_sms = False
    volunteer.erased_at = now
    session.add(volunteer)
    await uow.emit(VolunteerErased(volunteer_id=volunteer.id), subject=str(volunteer.id))
    await forget_documents(uow, volunteer.id)
    await forget_checks(uow, volunteer.id)
    from matching.feeds import forget_feed

    await forget_feed(uow, volunteer.id)
    await release_future_places(uow, volunteer.id, now)
    return volunteer


async def forget_documents(uow: UnitOfWork, volunteer_id: uuid.UUID) -> None:
    """Agreements keep their anonymous terms (branch, period, scope) without the guardian's
    name; certificates keep their figures without the PDF that names the person."""
    from matching.tables import Agreement, Certificate

    connection = await uow.session.connection()
    await connection.execute(
        sa.update(Agreement.__table__)  # type: ignore[attr-defined]
        .where(sa.column("volunteer_id") == volunteer_id)
        .values(guardian_name=None)
    )
    await connection.execute(
        sa.update(Certificate.__table__)  # type: ignore[attr-defined]
        .where(sa.column("volunteer_id") == volunteer_id)
        .values(pdf=None)
    )


async def release_future_places(uow: UnitOfWork, volunteer_id: uuid.UUID, now: datetime) -> None:
    """An erased person will not come: their future places go to the waitlist and their
    open proposals are declined. Past assignments and hours stay, anonymous."""
    from matching import assignments, proposals  # they build on the volunteer profile
    from matching.tables import Assignment, Proposal, Task

    future = (
        await uow.session.exec(
            select(Assignment, Task)
            .join(Task, col(Task.id) == col(Assignment.task_id))
            .where(
                Assignment.volunteer_id == volunteer_id,
                Assignment.status == assignments.CONFIRMED,
                col(Task.starts_at) > now,
            )
            .with_for_update(of=Assignment)
        )
    ).all()
    for assignment, task in future:
        await assignments.finish(uow, assignment, task, assignments.ASSIGNMENT_CANCELLED)
    await proposals.expire_overdue(uow, now)
    open_proposals = (
        await uow.session.exec(
            select(Proposal).where(
                Proposal.volunteer_id == volunteer_id, Proposal.status == proposals.PROPOSED
            )
        )
    ).all()
    for proposal in open_proposals:
        await proposals.respond(uow, proposal, accept=False)


async def get_volunteer(uow: UnitOfWork, volunteer_id: uuid.UUID) -> Volunteer | None:
    return await uow.session.get(Volunteer, volunteer_id)


def _apply_profile(volunteer: Volunteer, profile: PortalVolunteer, occurred_at: datetime) -> None:
    volunteer.first_name = profile.first_name
    volunteer.last_name = profile.last_name
    volunteer.email = str(profile.email)
    volunteer.phone = profile.phone
    volunteer.birth_date = profile.birth_date
    volunteer.districts = profile.districts
    volunteer.skills = profile.skills
    volunteer.interests = profile.interests
    volunteer.languages = profile.languages
    volunteer.availability = [slot.model_dump() for slot in profile.availability]
    volunteer.consent_email = profile.consents.email
    volunteer.consent_sms = profile.consents.sms
    volunteer.guardian = profile.guardian.model_dump(mode="json") if profile.guardian else None
    volunteer.profile_updated_at = occurred_at
    volunteer.erased_at = None


def _public_facts(volunteer: Volunteer, day: date) -> dict[str, Any]:
    """What every service may know: no names, no contact data, no birth date."""
    assert volunteer.birth_date is not None
    return {
        "volunteer_id": volunteer.id,
        "districts": volunteer.districts,
        "minor": is_minor(volunteer.birth_date, day),
        "languages": volunteer.languages,
        "registered_at": volunteer.registered_at,
    }


def _contact(volunteer: Volunteer) -> VolunteerContactChanged:
    """Contact data for notifications only, with the consent per channel."""
    guardian = volunteer.guardian
    return VolunteerContactChanged(
        volunteer_id=volunteer.id,
        first_name=volunteer.first_name,
        email=volunteer.email,
        phone=volunteer.phone,
        consents=ChannelConsents(email=volunteer.consent_email, sms=volunteer.consent_sms),
        language=_message_language(volunteer.languages),
        guardian=(
            GuardianContact(
                name=guardian["name"], email=guardian["email"], phone=guardian.get("phone")
            )
            if guardian
            else None
        ),
    )


def _message_language(languages: list[str]) -> str:
    """Polish first; English only for someone who speaks English and not Polish."""
    return "en" if "en" in languages and "pl" not in languages else "pl"
