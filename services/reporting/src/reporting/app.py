"""Reporting's composition root."""

from __future__ import annotations

from pathlib import Path

from reporting.api import router
from reporting.consumers import BINDINGS, STAFF_SCOPE, event_handlers
from reporting.events import PUBLISHED_EVENTS
from reporting.settings import ReportingSettings
from shared.service import Service, ServiceDefinition
from shared.staff_scope import install_staff_scope

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def build_service(settings: ReportingSettings | None = None) -> Service:
    service = Service(
        ServiceDefinition(
            settings=settings or ReportingSettings(),
            title="Reporting: the city's view of the programme",
            handlers=event_handlers,
            published=PUBLISHED_EVENTS,
            bindings=BINDINGS,
            routers=[router],
            migrations_dir=MIGRATIONS_DIR,
        )
    )
    install_staff_scope(service, STAFF_SCOPE)
    return service
