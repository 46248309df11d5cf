"""The background sender: fires due reminders and delivers queued messages.

Every replica runs one; the rows are the only state, so a restart loses nothing:
- a due reminder is claimed with FOR UPDATE SKIP LOCKED and turned into its messages in
  the same transaction that marks it done (once, whichever replica gets it);
- a queued message is leased (FOR UPDATE SKIP LOCKED, then ``lease_until`` and a claim token
  of this batch), sent, and recorded as sent. Leases are measured by the database's
  ``now()``, never a replica's clock. Right before a message goes, the sender checks that
  the token is still its own and renews the lease (``_hold``), and the send is bounded to
  end within that lease; each message is recorded as soon as it went (not when its batch
  ends), checking the token again. So a replica whose lease ran out while a slow relay
  worked through its batch never sends what another replica took over, and no sent message
  waits unrecorded past its lease. Batches are sized to what the lease covers at the speed
  last seen. Should the process die between sending and recording, the lease runs out and
  another attempt sends it again, with the same Message-ID (see the README);
- a reminder that raises is set aside (``failed``, logged with its key and the error's
  type) in its own savepoint; the others of its batch fire;
- a provider failure is retried with exponential back-off; a permanent refusal, or running
  out of attempts, marks the message failed and reports it (``notifications.message.failed``).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import Counter, Histogram
from sqlmodel import col, select

from notifications.channels import DeliveryFailed, Email, EmailSender, NotHeld, SmsSender
from notifications.clock import Clock
from notifications.domain.rules import in_quiet_hours, message_id_header, retry_delay_s
from notifications.events import MessageFailed, MessageSent
from notifications.message_queue import log_delivery
from notifications.notifier import LOG, MESSAGES, REMINDERS, Notifier
from notifications.redaction import LINK_PLACEHOLDER, LINK_SQL, without_contacts
from notifications.reminders import fire_reminder
from notifications.settings import NotificationsSettings
from notifications.tables import Reminder
from shared.errors import is_transient
from shared.logging import get_logger
from shared.observability.tracing import TRACEPARENT, TRACESTATE, configure_tracing
from shared.unit_of_work import UnitOfWork

log = get_logger(__name__)

MESSAGES_SENT = Counter(
    "notifications_messages_sent_total", "Messages the provider accepted, by channel", ["channel"]
)
DELIVERY_FAILURES = Counter(
    "notifications_delivery_failures_total",
    "Failed delivery attempts by channel; outcome 'retry' (tried again later) or 'failed'",
    ["channel", "outcome"],
)
REMINDER_LAG = Histogram(
    "notifications_reminder_lag_seconds",
    "How late a reminder fired after it was due",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
)

UnitOfWorkFactory = Callable[[], Any]
SERVICE = "notifications"
_propagator = TraceContextTextMapPropagator()


def continued_span(
    name: str,
    traceparent: str | None,
    tracestate: str | None,
    kind: SpanKind,
    attributes: dict[str, Any],
) -> AbstractContextManager[Any]:
    """A span in the trace a stored row was written in (its W3C context): a child of the
    span that wrote it, a new trace when there was none; nothing when tracing is off."""
    provider = configure_tracing(SERVICE)  # the process's provider; None when tracing is off
    if provider is None:
        return nullcontext()
    carrier = {
        name: value
        for name, value in ((TRACEPARENT, traceparent), (TRACESTATE, tracestate))
        if value
    }
    tracer = provider.get_tracer("notifications.sender")
    return tracer.start_as_current_span(
        name, context=_propagator.extract(carrier), kind=kind, attributes=attributes
    )


def send_span(message: Claimed) -> AbstractContextManager[Any]:
    """A span around one send, in the trace the message was created in (the request that
    led to it, through the event). No address or text in it: those are personal data."""
    return continued_span(
        f"send {message.channel}",
        message.traceparent,
        message.tracestate,
        SpanKind.PRODUCER,
        {
            "notifications.message_id": str(message.id),
            "notifications.channel": message.channel,
            "notifications.template": message.template,
            "notifications.attempt": message.attempts,
        },
    )


def reminder_span(reminder: Reminder) -> AbstractContextManager[Any]:
    """A span around firing one reminder, in the trace of the event that scheduled it: the
    messages it queues (and so their sends) continue that trace."""
    return continued_span(
        f"fire reminder {reminder.kind}",
        reminder.traceparent,
        reminder.tracestate,
        SpanKind.INTERNAL,
        {"notifications.reminder": reminder.key, "notifications.reminder_kind": reminder.kind},
    )


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
    claim_token: uuid.UUID
    traceparent: str | None = None
    tracestate: str | None = None


class GroupRecorder:
    """Group commit for sent messages: a send that completes while a recording is under way
    joins the next one, so a busy batch costs few transactions and none waits longer than
    one recording plus its own."""

    def __init__(self, write: Callable[[list[tuple[Claimed, str]]], Awaitable[None]]) -> None:
        self._write = write
        self._pending: list[tuple[Claimed, str]] = []
        self._written: asyncio.Event | None = None
        self._lock = asyncio.Lock()

    async def record(self, message: Claimed, answer: str) -> None:
        self._pending.append((message, answer))
        if self._written is None:
            self._written = asyncio.Event()
        written = self._written
        async with self._lock:
            if written.is_set():
                return  # a recording that started after this send took it along
            batch, self._pending, self._written = self._pending, [], None
            try:
                await self._write(batch)
            finally:
                written.set()


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
        # Seconds a batch took per message, as last seen: sizes the next batch to the lease.
        self._seconds_per_message: float | None = None

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
                key = reminder.key
                try:
                    # A savepoint each: one that raises takes back only its own messages.
                    async with uow.session.begin_nested():
                        with reminder_span(reminder):
                            reminder.status = "done"
                            uow.session.add(reminder)
                            await fire_reminder(uow, self.notifier, reminder, now)
                            await uow.session.flush()
                    REMINDER_LAG.observe(max(0.0, (now - reminder.due_at).total_seconds()))
                except Exception as error:
                    if is_transient(error):
                        raise  # the database is away: the round fails whole, tried again
                    log.warning(
                        "reminder failed; the others of its batch go on",
                        reminder=key,
                        error_type=type(error).__name__,
                    )
                    connection = await uow.session.connection()
                    await connection.execute(
                        REMINDERS.update().where(REMINDERS.c.key == key).values(status="failed")
                    )
        return len(reminders)

    # -- messages --------------------------------------------------------------------------

    async def send_due_messages(self) -> int:
        """Claim a batch, send it, and record each sent message as soon as it went.

        Recording waits for no other message of the batch: a sent message still marked
        queued when its lease ran out would be another replica's to send again. The sends
        that complete together are recorded in one transaction (``GroupRecorder``)."""
        started = time.monotonic()
        claimed = await self._claim()
        if not claimed:
            return 0
        recorder = GroupRecorder(self._record_sent)

        async def send_and_record(message: Claimed) -> None:
            message, answer = await self._attempt(message)
            if answer is not None:
                await recorder.record(message, answer)

        await asyncio.gather(*(send_and_record(message) for message in claimed))
        self._observe(time.monotonic() - started, len(claimed))
        return len(claimed)

    def _observe(self, seconds: float, messages: int) -> None:
        per_message = seconds / messages
        previous = self._seconds_per_message
        self._seconds_per_message = (
            per_message if previous is None else 0.5 * previous + 0.5 * per_message
        )

    def batch_size(self) -> int:
        """As many as half the lease covers at the speed last seen (the configured size
        before anything was seen), so a batch ends well inside its lease."""
        configured = self.settings.sender_batch_size
        if not self._seconds_per_message:
            return configured
        fits = int(self.settings.sender_lease_s / 2 / self._seconds_per_message)
        return max(1, min(configured, fits))

    def _send_budget_s(self) -> float:
        """How long one send may take once its lease was renewed: the lease, less a margin
        for recording the answer."""
        lease = self.settings.sender_lease_s
        return lease - min(lease * 0.2, 5.0)

    def _lease(self) -> Any:
        return sa.func.now() + sa.literal(timedelta(seconds=self.settings.sender_lease_s))

    async def _claim(self) -> list[Claimed]:
        now = self.clock.now()
        m = MESSAGES.c
        due = sa.and_(
            m.status == "queued",
            m.channel != "in_app",
            sa.or_(m.not_before.is_(None), m.not_before <= now),
            # The database's clock decides when a lease has run out, for every replica.
            sa.or_(m.lease_until.is_(None), m.lease_until <= sa.func.now()),
        )
        if in_quiet_hours(now):
            due = sa.and_(due, m.channel != "sms")  # SMS waits for 08:00 in Warsaw
        candidates = (
            sa.select(m.id)
            .where(due)
            .order_by(m.created_at)
            .limit(self.batch_size())
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        async with self._unit_of_work() as uow:
            connection = await uow.session.connection()
            rows = await connection.execute(
                MESSAGES.update()
                .where(m.id.in_(candidates))
                .values(
                    lease_until=self._lease(), attempts=m.attempts + 1, claim_token=uuid.uuid4()
                )
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
                    m.claim_token,
                    m.traceparent,
                    m.tracestate,
                )
            )
            return [Claimed(**row._mapping) for row in rows]

    async def _hold(self, message: Claimed) -> bool:
        """Right before sending: is the message still queued under this batch's token? If
        so the lease starts anew (by the database's clock) for the send to end within it."""
        m = MESSAGES.c
        async with self._unit_of_work() as uow:
            connection = await uow.session.connection()
            held = await connection.execute(
                MESSAGES.update()
                .where(
                    m.id == message.id,
                    m.claim_token == message.claim_token,
                    m.status == "queued",
                )
                .values(lease_until=self._lease())
                .returning(m.id)
            )
            return held.first() is not None

    async def _attempt(self, message: Claimed) -> tuple[Claimed, str | None]:
        """The provider's answer, or None when it failed (recorded here) or the message is
        no longer this sender's to send (nothing to record)."""
        try:
            with send_span(message):
                answer = await self._send(message)
        except NotHeld:
            log.info("message taken over or cancelled; not sent", message_id=str(message.id))
            return message, None
        except DeliveryFailed as failed:
            await self._record_failure(message, failed)
            return message, None
        return message, answer

    async def _send(self, message: Claimed) -> str:
        if message.address is None or message.body is None:
            raise DeliveryFailed("no address or text (the person was forgotten)", permanent=True)

        async def hold() -> bool:
            return await self._hold(message)

        within_s = self._send_budget_s()
        if message.channel == "email":
            return await self.email.send(
                Email(
                    to=message.address,
                    subject=message.subject or "",
                    body=message.body,
                    message_id=message_id_header(
                        message.idempotency_key, self.settings.message_id_domain
                    ),
                ),
                hold=hold,
                within_s=within_s,
            )
        if message.channel == "sms":
            return await self.sms.send(
                to=message.address,
                text=message.body,
                idempotency_key=message.idempotency_key,
                hold=hold,
                within_s=within_s,
            )
        raise DeliveryFailed(f"unknown channel {message.channel!r}", permanent=True)

    async def _record_sent(self, sent: list[tuple[Claimed, str]]) -> None:
        now = self.clock.now()
        logged_at = datetime.now(UTC)  # the log tells real time, like the database's now()
        answers = {message.id: without_contacts(answer) for message, answer in sent}
        m = MESSAGES.c
        async with self._unit_of_work() as uow:
            connection = await uow.session.connection()
            settled = await connection.execute(
                MESSAGES.update()
                .where(
                    sa.tuple_(m.id, m.claim_token).in_(
                        [(message.id, message.claim_token) for message, _ in sent]
                    ),
                    m.status == "queued",
                )
                .values(
                    status="sent",
                    lease_until=None,
                    claim_token=None,
                    sent_at=now,
                    last_answer=None,
                    # The kept copy: the person has the link; the record does not need it.
                    body=sa.func.regexp_replace(m.body, LINK_SQL, LINK_PLACEHOLDER, "g"),
                )
                .returning(m.id)
            )
            recorded = {row[0] for row in settled}
            if not recorded:
                return
            await connection.execute(
                LOG.insert(),
                [
                    {"message_id": id, "at": logged_at, "status": "sent", "detail": answers[id]}
                    for id in recorded
                ],
            )
            for message, _ in sent:
                if message.id in recorded:
                    MESSAGES_SENT.labels(message.channel).inc()
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
        # What the provider said, without the addresses and numbers it may repeat.
        answer = without_contacts(failed.answer) or ""
        m = MESSAGES.c
        if not failed.permanent and message.attempts < settings.retry_max_attempts:
            delay = retry_delay_s(
                message.attempts,
                first_s=settings.retry_first_delay_s,
                max_s=settings.retry_max_delay_s,
            )
            retry_at = self.clock.now() + timedelta(seconds=delay)
            async with self._unit_of_work() as uow:
                connection = await uow.session.connection()
                retried = await connection.execute(
                    MESSAGES.update()
                    .where(
                        m.id == message.id,
                        m.claim_token == message.claim_token,
                        m.status == "queued",
                    )
                    .values(
                        not_before=retry_at, lease_until=None, claim_token=None, last_answer=answer
                    )
                    .returning(m.id)
                )
                if retried.first() is None:
                    return  # no longer this sender's: whoever holds it records its own try
                await log_delivery(uow, message.id, "retry", f"{answer} (next try at {retry_at})")
            DELIVERY_FAILURES.labels(message.channel, "retry").inc()
            log.warning("delivery failed; will retry", message_id=str(message.id),
                        answer=answer, retry_at=retry_at.isoformat())  # fmt: skip
            return
        reason = answer if failed.permanent else f"gave up: {answer}"
        async with self._unit_of_work() as uow:
            if not await self._settle(uow, message, status="failed", answer=reason):
                return
            await log_delivery(uow, message.id, "failed", reason)
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
        DELIVERY_FAILURES.labels(message.channel, "failed").inc()
        log.warning("delivery failed for good", message_id=str(message.id), reason=reason)

    async def _settle(self, uow: UnitOfWork, message: Claimed, *, status: str, answer: str) -> bool:
        connection = await uow.session.connection()
        now = self.clock.now()
        m = MESSAGES.c
        result = await connection.execute(
            MESSAGES.update()
            .where(m.id == message.id, m.claim_token == message.claim_token, m.status == "queued")
            .values(
                status=status,
                lease_until=None,
                claim_token=None,
                last_answer=answer,
                sent_at=now if status == "sent" else None,
                body=sa.func.regexp_replace(m.body, LINK_SQL, LINK_PLACEHOLDER, "g"),
            )
            .returning(m.id)
        )
        return result.first() is not None
