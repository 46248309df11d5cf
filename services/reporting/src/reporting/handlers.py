"""Reporting's use cases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import select

from reporting.projections import apply_fact, bump_log_version
from reporting.tables import Fact, VolunteerTotals
from shared.cloudevents import CloudEvent
from shared.unit_of_work import UnitOfWork


async def record_fact(uow: UnitOfWork, event: CloudEvent, data: BaseModel) -> None:
    """Log the fact, then update the read models from it."""
    fact = Fact(
        event_id=event.id,
        event_source=event.source,
        event_type=event.type,
        occurred_at=event.time or datetime.now(UTC),
        recorded_at=datetime.now(UTC),
        data=data.model_dump(mode="json"),
    )
    uow.session.add(fact)
    await uow.session.flush()
    await apply_fact(uow.session, fact)
    await bump_log_version(uow.session)


async def volunteer_counts(uow: UnitOfWork) -> dict[str, Any]:
    totals = (await uow.session.exec(select(VolunteerTotals))).first() or VolunteerTotals()
    return {
        "registered": totals.registered,
        "erased": totals.erased,
        "current": totals.registered - totals.erased,
        "minors": totals.minors,
    }
