"""Notifications's composition root."""

from __future__ import annotations

from pathlib import Path

from notifications.api import router
from notifications.consumers import BINDINGS, event_handlers
from notifications.settings import NotificationsSettings
from shared.service import Service, ServiceDefinition

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def build_service(settings: NotificationsSettings | None = None) -> Service:
    return Service(
        ServiceDefinition(
            settings=settings or NotificationsSettings(),
            title="Notifications: email, SMS and in-app messages",
            handlers=event_handlers,
            bindings=BINDINGS,
            routers=[router],
            migrations_dir=MIGRATIONS_DIR,
        )
    )
