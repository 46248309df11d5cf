"""Consuming events: envelope, handler lookup, inbox, retries and dead letters in one place.

Deliveries are taken from the service queue in batches, as many as have arrived (up to half
the prefetch, so the next batch is on its way while one commits), and applied together:
- not JSON, not a CloudEvent, an unknown type or invalid data: dead-lettered at once with
  the reason, then acked, so the queue goes on with the next message;
- the rest run in one transaction: their inbox records, each handler in turn (each with the
  event as its cause) and the outbox rows they write; a redelivered event finds its inbox
  record and changes nothing; after the commit the batch is acked with one frame;
- if the batch fails, nothing of it is kept and its events are applied again one at a time,
  so one message that cannot be applied is dead-lettered alone and the others still apply;
- one at a time, a transient failure (database or broker briefly gone) is retried in place
  with back-off, then handed back to the broker, which redelivers it up to the queue's
  delivery limit; a handler that rejects the message (``RejectMessage``) or keeps failing
  unexpectedly dead-letters it with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import uuid4

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection, AbstractRobustQueue
from pydantic import BaseModel, ValidationError

from shared.cloudevents import (
    CloudEvent,
    InvalidMessage,
    describe_validation_error,
    parse_amqp_message,
)
from shared.db import Database
from shared.deadletters import dead_letter_headers
from shared.errors import is_transient
from shared.logging import event_context, get_logger
from shared.metrics import CONSUMED, HANDLE_SECONDS
from shared.publisher import BrokerPublisher
from shared.topology import DEAD_LETTER_EXCHANGE, ServiceTopology
from shared.unit_of_work import Messaging, MessagingTransaction, UnitOfWork, messaging_transaction

log = get_logger(__name__)

DataT = TypeVar("DataT", bound=BaseModel)
Handler = Callable[[UnitOfWork, CloudEvent, DataT], Awaitable[None]]


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
        self, event_type: str, data_model: type[DataT]
    ) -> Callable[[Handler[DataT]], Handler[DataT]]:
        def register(handler: Handler[DataT]) -> Handler[DataT]:
            if event_type in self._by_type:
                raise ValueError(f"a handler for {event_type} is already registered")
            self._by_type[event_type] = RegisteredHandler(event_type, data_model, handler)
            return handler

        return register

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


@dataclass(frozen=True)
class ParsedDelivery:
    """A delivery whose envelope and data are valid, with the handler that applies it."""

    message: AbstractIncomingMessage
    event: CloudEvent
    registered: RegisteredHandler[Any]
    data: BaseModel


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
    ) -> None:
        self._topology = topology
        self._service = topology.service
        self._database = database
        self._messaging = messaging
        self._handlers = handlers
        self._publisher = publisher
        self._retry = retry

    async def handle_batch(self, messages: Sequence[AbstractIncomingMessage]) -> None:
        """Apply deliveries of one channel, in delivery order, and settle every one of them.

        Only one batch of a channel may be in flight: the batch is acked with ``multiple``,
        which also covers any earlier delivery of the channel still unsettled.
        """
        parsed: list[ParsedDelivery] = []
        for message in messages:
            delivery = await self._parse(message)
            if delivery is not None:
                parsed.append(delivery)
        if len(parsed) == 1:
            await self._apply_with_retries(parsed[0])
        elif parsed:
            await self._apply_batch(parsed)

    async def _parse(self, message: AbstractIncomingMessage) -> ParsedDelivery | None:
        """The delivery ready to apply, or None once it has been dead-lettered."""
        try:
            event = parse_amqp_message(message.body, message.headers, message.content_type)
        except InvalidMessage as invalid:
            await self._dead_letter(message, invalid.reason, invalid.detail)
            return None
        try:
            registered = self._handlers.get(event.type)
            if registered is None:
                raise InvalidMessage(
                    "unknown-type",
                    f"{self._service} does not handle events of type {event.type!r}",
                )
            data = registered.parse_data(event)
        except InvalidMessage as invalid:
            with _context_of(event):
                await self._dead_letter(message, invalid.reason, invalid.detail)
            return None
        except Exception as error:
            # A data model that fails other than by validation fails the same way each time.
            with _context_of(event):
                log.exception("reading the event data failed")
                await self._dead_letter(message, "handler-error", repr(error))
            return None
        return ParsedDelivery(message, event, registered, data)

    async def _apply_batch(self, batch: Sequence[ParsedDelivery]) -> None:
        started = time.perf_counter()
        try:
            async with messaging_transaction(self._database, self._messaging) as transaction:
                applied = await self._apply_all(transaction, batch)
        except Exception as error:
            # Nothing of the batch was kept: one at a time, each message meets its own fate.
            log.info("batch failed; applying its events one at a time", error=repr(error))
            for delivery in batch:
                await self._apply_with_retries(delivery)
            return
        seconds_each = (time.perf_counter() - started) / len(batch)
        for _ in batch:
            HANDLE_SECONDS.labels(self._service).observe(seconds_each)
        CONSUMED.labels(self._service, "applied").inc(applied)
        if applied < len(batch):
            CONSUMED.labels(self._service, "duplicate").inc(len(batch) - applied)
            log.info("duplicate deliveries ignored", count=len(batch) - applied)
        await _ack_all(batch)

    async def _apply_all(
        self, transaction: MessagingTransaction, batch: Sequence[ParsedDelivery]
    ) -> int:
        """Claim the batch's inbox records in one statement, then run each new event's
        handler; return how many were applied."""
        fresh = await transaction.claim_inbox([delivery.event for delivery in batch])
        applied = 0
        for delivery in batch:
            event = delivery.event
            key = (event.source, event.id)
            if key not in fresh:
                continue  # handled before, or twice in this batch: once is enough
            fresh.discard(key)
            with _context_of(event):
                await delivery.registered.handle(
                    transaction.unit_of_work(event), event, delivery.data
                )
            applied += 1
        return applied

    async def _apply_with_retries(self, delivery: ParsedDelivery) -> None:
        message = delivery.message
        with _context_of(delivery.event):
            deadline = time.monotonic() + self._retry.transient_window_s
            delay = self._retry.first_delay_s
            unexpected_failures = 0
            while True:
                started = time.perf_counter()
                try:
                    async with messaging_transaction(
                        self._database, self._messaging
                    ) as transaction:
                        applied = await self._apply_all(transaction, [delivery]) == 1
                except RejectMessage as rejected:
                    await self._dead_letter(message, rejected.reason, rejected.detail)
                    return
                except Exception as error:
                    if is_transient(error):
                        if time.monotonic() + delay > deadline:
                            log.warning(
                                "transient failure persists; returning to the queue",
                                error=repr(error),
                            )
                            CONSUMED.labels(self._service, "requeued").inc()
                            await _settle(message.nack(requeue=True))
                            return
                        log.warning(
                            "transient failure; retrying",
                            error=repr(error),
                            retry_in_s=round(delay, 2),
                        )
                    else:
                        unexpected_failures += 1
                        log.exception("handler failed", attempt=unexpected_failures)
                        if unexpected_failures >= self._retry.unexpected_attempts:
                            await self._dead_letter(message, "handler-error", repr(error))
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

    async def _dead_letter(
        self, message: AbstractIncomingMessage, reason: str, detail: str
    ) -> None:
        """Park the message with its reason; only once the broker has it is the original acked."""
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
            await _settle(message.nack(requeue=True))
            return
        CONSUMED.labels(self._service, "dead_lettered").inc()
        await _settle(message.ack())


async def _settle(settlement: Awaitable[Any]) -> None:
    """An ack lost with its channel is harmless: the broker redelivers and the inbox drops it."""
    try:
        await settlement
    except Exception as error:
        log.warning("could not settle the delivery", error=repr(error))


class QueueConsumer:
    """The service queue's deliveries, applied in batches by one worker as they arrive.

    Its own connection (robust: it reconnects and consumes again after a broker restart)
    and channel, with the service's prefetch. The callback only queues a delivery; the
    worker takes what has arrived, up to half the prefetch, so the broker keeps the next
    batch coming while one is applied.
    """

    def __init__(
        self,
        *,
        amqp_url: str,
        app_id: str,
        queue: str,
        prefetch: int,
        consumer: EventConsumer | None,
        graceful_timeout_s: float = 15.0,
    ) -> None:
        self._amqp_url = amqp_url
        self._app_id = app_id
        self._queue_name = queue
        self._prefetch = prefetch
        self._batch_size = max(1, prefetch // 2)
        self._consumer = consumer
        self._graceful_timeout_s = graceful_timeout_s
        self._connection: AbstractRobustConnection | None = None
        self._queue: AbstractRobustQueue | None = None
        self._consumer_tag: str | None = None
        self._arrived: deque[AbstractIncomingMessage] = deque()
        self._wakeup = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        """Connect; consume the service queue when the service handles any event."""
        self._stopping = False
        self._connection = await aio_pika.connect_robust(
            self._amqp_url,
            client_properties={"connection_name": f"{self._app_id}-consumer"},
        )
        if self._consumer is None:
            return
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=self._prefetch)
        # Declared (passively) rather than merely named: a robust channel restores only the
        # queues it declared, and with them this consumer, after a reconnect.
        queue = await channel.declare_queue(self._queue_name, passive=True)
        self._queue = queue
        self._worker = asyncio.create_task(self._work(), name=f"{self._app_id}-consumer")
        self._consumer_tag = await queue.consume(self._on_delivery)

    async def stop(self) -> None:
        """Stop taking deliveries, let the batch in hand finish, then disconnect; whatever
        is left unacked goes back to the queue."""
        self._stopping = True
        if self._queue is not None and self._consumer_tag is not None:
            with contextlib.suppress(Exception):
                await self._queue.cancel(self._consumer_tag)
        if self._worker is not None:
            self._wakeup.set()
            try:
                await asyncio.wait_for(self._worker, self._graceful_timeout_s)
            except TimeoutError:
                log.warning("consumer did not finish its batch in time")
            self._worker = None
        self._arrived.clear()
        if self._connection is not None:
            await self._connection.close()
        self._connection = None
        self._queue = None
        self._consumer_tag = None

    async def ping(self, timeout: float) -> bool:
        """The broker connection is up (and consuming, when the service consumes)."""
        connection = self._connection
        return connection is not None and not connection.is_closed

    async def _on_delivery(self, message: AbstractIncomingMessage) -> None:
        self._arrived.append(message)
        self._wakeup.set()

    async def _work(self) -> None:
        assert self._consumer is not None
        while not self._stopping:
            if not self._arrived:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            batch = [
                self._arrived.popleft() for _ in range(min(self._batch_size, len(self._arrived)))
            ]
            try:
                await self._consumer.handle_batch(batch)
            except Exception:
                # Give back what is still unsettled now: a later batch's ack with ``multiple``
                # would otherwise cover it. The delivery limit stops one that always fails.
                log.exception("consuming a batch failed; its unsettled deliveries go back")
                for message in batch:
                    if not message.processed:
                        await _settle(message.nack(requeue=True))


def _context_of(event: CloudEvent) -> contextlib.AbstractContextManager[None]:
    return event_context(
        event_id=event.id,
        correlation_id=event.correlationid or event.id,
        event_type=event.type,
    )


async def _ack_all(batch: Sequence[ParsedDelivery]) -> None:
    """One ack per channel for the whole batch: the last delivery tag, with ``multiple``.

    Earlier deliveries of that channel are in this batch or already settled (one batch at
    a time). Deliveries of a channel lost meanwhile cannot be acked and come again.
    """
    last_of_channel: dict[int, AbstractIncomingMessage] = {}
    for delivery in batch:
        message = delivery.message
        latest = last_of_channel.get(id(message.channel))
        if latest is None or (message.delivery_tag or 0) > (latest.delivery_tag or 0):
            last_of_channel[id(message.channel)] = message
    for message in last_of_channel.values():
        await _settle(message.ack(multiple=True))
