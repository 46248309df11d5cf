"""The events registry consumes, each mapped to its use case."""

from __future__ import annotations

from shared.consumer import EventHandlers
from shared.topology import Binding

event_handlers = EventHandlers()
BINDINGS: tuple[Binding, ...] = ()
