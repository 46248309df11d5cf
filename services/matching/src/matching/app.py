"""Matching's composition root."""

from __future__ import annotations

from pathlib import Path

from matching.api import router
from matching.consumers import BINDINGS, event_handlers
from matching.events import PUBLISHED_EVENTS
from matching.settings import MatchingSettings
from shared.service import Service, ServiceDefinition

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def build_service(settings: MatchingSettings | None = None) -> Service:
    return Service(
        ServiceDefinition(
            settings=settings or MatchingSettings(),
            title="Matching: volunteers, tasks, assignments",
            handlers=event_handlers,
            bindings=BINDINGS,
            routers=[router],
            migrations_dir=MIGRATIONS_DIR,
            published=PUBLISHED_EVENTS,
        )
    )
