"""One transaction: a state change, the message it consumed, the events it causes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import cast

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.cloudevents import CloudEvent
from shared.db import Database
from shared.events import IntegrationEvent, current_correlation_id
from shared.messaging_tables import inbox_table, outbox_table
from shared.observability.tracing import with_trace_context
from shared.topology import exchange_for


class UnitOfWork:
    """What a handler works with: a session, plus ``emit`` for the events its change causes."""

    def __init__(
        self,
        session: AsyncSession,
        messaging: Messaging,
        cause: CloudEvent | None,
        *,
        outbox: OutboxRows | None = None,
    ) -> None:
        self.session = session
        self._messaging = messaging
        self._cause = cause
        self._outbox = outbox
        self.emitted: list[CloudEvent] = []

    async def emit(self, data: IntegrationEvent, *, subject: str | None = None) -> CloudEvent:
        """Record an integration event; it is written to the outbox in this transaction and
        published after commit. It carries the correlation id of its cause (or of the HTTP
        request being handled) and the current span's trace context."""
        (event,) = await self.emit_all([data], subject=subject)
        return event

    async def emit_all(
        self, events: Sequence[IntegrationEvent], *, subject: str | None = None
    ) -> list[CloudEvent]:
        """``emit`` for several events about one subject: one outbox statement for all."""
        cause = self._cause
        correlation_id = (cause.correlationid or cause.id) if cause else current_correlation_id()
        emitted = [
            with_trace_context(
                CloudEvent.create(
                    type=type(data).event_type(self._messaging.service),
                    source=self._messaging.source,
                    data=data.model_dump(mode="json"),
                    subject=subject,
                    correlationid=correlation_id,
                    causationid=cause.id if cause else None,
                )
            )
            for data in events
        ]
        if self._outbox is not None:
            self._outbox.add(emitted)
        else:
            await self._messaging.write_outbox_many(self.session, emitted)
        self.emitted.extend(emitted)
        return emitted


class OutboxRows:
    """Events emitted by the units of work of one batch, written together by ``flush``.
    Each keeps the trace context of the delivery that caused it."""

    def __init__(self, messaging: Messaging) -> None:
        self._messaging = messaging
        self._events: list[CloudEvent] = []

    def add(self, events: Sequence[CloudEvent]) -> None:
        self._events.extend(events)

    async def flush(self, session: AsyncSession) -> None:
        events, self._events = self._events, []
        await self._messaging.write_outbox_many(session, events)


class Messaging:
    """The inbox and outbox tables of one service's schema. The consumer's statements are
    plain SQL with array parameters: the same text for one row or many, prepared once per
    connection by the driver instead of built and compiled per delivery."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.source = f"/volunteering/{service}"
        metadata = sa.MetaData(schema=service)
        self.outbox = outbox_table(metadata)
        self.inbox = inbox_table(metadata)
        self._insert_outbox = (
            f'INSERT INTO "{service}".outbox'
            " (event_id, event_type, exchange, routing_key, body, correlation_id)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],"
            " $5::bytea[], $6::text[])"
        )
        self._claim_inbox = (
            f'INSERT INTO "{service}".inbox AS i (source, message_id, event_type)'
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[])"
            " ON CONFLICT DO NOTHING RETURNING i.source, i.message_id"
        )

    async def write_outbox(
        self, session: AsyncSession, event: CloudEvent, *, exchange: str | None = None
    ) -> None:
        """Write the event to the outbox, for the exchange its type goes to (a person's
        contact data to ``volunteering.contacts``) unless ``exchange`` names another."""
        await self.write_outbox_many(session, [event], exchange=exchange)

    async def write_outbox_many(
        self, session: AsyncSession, events: Sequence[CloudEvent], *, exchange: str | None = None
    ) -> None:
        """``write_outbox`` for several events in one statement (one relay wake-up)."""
        if not events:
            return
        connection = await session.connection()
        await connection.exec_driver_sql(
            self._insert_outbox,
            (
                [event.id for event in events],
                [event.type for event in events],
                [exchange or exchange_for(event.type) for event in events],
                [event.type for event in events],
                [event.to_structured() for event in events],
                [event.correlationid for event in events],
            ),
        )

    async def claim_inbox(self, session: AsyncSession, event: CloudEvent) -> bool:
        """Record the event as handled; False when it already was (a redelivery: do nothing)."""
        return bool(await self.claim_inbox_many(session, [event]))

    async def claim_inbox_many(
        self, session: AsyncSession, events: Sequence[CloudEvent]
    ) -> set[tuple[str, str]]:
        """``claim_inbox`` for several events in one statement: the (source, id) of those
        not handled before. An event twice in ``events`` is claimed once."""
        connection = await session.connection()
        result = await connection.exec_driver_sql(
            self._claim_inbox,
            (
                [event.source for event in events],
                [event.id for event in events],
                [event.type for event in events],
            ),
        )
        rows = cast(list[tuple[str, str]], result.all())
        return {(source, message_id) for source, message_id in rows}


@asynccontextmanager
async def unit_of_work(
    database: Database, messaging: Messaging, cause: CloudEvent | None = None
) -> AsyncIterator[UnitOfWork]:
    """Commit the handler's change and its events together, or neither."""
    async with database.transaction() as session:
        yield UnitOfWork(session, messaging, cause)
