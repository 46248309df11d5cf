"""A branch's kiosks: each one a coordinator opens on a device is a session its token
names, so the branch's coordinators see them (opened when, by whom, last used) and revoke
one at once (a lost tablet). A revoked or unknown session's token opens nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import ConfigDict, StringConstraints
from sqlmodel import col, delete, select, update

from matching.tables import STAFF_SUBJECTS, KioskSession
from shared.problems import Problem
from shared.signed_links import InvalidLink, sign_link_token, verify_link_token
from shared.unit_of_work import UnitOfWork
from shared.validation import CleanInput

KIOSK_PURPOSE = "matching-kiosk"
KIOSK_LIFETIME_S = 14 * 3600  # one opening day at the desk
# How long a kiosk stays on the branch's list after it ended (and then is forgotten, with
# the staff names on it).
LISTED_FOR = timedelta(days=7)
KEPT_FOR = timedelta(days=30)
# "Last used" is written at most this often: a kiosk's screen refreshes all day.
USE_GRANULARITY = timedelta(minutes=1)
# Who opened a kiosk, once registry erased them: the row stays (the branch's list), nameless.
ERASED_SUBJECT = ""


@dataclass(frozen=True)
class Kiosk:
    session_id: uuid.UUID
    branch_code: str
    expires_at: int


class KioskOpening(CleanInput):
    model_config = ConfigDict(extra="forbid")

    device: Annotated[str, StringConstraints(max_length=60, strip_whitespace=True)] | None = None
    opened_by: Annotated[str, StringConstraints(max_length=120, strip_whitespace=True)] | None = (
        None
    )


def state_of(session: KioskSession, now: datetime) -> str:
    if session.revoked_at is not None:
        return "revoked"
    return "open" if session.expires_at > now else "expired"


async def open_kiosk(
    uow: UnitOfWork, secret: str, branch_code: str, subject: str, opening: KioskOpening
) -> tuple[str, KioskSession]:
    now = datetime.now(UTC)
    await uow.session.exec(
        delete(KioskSession).where(col(KioskSession.expires_at) < now - KEPT_FOR)
    )
    session = KioskSession(
        branch_code=branch_code,
        device=opening.device or None,
        opened_at=now,
        expires_at=now,
        opened_by_subject=subject,
        opened_by=opening.opened_by or None,
        opened_by_person=await _person_of(uow, subject),
    )
    token = sign_link_token(
        secret,
        purpose=KIOSK_PURPOSE,
        subject=branch_code,
        lifetime_s=KIOSK_LIFETIME_S,
        session=str(session.id),
    )
    claims = verify_link_token(secret, token, purpose=KIOSK_PURPOSE)
    session.expires_at = datetime.fromtimestamp(claims.expires_at, UTC)
    uow.session.add(session)
    await uow.session.flush()
    return token, session


def _closed(detail: str, reason: str) -> Problem:
    return Problem(401, "Kiosk not open", detail, reason=reason)


async def kiosk_of(uow: UnitOfWork, secret: str, token: str | None) -> Kiosk:
    """The kiosk a token opens, its use recorded; 401 without a valid one (``reason``:
    ``revoked`` when a coordinator closed it, else ``closed``: the tablet must be opened
    again)."""
    if not token:
        raise _closed("x-kiosk-token: the kiosk's token is required", "closed")
    try:
        claims = verify_link_token(secret, token, purpose=KIOSK_PURPOSE)
        session_id = uuid.UUID(str(claims.extra.get("session")))
    except (InvalidLink, ValueError) as error:
        raise _closed(f"x-kiosk-token: {error}", "closed") from error
    session = await uow.session.get(KioskSession, session_id)
    if session is None or session.branch_code != claims.subject:
        raise _closed("x-kiosk-token: this kiosk is not open", "closed")
    if session.revoked_at is not None:
        raise _closed(
            f"x-kiosk-token: this kiosk was closed by a coordinator at"
            f" {session.revoked_at.isoformat()}",
            "revoked",
        )
    now = datetime.now(UTC)
    if session.last_used_at is None or now - session.last_used_at >= USE_GRANULARITY:
        session.last_used_at = now
        uow.session.add(session)
    return Kiosk(session.id, session.branch_code, claims.expires_at)


async def branch_kiosks(uow: UnitOfWork, branch_code: str) -> list[KioskSession]:
    """The branch's kiosks open now and those ended in the last week, newest first."""
    since = datetime.now(UTC) - LISTED_FOR
    query = (
        select(KioskSession)
        .where(KioskSession.branch_code == branch_code, col(KioskSession.expires_at) > since)
        .order_by(col(KioskSession.opened_at).desc(), col(KioskSession.id))
    )
    return list((await uow.session.exec(query.limit(100))).all())


async def get_kiosk(uow: UnitOfWork, session_id: uuid.UUID) -> KioskSession:
    found = await uow.session.get(KioskSession, session_id, with_for_update=True)
    if found is None:
        raise Problem(404, "Kiosk not found", f"no kiosk with id {session_id}")
    return found


async def revoke(
    uow: UnitOfWork,
    session: KioskSession,
    revoked_by: str | None = None,
    revoked_by_subject: str | None = None,
) -> KioskSession:
    """Its token opens nothing from now on; revoking again changes nothing. Without a
    subject: closed at the desk, with the kiosk's own token."""
    if session.revoked_at is None:
        session.revoked_at = datetime.now(UTC)
        session.revoked_by = revoked_by
        if revoked_by_subject is not None:
            session.revoked_by_person = await _person_of(uow, revoked_by_subject)
        uow.session.add(session)
        await uow.session.flush()
    return session


async def forget_staff(uow: UnitOfWork, person_id: uuid.UUID) -> None:
    """registry erased a coordinator or a trainer: the kiosks they opened or closed keep
    neither their name nor their user id."""
    await uow.session.exec(
        update(KioskSession)
        .where(col(KioskSession.opened_by_person) == person_id)
        .values(opened_by=None, opened_by_subject=ERASED_SUBJECT, opened_by_person=None)
    )
    await uow.session.exec(
        update(KioskSession)
        .where(col(KioskSession.revoked_by_person) == person_id)
        .values(revoked_by=None, revoked_by_person=None)
    )


async def _person_of(uow: UnitOfWork, subject: str) -> uuid.UUID | None:
    """registry's person behind a user id, as matching's staff copy knows them (none for
    the city office's staff, whom registry does not keep)."""
    found = await uow.session.exec(
        select(STAFF_SUBJECTS.c.person_id)
        .where(STAFF_SUBJECTS.c.subject == subject)
        .order_by(STAFF_SUBJECTS.c.role)
        .limit(1)
    )
    return found.first()
