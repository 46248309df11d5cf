"""Read models as functions of facts: the live consumer and the rebuild share this code."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import delete
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from reporting.tables import Fact, VolunteerFact, VolunteerTotals

VOLUNTEER_REGISTERED = "pl.waw.volunteering.matching.volunteer.registered.v1"
VOLUNTEER_ERASED = "pl.waw.volunteering.matching.volunteer.erased.v1"


class VolunteerRegisteredFacts(BaseModel):
    """What reporting reads of matching's volunteer.registered.v1: no personal data."""

    volunteer_id: uuid.UUID
    districts: list[str]
    minor: bool
    registered_at: datetime


class VolunteerErasedFacts(BaseModel):
    volunteer_id: uuid.UUID


async def apply_fact(session: AsyncSession, fact: Fact) -> None:
    if fact.event_type == VOLUNTEER_REGISTERED:
        await _volunteer_registered(session, VolunteerRegisteredFacts.model_validate(fact.data))
    elif fact.event_type == VOLUNTEER_ERASED:
        await _volunteer_erased(session, VolunteerErasedFacts.model_validate(fact.data))


async def _totals(session: AsyncSession) -> VolunteerTotals:
    totals = (await session.exec(select(VolunteerTotals).with_for_update())).first()
    if totals is None:
        totals = VolunteerTotals()
        session.add(totals)
    return totals


async def _volunteer_registered(session: AsyncSession, data: VolunteerRegisteredFacts) -> None:
    totals = await _totals(session)
    totals.registered += 1
    totals.minors += int(data.minor)
    session.add(totals)
    session.add(
        VolunteerFact(
            volunteer_id=data.volunteer_id,
            minor=data.minor,
            districts=data.districts,
            registered_at=data.registered_at,
        )
    )


async def _volunteer_erased(session: AsyncSession, data: VolunteerErasedFacts) -> None:
    # The person is anonymous here already; the count of people who left still matters.
    volunteer = await session.get(VolunteerFact, data.volunteer_id)
    if volunteer is not None and not volunteer.erased:
        volunteer.erased = True
        session.add(volunteer)
        totals = await _totals(session)
        totals.erased += 1
        session.add(totals)


async def rebuild(session: AsyncSession) -> int:
    """Empty every read model and replay the fact log in order; returns the facts replayed."""
    await session.execute(delete(VolunteerFact))
    await session.execute(delete(VolunteerTotals))
    replayed = 0
    facts = await session.exec(select(Fact).order_by(Fact.seq))  # type: ignore[arg-type]
    for fact in facts:
        await apply_fact(session, fact)
        await session.flush()
        replayed += 1
    return replayed
