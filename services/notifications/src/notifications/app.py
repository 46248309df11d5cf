"""Notifications's composition root."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from notifications.api import router
from notifications.channels import EmailSender, SmsSender
from notifications.clock import Clock, FileClock, SystemClock
from notifications.consumers import STAFF_SCOPE, bindings, build_event_handlers
from notifications.events import PUBLISHED_EVENTS
from notifications.notifier import Notifier
from notifications.rendering import Renderer
from notifications.sender import Sender
from notifications.settings import NotificationsSettings
from shared.service import Service, ServiceDefinition
from shared.staff_scope import install_staff_scope

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class NotificationsService(Service):
    """The shared service plus the background sender (reminders and deliveries)."""

    def __init__(self, settings: NotificationsSettings, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or (
            FileClock(settings.clock_file) if settings.clock_file else SystemClock()
        )
        self.notifier = Notifier(settings=settings, renderer=Renderer(), clock=self.clock)
        handlers = build_event_handlers(self.notifier)
        super().__init__(
            ServiceDefinition(
                settings=settings,
                title="Notifications: email, SMS and in-app messages",
                handlers=handlers,
                bindings=bindings(handlers),
                routers=[router],
                migrations_dir=MIGRATIONS_DIR,
                published=PUBLISHED_EVENTS,
            )
        )
        self.notifications_settings = settings
        install_staff_scope(self, STAFF_SCOPE)
        self.sender = Sender(
            settings=settings,
            notifier=self.notifier,
            clock=self.clock,
            unit_of_work=self.unit_of_work,
            email=EmailSender(settings),
            sms=SmsSender(settings),
        )
        self._sender_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await super().start()
        if self.notifications_settings.sender_enabled:
            self._sender_task = asyncio.create_task(self.sender.run(), name="notifications-sender")

    async def stop(self) -> None:
        if self._sender_task is not None:
            self._sender_task.cancel()
            # Bounded: whatever the sender was waiting for, stopping must not hang.
            await asyncio.wait({self._sender_task}, timeout=10)
            self._sender_task = None
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.sender.close(), 5)
        await super().stop()


def build_service(
    settings: NotificationsSettings | None = None, clock: Clock | None = None
) -> NotificationsService:
    return NotificationsService(settings or NotificationsSettings(), clock)
