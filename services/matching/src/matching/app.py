"""Matching's composition root."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlmodel import col, select

from matching import child_protection
from matching.api import router
from matching.consumers import BINDINGS, STAFF_SCOPE, event_handlers
from matching.events import PUBLISHED_EVENTS
from matching.settings import MatchingSettings
from matching.tables import ParkedPurge
from shared.erasure import purge_parked
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
        self._purge_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await super().start()
        if self.matching_settings.child_protection_sweep_interval_s > 0:
            self._sweep_task = asyncio.create_task(
                self._sweep_forever(), name="matching-child-protection-sweep"
            )
        self._purge_task = asyncio.create_task(
            self._purge_parked_forever(), name="matching-parked-purge"
        )

    async def stop(self) -> None:
        for task in (self._sweep_task, self._purge_task):
            if task is not None:
                task.cancel()
                await asyncio.wait({task}, timeout=10)
        self._sweep_task = self._purge_task = None
        await super().stop()

    async def purge_parked_messages(self) -> int:
        """Carry recorded erasures to the broker: the person's messages leave every
        dead-letter queue and ``city.inbound.unrouted``, then the record goes. Should the
        broker fail, the transaction rolls back and the next round tries again."""
        async with self.unit_of_work() as uow:
            pending = (
                await uow.session.exec(
                    select(ParkedPurge)
                    .order_by(col(ParkedPurge.requested_at))
                    .limit(50)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not pending:
                return 0
            wanted = {digest for purge in pending for digest in purge.digests}
            await purge_parked(self.settings.amqp_url, wanted)
            for purge in pending:
                await uow.session.delete(purge)
            return len(pending)

    async def _purge_parked_forever(self) -> None:
        while True:
            try:
                await self.purge_parked_messages()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning(
                    "parked-message purge failed; trying again", error_type=type(error).__name__
                )
            await asyncio.sleep(self.matching_settings.parked_purge_interval_s)

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
