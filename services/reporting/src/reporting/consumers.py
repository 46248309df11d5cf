"""The events reporting consumes: every one goes to the fact log first."""

from __future__ import annotations

from reporting.handlers import record_fact
from reporting.projections import (
    VOLUNTEER_ERASED,
    VOLUNTEER_REGISTERED,
    VolunteerErasedFacts,
    VolunteerRegisteredFacts,
)
from shared.consumer import EventHandlers
from shared.topology import EVENTS_EXCHANGE, Binding

event_handlers = EventHandlers()
event_handlers.on(VOLUNTEER_REGISTERED, VolunteerRegisteredFacts)(record_fact)
event_handlers.on(VOLUNTEER_ERASED, VolunteerErasedFacts)(record_fact)

BINDINGS = tuple(Binding(EVENTS_EXCHANGE, event_type) for event_type in event_handlers.event_types)
