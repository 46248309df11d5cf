"""The events registry consumes, each mapped to its use case."""

from __future__ import annotations

from registry import stages
from registry.contracts import HOURS_APPROVED, HoursApproved
from shared.cloudevents import CloudEvent
from shared.consumer import EventHandlers
from shared.topology import EVENTS_EXCHANGE, Binding
from shared.unit_of_work import UnitOfWork

event_handlers = EventHandlers()


@event_handlers.on(HOURS_APPROVED, HoursApproved)
async def on_hours_approved(uow: UnitOfWork, event: CloudEvent, data: HoursApproved) -> None:
    """The first approved hours at a recruiting branch mean its volunteers are active."""
    await stages.note_volunteer_activity(uow, data.branch_id, worked_on=data.worked_on)


BINDINGS = tuple(Binding(EVENTS_EXCHANGE, event_type) for event_type in event_handlers.event_types)
