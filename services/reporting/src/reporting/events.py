"""The integration events reporting publishes: none. Reporting only reads the others' events;
its answers are read over HTTP (the views and their exports)."""

from __future__ import annotations

from shared.events import IntegrationEvent

PUBLISHED_EVENTS: tuple[type[IntegrationEvent], ...] = ()
