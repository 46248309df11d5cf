"""The background sender: fires due reminders and delivers queued messages.

Every replica runs one; the rows are the only state, so a restart loses nothing:
- a due reminder is claimed with FOR UPDATE SKIP LOCKED and turned into its messages in
  the same transaction that marks it done (once, whichever replica gets it);
- a queued message is leased (FOR UPDATE SKIP LOCKED, then ``lease_until``), sent, and
  recorded as sent. Should the process die in between, the lease runs out and another
  attempt sends it again, with the same Message-ID (see the README);
- a provider failure is retried with exponential back-off; a permanent refusal, or running
  out of attempts, marks the message failed and reports it (``notifications.message.failed``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from notifications import handlers
from notifications.channels import DeliveryFailed, Email, EmailSender, SmsSender
from notifications.clock import Clock
from notifications.domain.rules import in_quiet_hours, message_id_header, retry_delay_s
from notifications.events import MessageFailed, MessageSent
from notifications.handlers import MESSAGES, Notifier
from notifications.settings import NotificationsSettings
from notifications.tables import Reminder
from shared.logging import get_logger
from shared.unit_of_work import UnitOfWork

log = get_logger(__name__)

UnitOfWorkFactory = Callable[[], Any]


@dataclass(frozen=True)
class Claimed:
    id: uuid.UUID
    idempotency_key: str
    channel: str
    template: str
    recipient_ref: str
    address: str | None
    subject: str | None
    body: str | None
    attempts: int


class Sender:
    def __init__(
        self,
        *,
        settings: NotificationsSettings,
        notifier: Notifier,
        clock: Clock,
        unit_of_work: UnitOfWorkFactory,
        email: EmailSender,
        sms: SmsSender,
    ) -> None:
        self.settings = settings
        self.notifier = notifier
        self.clock = clock
        self._unit_of_work = unit_of_work
        self.email = email
        self.sms = sms

    async def run(self) -> None:
        """Forever: work while there is work, then poll."""
        while True:
            try:
                done = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sender round failed; trying again")
                done = 0
            if not done:
                await asyncio.sleep(self.settings.sender_poll_interval_s)

    async def run_once(self) -> int:
        """One round: due reminders into messages, then due messages sent; each in a few
        concurrent batches (the rows they claim never overlap)."""
        workers = range(self.settings.sender_concurrency)
        fired = await asyncio.gather(*(self.fire_due_reminders() for _ in workers))
        sent = await asyncio.gather(*(self.send_due_messages() for _ in workers))
        return sum(fired) + sum(sent)

    async def drain(self) -> int:
        """Until nothing is due now (benchmarks and tests drive the sender with this)."""
        total = 0
        while done := await self.run_once():
            total += done
        return total

    async def close(self) -> None:
        await self.email.close()
        await self.sms.close()

    # -- reminders -------------------------------------------------------------------------

    async def fire_due_reminders(self) -> int:
        now = self.clock.now()
        async with self._unit_of_work() as uow:
            due = await uow.session.exec(
                select(Reminder)
                .where(Reminder.status == "pending", col(Reminder.due_at) <= now)
                .order_by(col(Reminder.due_at))
                .limit(self.settings.sender_batch_size)
                .with_for_update(skip_locked=True)
            )
            # One order for every batch (by person) so concurrent batches never wait for
            # each other's person locks in a cycle.
            reminders = sorted(due.all(), key=lambda r: (str(r.volunteer_id or ""), r.key))
            for reminder in reminders:
                reminder.status = "done"
                uow.session.add(reminder)
                await handlers.fire_reminder(uow, self.notifier, reminder, now)
        return len(reminders)

    # -- messages --------------------------------------------------------------------------

    async def send_due_messages(self) -> int:
        """Claim a batch, send it, record the results (the sent ones in one transaction)."""
        claimed = await self._claim()
        if not claimed:
            return 0
        results = await asyncio.gather(*(self._attempt(message) for message in claimed))
        sent = [(message, answer) for message, answer in results if answer is not None]
        if sent:
            await self._record_sent(sent)
        return len(claimed)

    async def _claim(self) -> list[Claimed]:
        now = self.clock.now()
        m = MESSAGES.c
        due = sa.and_(
            m.status == "queued",
            m.channel != "in_app",
            sa.or_(m.not_before.is_(None), m.not_before <= now),
            sa.or_(m.lease_until.is_(None), m.lease_until <= now),
        )
        if in_quiet_hours(now):
            due = sa.and_(due, m.channel != "sms")  # SMS waits for 08:00 in Warsaw
        candidates = (
            sa.select(m.id)
            .where(due)
            .order_by(m.created_at)
            .limit(self.settings.sender_batch_size)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        lease_until = now + timedelta(seconds=self.settings.sender_lease_s)
        async with self._unit_of_work() as uow:
            connection = await uow.session.connection()
            rows = await connection.execute(
                MESSAGES.update()
                .where(m.id.in_(candidates))
                .values(lease_until=lease_until, attempts=m.attempts + 1)
                .returning(
                    m.id,
                    m.idempotency_key,
                    m.channel,
                    m.template,
                    m.recipient_ref,
                    m.address,
                    m.subject,
                    m.body,
                    m.attempts,
                )
            )
            return [Claimed(**row._mapping) for row in rows]

    async def _attempt(self, message: Claimed) -> tuple[Claimed, str | None]:
        """The provider's answer, or None when it failed (recorded here)."""
        try:
            answer = await self._send(message)
        except DeliveryFailed as failed:
            await self._record_failure(message, failed)
            return message, None
        return message, answer

    async def _send(self, message: Claimed) -> str:
        if message.address is None or message.body is None:
            raise DeliveryFailed("no address or text (the person was forgotten)", permanent=True)
        if message.channel == "email":
            return await self.email.send(
                Email(
                    to=message.address,
                    subject=message.subject or "",
                    body=message.body,
                    message_id=message_id_header(
                        message.idempotency_key, self.settings.message_id_domain
                    ),
                )
            )
        if message.channel == "sms":
            return await self.sms.send(
                to=message.address, text=message.body, idempotency_key=message.idempotency_key
            )
        raise DeliveryFailed(f"unknown channel {message.channel!r}", permanent=True)

    async def _record_sent(self, sent: list[tuple[Claimed, str]]) -> None:
        now = self.clock.now()
        logged_at = datetime.now(UTC)  # the log tells real time, like the database's now()
        answers = {message.id: answer for message, answer in sent}
        async with self._unit_of_work() as uow:
            connection = await uow.session.connection()
            settled = await connection.execute(
                MESSAGES.update()
                .where(MESSAGES.c.id.in_(list(answers)), MESSAGES.c.status == "queued")
                .values(status="sent", lease_until=None, sent_at=now, last_answer=None)
                .returning(MESSAGES.c.id)
            )
            recorded = {row[0] for row in settled}
            if not recorded:
                return
            await connection.execute(
                handlers.LOG.insert(),
                [
                    {"message_id": id, "at": logged_at, "status": "sent", "detail": answers[id]}
                    for id in recorded
                ],
            )
            for message, _ in sent:
                if message.id in recorded:
                    await uow.emit(
                        MessageSent(
                            message_id=message.id,
                            channel=message.channel,
                            template=message.template,
                            recipient_ref=message.recipient_ref,
                        ),
                        subject=str(message.id),
                    )

    async def _record_failure(self, message: Claimed, failed: DeliveryFailed) -> None:
        settings = self.settings
        if not failed.permanent and message.attempts < settings.retry_max_attempts:
            delay = retry_delay_s(
                message.attempts,
                first_s=settings.retry_first_delay_s,
                max_s=settings.retry_max_delay_s,
            )
            retry_at = self.clock.now() + timedelta(seconds=delay)
            async with self._unit_of_work() as uow:
                connection = await uow.session.connection()
                await connection.execute(
                    MESSAGES.update()
                    .where(MESSAGES.c.id == message.id, MESSAGES.c.status == "queued")
                    .values(not_before=retry_at, lease_until=None, last_answer=failed.answer)
                )
                await handlers.log_delivery(
                    uow, message.id, "retry", f"{failed.answer} (next try at {retry_at})"
                )
            log.warning("delivery failed; will retry", message_id=str(message.id),
                        answer=failed.answer, retry_at=retry_at.isoformat())  # fmt: skip
            return
        reason = failed.answer if failed.permanent else f"gave up: {failed.answer}"
        async with self._unit_of_work() as uow:
            if not await self._settle(uow, message, status="failed", answer=reason):
                return
            await handlers.log_delivery(uow, message.id, "failed", reason)
            await uow.emit(
                MessageFailed(
                    message_id=message.id,
                    channel=message.channel,
                    template=message.template,
                    recipient_ref=message.recipient_ref,
                    reason=reason,
                ),
                subject=str(message.id),
            )
        log.warning("delivery failed for good", message_id=str(message.id), reason=reason)

    async def _settle(self, uow: UnitOfWork, message: Claimed, *, status: str, answer: str) -> bool:
        connection = await uow.session.connection()
        now = self.clock.now()
        result = await connection.execute(
            MESSAGES.update()
            .where(MESSAGES.c.id == message.id, MESSAGES.c.status == "queued")
            .values(
                status=status,
                lease_until=None,
                last_answer=answer,
                sent_at=now if status == "sent" else None,
            )
            .returning(MESSAGES.c.id)
        )
        return result.first() is not None
