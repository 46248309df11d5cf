"""Reporting's use cases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import select

from reporting.at_commit import append_fact
from reporting.projections import apply_events
from reporting.tables import VolunteerTotals
from shared.cloudevents import CloudEvent
from shared.unit_of_work import UnitOfWork


async def record_fact(uow: UnitOfWork, event: CloudEvent, data: BaseModel) -> None:
    """Log the fact, then update the read models from it: the data as the consumer
    validated it, serialised once."""
    await record_facts([(uow, event, data)])


async def record_facts(deliveries: Sequence[tuple[UnitOfWork, CloudEvent, BaseModel]]) -> None:
    """``record_fact`` for a run of deliveries in one transaction: their snapshots and
    totals in a few statements for the run instead of a few for each. The log's rows, like
    the counts and the log's version, are written once per transaction at its commit
    (``at_commit``): a batch of deliveries appends its facts in one statement."""
    session = deliveries[0][0].session
    recorded_at = datetime.now(UTC)
    facts: list[tuple[str, BaseModel, datetime]] = []
    for _, event, data in deliveries:
        occurred_at = event.time or recorded_at
        row = (event.id, event.source, event.type, occurred_at, recorded_at)
        pending = await append_fact(session, (*row, data.model_dump_json()))
        facts.append((event.type, data, occurred_at))
    await apply_events(session, facts)
    pending.log_moved = True


async def volunteer_counts(uow: UnitOfWork) -> dict[str, Any]:
    totals = (await uow.session.exec(select(VolunteerTotals))).first() or VolunteerTotals()
    return {
        "registered": totals.registered,
        "erased": totals.erased,
        "current": totals.registered - totals.erased,
        "minors": totals.minors,
    }
