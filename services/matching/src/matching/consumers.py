"""The events matching consumes, each mapped to its use case."""

from __future__ import annotations

from datetime import UTC, datetime

from matching import handlers
from matching.contracts import (
    PORTAL_VOLUNTEER_ERASURE_REQUESTED,
    PORTAL_VOLUNTEER_REGISTERED,
    PORTAL_VOLUNTEER_UPDATED,
    PortalErasureRequested,
    PortalVolunteer,
)
from shared.cloudevents import CloudEvent
from shared.consumer import EventHandlers
from shared.topology import INBOUND_EXCHANGE, Binding
from shared.unit_of_work import UnitOfWork

event_handlers = EventHandlers()

# The whole portal namespace is bound, so an unknown portal type is dead-lettered with
# its reason instead of vanishing unrouted.
BINDINGS = (Binding(INBOUND_EXCHANGE, "pl.waw.portal.#"),)


def _occurred_at(event: CloudEvent) -> datetime:
    return event.time or datetime.now(UTC)


@event_handlers.on(PORTAL_VOLUNTEER_REGISTERED, PortalVolunteer)
async def on_volunteer_registered(
    uow: UnitOfWork, event: CloudEvent, data: PortalVolunteer
) -> None:
    await handlers.register_or_update_volunteer(uow, data, occurred_at=_occurred_at(event))


@event_handlers.on(PORTAL_VOLUNTEER_UPDATED, PortalVolunteer)
async def on_volunteer_updated(uow: UnitOfWork, event: CloudEvent, data: PortalVolunteer) -> None:
    await handlers.register_or_update_volunteer(uow, data, occurred_at=_occurred_at(event))


@event_handlers.on(PORTAL_VOLUNTEER_ERASURE_REQUESTED, PortalErasureRequested)
async def on_erasure_requested(
    uow: UnitOfWork, event: CloudEvent, data: PortalErasureRequested
) -> None:
    await handlers.erase_volunteer(uow, data)
