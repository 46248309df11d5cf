"""Consuming events: envelope, handler lookup, inbox, retries and dead letters in one place.

For each delivery:
- not JSON, not a CloudEvent, forged or misrouted (``shared.boundary``: the type is not the
  routing key, or came through the wrong exchange or from the wrong source), an unknown
  type or invalid data: dead-lettered at once with the reason, then acked, so the queue goes
  on with the next message;
- otherwise the handler runs in one transaction with the inbox record and any outbox rows;
  a redelivered event finds its inbox record and changes nothing;
- a transient failure (database or broker briefly gone) is retried in place with back-off,
  then handed back to the broker, which redelivers it up to the queue's delivery limit;
- while the database does not answer at all the consumer pauses (``DatabaseGate``): the
  deliveries it holds wait, unsettled, and with the channel's prefetch used up the broker
  sends no more; a probe asks the database again every few seconds and the waiting
  deliveries go on when it answers. No delivery is spent on an outage, however long, up
  to ``outage_hold_s`` (under the broker's consumer timeout) per delivery;
- a handler that rejects the message (``RejectMessage``) or keeps failing unexpectedly
  dead-letters it with the reason.

With ``batch_max`` above 1 the deliveries at hand are applied together (under a stream,
after waiting ``batch_linger_s`` once for more): one transaction for all of them (each
with its inbox record, its effect and its outbox rows, in order; a run of one type at once
where its handler takes runs), then one multiple ack per channel after the commit. A batch
that fails in any way is rolled back and its deliveries applied one by one as above, so a
poisoned message is dead-lettered alone. One worker applies the batches in arrival order
and settles each before the next, so a multiple ack never covers a delivery it has not
applied; it outlives any failure (a broker restart closes the channel its deliveries came
on: their acks fail harmlessly, the broker delivers them again on the new channel and the
inbox drops what was applied).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import uuid4

from aio_pika.abc import AbstractIncomingMessage
from pydantic import BaseModel, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.boundary import TrustedSources, arrival, check_boundary
from shared.cancellation import cancelled_from_outside
from shared.cloudevents import (
    CloudEvent,
    InvalidMessage,
    describe_validation_error,
    parse_amqp_message,
)
from shared.db import Database
from shared.deadletters import dead_letter_headers, redact_detail
from shared.errors import is_transient
from shared.logging import event_context, get_logger
from shared.metrics import BATCH_DELIVERIES, CONSUMED, CONSUMER_PAUSES, HANDLE_SECONDS
from shared.observability.tracing import delivery_span
from shared.publisher import BrokerPublisher
from shared.topology import DEAD_LETTER_EXCHANGE, ServiceTopology
from shared.unit_of_work import Messaging, OutboxRows, UnitOfWork, unit_of_work

log = get_logger(__name__)

DataT = TypeVar("DataT", bound=BaseModel)
Handler = Callable[[UnitOfWork, CloudEvent, DataT], Awaitable[None]]
TogetherHandler = Callable[[Sequence[tuple[UnitOfWork, CloudEvent, DataT]]], Awaitable[None]]
"""A handler for a run of deliveries of one type applied in one transaction: the same
effect as the handler applied to each in order, in fewer statements."""


class RejectMessage(Exception):
    """Raised by a handler for a message that can never be applied, e.g. an unknown branch."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class RegisteredHandler(Generic[DataT]):
    event_type: str
    data_model: type[DataT]
    handle: Handler[DataT]
    handle_together: TogetherHandler[DataT] | None = None

    def parse_data(self, event: CloudEvent) -> DataT:
        try:
            return self.data_model.model_validate(event.data)
        except ValidationError as error:
            raise InvalidMessage("invalid-data", describe_validation_error(error)) from error


class EventHandlers:
    """The event types a service consumes, each with its data model and handler."""

    def __init__(self) -> None:
        self._by_type: dict[str, RegisteredHandler[Any]] = {}

    def on(
        self,
        event_type: str,
        data_model: type[DataT],
        *,
        together: TogetherHandler[DataT] | None = None,
    ) -> Callable[[Handler[DataT]], Handler[DataT]]:
        """Register the handler of ``event_type``; ``together``, when given, applies a run
        of such deliveries in a batch at once (the handler still applies them one by one
        when a batch falls back)."""

        def register(handler: Handler[DataT]) -> Handler[DataT]:
            if event_type in self._by_type:
                raise ValueError(f"a handler for {event_type} is already registered")
            self._by_type[event_type] = RegisteredHandler(event_type, data_model, handler, together)
            return handler

        return register

    def precede(
        self,
        event_type: str,
        step: Callable[[UnitOfWork, CloudEvent], Awaitable[None]],
        data_model: type[BaseModel],
    ) -> None:
        """Run ``step`` before the handler of ``event_type`` (or alone, validating the data
        with ``data_model``, when there is none), in the same transaction: a copy every
        service keeps of the same facts (``shared.staff_scope``)."""
        existing = self._by_type.get(event_type)

        async def combined(uow: UnitOfWork, event: CloudEvent, data: Any) -> None:
            await step(uow, event)
            if existing is not None:
                await existing.handle(uow, event, data)

        model = existing.data_model if existing is not None else data_model
        self._by_type[event_type] = RegisteredHandler(event_type, model, combined)

    def get(self, event_type: str) -> RegisteredHandler[Any] | None:
        return self._by_type.get(event_type)

    @property
    def event_types(self) -> list[str]:
        return sorted(self._by_type)


@dataclass(frozen=True)
class RetryPolicy:
    transient_window_s: float = 60.0
    transient_max_delay_s: float = 5.0
    unexpected_attempts: int = 3
    first_delay_s: float = 0.1
    # While the database is unreachable: how often to ask it again, and how long a
    # delivery may wait unsettled (RabbitMQ closes a channel whose delivery waits longer
    # than its consumer timeout, 30 minutes by default).
    probe_interval_s: float = 2.0
    outage_hold_s: float = 900.0
    probe_timeout_s: float = 5.0


class DatabaseGate:
    """Open while the database answers. Closed by a delivery that finds it unreachable;
    a probe then asks it again every ``probe_interval_s`` and opens the gate when it
    answers. Deliveries wait at the gate instead of going back to the broker."""

    def __init__(self, database: Database, retry: RetryPolicy, service: str) -> None:
        self._database = database
        self._retry = retry
        self._service = service
        self._open = asyncio.Event()
        self._open.set()
        self._closing = False
        self._probe: asyncio.Task[None] | None = None

    @property
    def is_open(self) -> bool:
        return self._open.is_set()

    async def database_answers(self) -> bool:
        try:
            await asyncio.wait_for(self._database.ping(), self._retry.probe_timeout_s)
        except Exception:
            return False
        return True

    def close(self) -> None:
        if not self._open.is_set() or self._closing:
            return
        self._open.clear()
        CONSUMER_PAUSES.labels(self._service).inc()
        log.warning(
            "database unreachable; consumer paused",
            probe_every_s=self._retry.probe_interval_s,
        )
        self._probe = asyncio.create_task(self._probe_until_back(), name="database-probe")

    async def wait_open(self) -> bool:
        """True once the gate is open; False after ``outage_hold_s`` or at shutdown."""
        if not self._open.is_set():
            try:
                await asyncio.wait_for(self._open.wait(), self._retry.outage_hold_s)
            except TimeoutError:
                return False
        return not self._closing

    async def shutdown(self) -> None:
        """Let every waiting delivery go back to the broker, and stop probing."""
        self._closing = True
        self._open.set()
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe

    async def _probe_until_back(self) -> None:
        started = time.monotonic()
        while not await self.database_answers():  # noqa: ASYNC110 - polling is the point
            await asyncio.sleep(self._retry.probe_interval_s)
        log.info(
            "database answers again; consumer resumed",
            paused_s=round(time.monotonic() - started, 1),
        )
        self._open.set()


class EventConsumer:
    def __init__(
        self,
        *,
        topology: ServiceTopology,
        database: Database,
        messaging: Messaging,
        handlers: EventHandlers,
        publisher: BrokerPublisher,
        retry: RetryPolicy,
        sources: TrustedSources | None = None,
        batch_max: int = 1,
        batch_linger_s: float = 0.0,
    ) -> None:
        self._sources = sources or TrustedSources()
        self._batch_max = batch_max
        self._batch_linger_s = batch_linger_s
        self._waiting: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._topology = topology
        self._service = topology.service
        self._database = database
        self._messaging = messaging
        self._handlers = handlers
        self._publisher = publisher
        self._retry = retry
        self.gate = DatabaseGate(database, retry, topology.service)

    async def receive(self, message: AbstractIncomingMessage) -> None:
        """A delivery from the subscription: applied now, or queued for the batch worker."""
        if self._batch_max <= 1:
            with delivery_span(message, consumer=self._topology.queue):
                await self.handle_delivery(message)
            return
        self._waiting.put_nowait(message)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work(), name=f"{self._service}-batches")

    async def stop(self) -> None:
        """Stop the batch worker; deliveries it held go back to the broker with the channel."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def _work(self) -> None:
        streaming = False
        while True:
            batch = [await self._waiting.get()]
            self._take_waiting(batch)
            if streaming and self._batch_linger_s and len(batch) < self._batch_max:
                # Under a stream, a moment's wait fills the transaction; a delivery that
                # comes alone (the previous batch was one too) is applied at once.
                await asyncio.sleep(self._batch_linger_s)
                self._take_waiting(batch)
            streaming = len(batch) > 1
            try:
                await self._apply_batch(batch)
            except asyncio.CancelledError:
                if cancelled_from_outside():
                    raise
                # An ack cancelled with its channel (a broker restart), not this worker:
                # ending here would leave what is queued waiting with the prefetch full.
                log.warning("batch interrupted by its channel", deliveries=len(batch))
            except Exception as error:
                # Never the end of the worker: whatever was not settled comes again.
                log.warning("batch interrupted", error=repr(error), deliveries=len(batch))

    def _take_waiting(self, batch: list[AbstractIncomingMessage]) -> None:
        while len(batch) < self._batch_max and not self._waiting.empty():
            batch.append(self._waiting.get_nowait())

    async def _apply_batch(self, batch: list[AbstractIncomingMessage]) -> None:
        ready: list[_Parsed] = []
        for message in batch:
            parsed = await self._parse(message)
            if parsed is not None:
                ready.append(parsed)
        if len(ready) > 1 and self.gate.is_open:
            started = time.perf_counter()
            try:
                applied = await self._apply_together(ready)
            except Exception as error:
                log.info(
                    "batch rolled back; applying its deliveries one by one",
                    error_type=type(error).__name__,
                    deliveries=len(ready),
                )
            else:
                BATCH_DELIVERIES.labels(self._service).observe(len(ready))
                share = (time.perf_counter() - started) / len(ready)
                for was_applied in applied:
                    HANDLE_SECONDS.labels(self._service).observe(share)
                    CONSUMED.labels(self._service, "applied" if was_applied else "duplicate").inc()
                await _ack_together([parsed.message for parsed in ready])
                return
        for parsed in ready:
            BATCH_DELIVERIES.labels(self._service).observe(1)
            with delivery_span(parsed.message, consumer=self._topology.queue):
                await self._apply_with_retries(
                    parsed.message, parsed.event, parsed.registered, parsed.data
                )

    async def _apply_together(self, ready: list[_Parsed]) -> list[bool]:
        """One inbox claim for the batch, the handlers of the claimed deliveries in order
        (a run of one type at once where its handler takes runs), and their outbox rows
        together: written at the end, or before a delivery of another type, whose handler
        may look at the outbox (an erasure purges it)."""
        applied: list[bool] = []
        async with self._database.transaction() as session:
            fresh = await self._messaging.claim_inbox_many(
                session, [parsed.event for parsed in ready]
            )
            claimed: list[_Parsed] = []
            for parsed in ready:
                key = (parsed.event.source, parsed.event.id)
                applied.append(key in fresh)
                if key in fresh:
                    fresh.discard(key)
                    claimed.append(parsed)
            outbox = OutboxRows(self._messaging)
            previous_type = claimed[0].event.type if claimed else ""
            for run in _runs(claimed):
                if run[0].event.type != previous_type:
                    await outbox.flush(session)
                    previous_type = run[0].event.type
                await self._handle_run(session, outbox, run)
            await outbox.flush(session)
        return applied

    async def _handle_run(
        self, session: AsyncSession, outbox: OutboxRows, run: list[_Parsed]
    ) -> None:
        together = run[0].registered.handle_together
        if together is None:
            (parsed,) = run
            event = parsed.event
            with (
                delivery_span(parsed.message, consumer=self._topology.queue),
                event_context(
                    event_id=event.id,
                    correlation_id=event.correlationid or event.id,
                    event_type=event.type,
                ),
            ):
                uow = UnitOfWork(session, self._messaging, event, outbox=outbox)
                await parsed.registered.handle(uow, event, parsed.data)
            return
        # Each delivery keeps its span (a continuation of the trace that sent it).
        with contextlib.ExitStack() as spans, event_context(event_type=run[0].event.type):
            for parsed in run:
                spans.enter_context(delivery_span(parsed.message, consumer=self._topology.queue))
            await together(
                [
                    (UnitOfWork(session, self._messaging, p.event, outbox=outbox), p.event, p.data)
                    for p in run
                ]
            )

    async def _parse(self, message: AbstractIncomingMessage) -> _Parsed | None:
        """The delivery's event, handler and data; None when it was dead-lettered."""
        try:
            event = parse_amqp_message(message.body, message.headers, message.content_type)
        except InvalidMessage as invalid:
            await self._dead_letter(message, invalid.reason, invalid.detail)
            return None
        with event_context(
            event_id=event.id,
            correlation_id=event.correlationid or event.id,
            event_type=event.type,
        ):
            try:
                registered, data = self._checked(message, event)
            except InvalidMessage as invalid:
                await self._dead_letter(message, invalid.reason, invalid.detail)
                return None
        return _Parsed(message, event, registered, data)

    def _checked(
        self, message: AbstractIncomingMessage, event: CloudEvent
    ) -> tuple[RegisteredHandler[Any], BaseModel]:
        exchange, routing_key = arrival(message.exchange, message.routing_key, message.headers)
        check_boundary(event, exchange=exchange, routing_key=routing_key, sources=self._sources)
        registered = self._handlers.get(event.type)
        if registered is None:
            raise InvalidMessage(
                "unknown-type", f"{self._service} does not handle events of type {event.type!r}"
            )
        return registered, registered.parse_data(event)

    async def handle_delivery(self, message: AbstractIncomingMessage) -> None:
        try:
            event = parse_amqp_message(message.body, message.headers, message.content_type)
        except InvalidMessage as invalid:
            await self._dead_letter(message, invalid.reason, invalid.detail)
            return
        with event_context(
            event_id=event.id,
            correlation_id=event.correlationid or event.id,
            event_type=event.type,
        ):
            try:
                registered, data = self._checked(message, event)
            except InvalidMessage as invalid:
                await self._dead_letter(message, invalid.reason, invalid.detail)
                return
            await self._apply_with_retries(message, event, registered, data)

    async def _apply_with_retries(
        self,
        message: AbstractIncomingMessage,
        event: CloudEvent,
        registered: RegisteredHandler[Any],
        data: BaseModel,
    ) -> None:
        deadline = time.monotonic() + self._retry.transient_window_s
        delay = self._retry.first_delay_s
        unexpected_failures = 0
        while True:
            if not await self.gate.wait_open():
                await self._hand_back(message, "the database is still unreachable")
                return
            started = time.perf_counter()
            try:
                applied = await self._apply(event, registered, data)
            except RejectMessage as rejected:
                await self._dead_letter(message, rejected.reason, rejected.detail)
                return
            except Exception as error:
                if is_transient(error) and not await self.gate.database_answers():
                    # The database is gone, not just slow: wait for it, spending nothing
                    # of the delivery limit, and start the retries afresh when it is back.
                    self.gate.close()
                    deadline = time.monotonic() + self._retry.transient_window_s
                    delay = self._retry.first_delay_s
                    continue
                if is_transient(error):
                    if time.monotonic() + delay > deadline:
                        await self._hand_back(message, repr(error))
                        return
                    log.warning(
                        "transient failure; retrying", error=repr(error), retry_in_s=round(delay, 2)
                    )
                else:
                    unexpected_failures += 1
                    # The type and a redacted message and traceback: never the event's values.
                    log.warning(
                        "handler failed",
                        attempt=unexpected_failures,
                        error_type=type(error).__name__,
                        traceback=redact_detail(
                            "".join(traceback.format_exception(error)), message.body
                        ),
                    )
                    if unexpected_failures >= self._retry.unexpected_attempts:
                        await self._dead_letter(
                            message, "handler-error", f"{type(error).__name__}: {error}"
                        )
                        return
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry.transient_max_delay_s)
                continue
            HANDLE_SECONDS.labels(self._service).observe(time.perf_counter() - started)
            CONSUMED.labels(self._service, "applied" if applied else "duplicate").inc()
            if not applied:
                log.info("duplicate delivery ignored")
            await _settle(message.ack())
            return

    async def _hand_back(self, message: AbstractIncomingMessage, why: str) -> None:
        """Return the delivery to the broker, which redelivers it (one delivery spent)."""
        log.warning("transient failure persists; returning to the queue", error=why)
        CONSUMED.labels(self._service, "requeued").inc()
        await _settle(message.nack(requeue=True))

    async def _apply(
        self, event: CloudEvent, registered: RegisteredHandler[Any], data: BaseModel
    ) -> bool:
        async with unit_of_work(self._database, self._messaging, cause=event) as uow:
            if not await self._messaging.claim_inbox(uow.session, event):
                return False
            await registered.handle(uow, event, data)
            return True

    async def _dead_letter(
        self, message: AbstractIncomingMessage, reason: str, detail: str
    ) -> None:
        """Park the message with its reason; only once the broker has it is the original acked.
        The detail, in the log and in the header, names fields and error types, never values."""
        detail = redact_detail(detail, message.body)
        log.warning(
            "message dead-lettered",
            reason=reason,
            detail=detail,
            routing_key=message.routing_key,
            message_id=message.message_id,
        )
        try:
            await self._publisher.publish(
                exchange=DEAD_LETTER_EXCHANGE,
                routing_key=self._topology.dead_letter_routing_key,
                body=message.body,
                message_id=message.message_id or str(uuid4()),
                content_type=message.content_type or "application/octet-stream",
                event_type=message.type,
                correlation_id=message.correlation_id,
                headers=dead_letter_headers(
                    message, service=self._service, reason=reason, detail=detail
                ),
            )
        except Exception as error:
            log.warning("dead-lettering failed; returning to the queue", error=repr(error))
            CONSUMED.labels(self._service, "dead_letter_failed").inc()
            await _settle(message.nack(requeue=True))
            return
        CONSUMED.labels(self._service, "dead_lettered").inc()
        await _settle(message.ack())


@dataclass(frozen=True)
class _Parsed:
    message: AbstractIncomingMessage
    event: CloudEvent
    registered: RegisteredHandler[Any]
    data: BaseModel


def _runs(claimed: list[_Parsed]) -> Iterator[list[_Parsed]]:
    """The deliveries in order, consecutive ones of a type whose handler takes runs
    gathered together; every other delivery a run of its own."""
    run: list[_Parsed] = []
    for parsed in claimed:
        if run and (
            parsed.registered is not run[0].registered or parsed.registered.handle_together is None
        ):
            yield run
            run = []
        run.append(parsed)
    if run:
        yield run


async def _ack_together(messages: list[AbstractIncomingMessage]) -> None:
    """One multiple ack per channel, on its latest delivery. Deliveries of a channel that
    closed meanwhile (a broker restart) cannot be acked: the broker sends them again."""
    latest: dict[int, AbstractIncomingMessage] = {}
    for message in messages:
        latest[id(message.channel)] = message
    for message in latest.values():
        await _settle(message.ack(multiple=True))


async def _settle(settlement: Awaitable[Any]) -> None:
    """An ack lost with its channel is harmless: the broker redelivers and the inbox drops it."""
    try:
        await settlement
    except Exception as error:
        log.warning("could not settle the delivery", error=repr(error))
