"""Use cases for volunteers: registered and updated from the city's portal, read, and erased
on request (the anonymous row stays, so that history and counts hold)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, cast
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


# One statement for a run of profiles (each portal id once): each inserted, or updated
# unless a newer one is stored, and nothing when the person was erased after the event.
# ``xmax = 0`` tells an insert.
_UPSERT_PROFILES = f"""
INSERT INTO {SCHEMA}.volunteers AS v (
    id, portal_id, first_name, last_name, email, phone, birth_date, districts, skills,
    interests, languages, availability, consent_email, consent_sms, guardian,
    registered_at, profile_updated_at, erased_at)
SELECT p.id, p.portal_id, p.first_name, p.last_name, p.email, p.phone, p.birth_date,
    p.districts, p.skills, p.interests, p.languages, p.availability, p.consent_email,
    p.consent_sms, p.guardian, p.occurred_at, p.occurred_at, NULL
FROM jsonb_to_recordset($1::text::jsonb) AS p(
    id uuid, portal_id text, first_name text, last_name text, email text, phone text,
    birth_date date, districts text[], skills text[], interests text[], languages text[],
    availability jsonb, consent_email boolean, consent_sms boolean, guardian jsonb,
    occurred_at timestamptz, digest text)
WHERE NOT EXISTS (
    SELECT FROM {SCHEMA}.erased_portal_ids e
    WHERE e.portal_id_digest = p.digest AND p.occurred_at <= e.erased_at)
ON CONFLICT (portal_id) DO UPDATE SET
    first_name = excluded.first_name, last_name = excluded.last_name,
    email = excluded.email, phone = excluded.phone, birth_date = excluded.birth_date,
    districts = excluded.districts, skills = excluded.skills,
    interests = excluded.interests, languages = excluded.languages,
    availability = excluded.availability, consent_email = excluded.consent_email,
    consent_sms = excluded.consent_sms, guardian = excluded.guardian,
    profile_updated_at = excluded.profile_updated_at, erased_at = NULL
WHERE v.profile_updated_at <= excluded.profile_updated_at
RETURNING v.portal_id, v.id, v.registered_at, v.xmax = 0, v.message_language
"""

_Stored = tuple[uuid.UUID, datetime, bool, str | None]
"""The row's id, registration time, whether it was inserted, its chosen language."""

PortalProfile = tuple[UnitOfWork, PortalVolunteer, datetime]
"""A registration or update from the portal: its unit of work, the profile, when."""


async def register_or_update_volunteer(
    uow: UnitOfWork, profile: PortalVolunteer, *, occurred_at: datetime
) -> uuid.UUID | None:
    """The portal registered or updated a person: one profile per portal id, never two.

    Returns the volunteer's id, or None when the event is older than the person's erasure
    or latest update."""
    (volunteer_id,) = await register_or_update_volunteers([(uow, profile, occurred_at)])
    return volunteer_id


async def register_or_update_volunteers(
    profiles: Sequence[PortalProfile],
) -> list[uuid.UUID | None]:
    """``register_or_update_volunteer`` for a run of profiles in one transaction, in one
    statement per stretch of distinct portal ids (a statement may change a row once).
    Plain SQL: this runs for every registration, where the ORM's unit of work would cost
    more than the statement."""
    rows = [_profile_row(profile, occurred_at) for _, profile, occurred_at in profiles]
    connection = await profiles[0][0].session.connection()
    stored: list[_Stored | None] = []
    for start, end in _stretches_of_distinct([row["portal_id"] for row in rows]):
        returned = await connection.exec_driver_sql(
            _UPSERT_PROFILES, (json.dumps(rows[start:end]),)
        )
        by_portal_id = {row[0]: cast(_Stored, tuple(row[1:])) for row in returned}
        stored += [by_portal_id.get(row["portal_id"]) for row in rows[start:end]]
    for (uow, profile, _), row, outcome in zip(profiles, rows, stored, strict=True):
        if outcome is not None:
            await _announce(uow, profile, row, outcome)
    return [outcome[0] if outcome is not None else None for outcome in stored]


def _profile_row(profile: PortalVolunteer, occurred_at: datetime) -> dict[str, Any]:
    day_in_warsaw = occurred_at.astimezone(WARSAW).date()
    minor = is_minor(profile.birth_date, day_in_warsaw)
    if minor and profile.guardian is None:
        raise RejectMessage(
            "invalid-data",
            f"guardian: required, the person is under 18 on {day_in_warsaw.isoformat()}",
        )
    return {
        "id": str(uuid.uuid4()),
        "portal_id": profile.portal_id,
        "first_name": profile.first_name,
        "last_name": profile.last_name,
        "email": str(profile.email),
        "phone": profile.phone,
        "birth_date": profile.birth_date.isoformat(),
        "districts": profile.districts,
        "skills": profile.skills,
        "interests": profile.interests,
        "languages": profile.languages,
        "availability": [slot.model_dump(mode="json") for slot in profile.availability],
        "consent_email": profile.consents.email,
        "consent_sms": profile.consents.sms,
        "guardian": profile.guardian.model_dump(mode="json") if profile.guardian else None,
        "occurred_at": occurred_at.isoformat(),
        "digest": portal_id_digest(profile.portal_id),
        "minor": minor,
    }


def _stretches_of_distinct(keys: Sequence[str]) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of consecutive stretches in which no key comes twice."""
    start, seen = 0, set[str]()
    for index, key in enumerate(keys):
        if key in seen:
            yield start, index
            start, seen = index, set()
        seen.add(key)
    if keys:
        yield start, len(keys)


async def _announce(
    uow: UnitOfWork, profile: PortalVolunteer, row: dict[str, Any], stored: _Stored
) -> None:
    """The facts the others keep (registered or updated) and the contact for messages."""
    volunteer_id, registered_at, created, chosen_language = stored
    facts = {
        "volunteer_id": volunteer_id,
        "districts": profile.districts,
        "minor": row["minor"],
        "languages": profile.languages,
        "registered_at": registered_at,
    }
    guardian = row["guardian"]
    contact = VolunteerContactChanged(
        volunteer_id=volunteer_id,
        first_name=profile.first_name,
        email=str(profile.email),
        phone=profile.phone,
        consents=ChannelConsents(email=profile.consents.email, sms=profile.consents.sms),
        language=_message_language(profile.languages, chosen_language),
        guardian=(
            GuardianContact(
                name=guardian["name"], email=guardian["email"], phone=guardian.get("phone")
            )
            if guardian is not None
            else None
        ),
    )
    await uow.emit_all(
        [VolunteerRegistered(**facts) if created else VolunteerUpdated(**facts), contact],
        subject=str(volunteer_id),
    )


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
        "message_language",
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
    name or the signed copy; certificates keep their figures and references their dates
    without the PDF (and the text) that names the person."""
    from matching.tables import Agreement, AgreementSignedCopy, Certificate, ReferenceRequest

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
    agreements = Agreement.__table__  # type: ignore[attr-defined]
    await connection.execute(
        sa.delete(AgreementSignedCopy.__table__).where(  # type: ignore[attr-defined]
            sa.column("agreement_id").in_(
                sa.select(agreements.c.id).where(agreements.c.volunteer_id == volunteer_id)
            )
        )
    )
    await connection.execute(
        sa.update(ReferenceRequest.__table__)  # type: ignore[attr-defined]
        .where(sa.column("volunteer_id") == volunteer_id)
        .values(text=None, pdf=None)
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


def contact_of(volunteer: Volunteer) -> VolunteerContactChanged:
    """Contact data for notifications only, with the consent per channel."""
    guardian = volunteer.guardian
    return VolunteerContactChanged(
        volunteer_id=volunteer.id,
        first_name=volunteer.first_name,
        email=volunteer.email,
        phone=volunteer.phone,
        consents=ChannelConsents(email=volunteer.consent_email, sms=volunteer.consent_sms),
        language=message_language_of(volunteer),
        guardian=(
            GuardianContact(
                name=guardian["name"], email=guardian["email"], phone=guardian.get("phone")
            )
            if guardian
            else None
        ),
    )


def message_language_of(volunteer: Volunteer) -> str:
    return _message_language(volunteer.languages, volunteer.message_language)


def _message_language(languages: list[str], chosen: str | None) -> str:
    """The language the person chose; else Polish first, English only for someone who
    speaks English and not Polish."""
    if chosen in ("pl", "en"):
        return chosen
    return "en" if "en" in languages and "pl" not in languages else "pl"
