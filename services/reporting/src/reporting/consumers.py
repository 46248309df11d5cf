"""The events reporting consumes: every one goes to the fact log first."""

from __future__ import annotations

from reporting import applications
from reporting.contracts import READERS
from reporting.handlers import record_fact, record_facts
from shared.consumer import EventHandlers
from shared.staff_scope import StaffScope
from shared.topology import EVENTS_EXCHANGE, Binding

event_handlers = EventHandlers()
for _event_type, _reader in READERS.items():
    event_handlers.on(_event_type, _reader, together=record_facts)(record_fact)

# Branches' applications, counted in a table of their own.
applications.follow(event_handlers)

# Who coordinates or trains at which branch: the branches staff tokens see.
STAFF_SCOPE = StaffScope("reporting")
STAFF_SCOPE.follow(event_handlers)

BINDINGS = tuple(Binding(EVENTS_EXCHANGE, event_type) for event_type in event_handlers.event_types)
