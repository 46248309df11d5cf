"""Matching's composition root."""

from __future__ import annotations

import asyncio
from pathlib import Path

from matching import child_protection
from matching.api import router
from matching.consumers import BINDINGS, STAFF_SCOPE, event_handlers
from matching.events import PUBLISHED_EVENTS
from matching.settings import MatchingSettings
from shared.logging import get_logger
from shared.service import Service, ServiceDefinition
from shared.staff_scope import install_staff_scope

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

log = get_logger(__name__)


class MatchingService(Service):
    """The shared service plus the child-protection sweep: every replica runs it, and the
    rows remember what was told, so each check is announced once whoever sweeps."""

    def __init__(self, settings: MatchingSettings) -> None:
        super().__init__(
            ServiceDefinition(
                settings=settings,
                title="Matching: volunteers, tasks, assignments",
                handlers=event_handlers,
                bindings=BINDINGS,
                routers=[router],
                migrations_dir=MIGRATIONS_DIR,
                published=PUBLISHED_EVENTS,
            )
        )
        self.matching_settings = settings
        install_staff_scope(self, STAFF_SCOPE)
        self._sweep_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await super().start()
        if self.matching_settings.child_protection_sweep_interval_s > 0:
            self._sweep_task = asyncio.create_task(
                self._sweep_forever(), name="matching-child-protection-sweep"
            )

    async def stop(self) -> None:
        if self._sweep_task is not None:
            self._sweep_task.cancel()
            await asyncio.wait({self._sweep_task}, timeout=10)
            self._sweep_task = None
        await super().stop()

    async def sweep_child_protection_checks(self) -> child_protection.SweepResult:
        async with self.unit_of_work() as uow:
            return await child_protection.sweep(
                uow,
                today=child_protection.warsaw_today(),
                notice_days=self.matching_settings.child_protection_notice_days,
            )

    async def _sweep_forever(self) -> None:
        while True:
            try:
                result = await self.sweep_child_protection_checks()
                if result.expiring or result.expired:
                    log.info(
                        "child-protection checks told",
                        expiring=result.expiring,
                        expired=result.expired,
                    )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("child-protection sweep failed; trying again at the next round")
            await asyncio.sleep(self.matching_settings.child_protection_sweep_interval_s)


def build_service(settings: MatchingSettings | None = None) -> MatchingService:
    return MatchingService(settings or MatchingSettings())
