"""Registry's composition root."""

from __future__ import annotations

from pathlib import Path

from registry.access import RegistryAssignments
from registry.api import router
from registry.consumers import BINDINGS, event_handlers
from registry.events import PUBLISHED_EVENTS
from registry.settings import RegistrySettings
from shared.service import Service, ServiceDefinition
from shared.staff_scope import StaffScopeVerifier

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def build_service(settings: RegistrySettings | None = None) -> Service:
    service = Service(
        ServiceDefinition(
            settings=settings or RegistrySettings(),
            title="Registry: editions, branches, enrolment, trainers and monitoring",
            handlers=event_handlers,
            bindings=BINDINGS,
            routers=[router],
            migrations_dir=MIGRATIONS_DIR,
            published=PUBLISHED_EVENTS,
        )
    )
    # Staff tokens act for the branches registry's own assignments name.
    service.http.state.token_verifier = StaffScopeVerifier(
        service.settings, service.database, RegistryAssignments()
    )
    return service
