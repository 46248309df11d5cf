"""One transaction: a state change, the message it consumed, the events it causes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
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
        self, session: AsyncSession, messaging: Messaging, cause: CloudEvent | None
    ) -> None:
        self.session = session
        self._messaging = messaging
        self._cause = cause
        self.emitted: list[CloudEvent] = []

    async def emit(self, data: IntegrationEvent, *, subject: str | None = None) -> CloudEvent:
        """Record an integration event; it is written to the outbox in this transaction and
        published after commit. It carries the correlation id of its cause (or of the HTTP
        request being handled) and the current span's trace context."""
        cause = self._cause
        event = CloudEvent.create(
            type=type(data).event_type(self._messaging.service),
            source=self._messaging.source,
            data=data.model_dump(mode="json"),
            subject=subject,
            correlationid=(cause.correlationid or cause.id) if cause else current_correlation_id(),
            causationid=cause.id if cause else None,
        )
        event = with_trace_context(event)
        await self._messaging.write_outbox(self.session, event)
        self.emitted.append(event)
        return event


class Messaging:
    """The inbox and outbox tables of one service's schema."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.source = f"/volunteering/{service}"
        metadata = sa.MetaData(schema=service)
        self.outbox = outbox_table(metadata)
        self.inbox = inbox_table(metadata)

    async def write_outbox(
        self, session: AsyncSession, event: CloudEvent, *, exchange: str | None = None
    ) -> None:
        """Write the event to the outbox, for the exchange its type goes to (a person's
        contact data to ``volunteering.contacts``) unless ``exchange`` names another."""
        connection = await session.connection()
        await connection.execute(
            self.outbox.insert().values(
                event_id=event.id,
                event_type=event.type,
                exchange=exchange or exchange_for(event.type),
                routing_key=event.type,
                body=event.to_structured(),
                correlation_id=event.correlationid,
            )
        )

    async def claim_inbox(self, session: AsyncSession, event: CloudEvent) -> bool:
        """Record the event as handled; False when it already was (a redelivery: do nothing)."""
        connection = await session.connection()
        result = await connection.execute(
            insert(self.inbox)
            .values(source=event.source, message_id=event.id, event_type=event.type)
            .on_conflict_do_nothing()
            .returning(self.inbox.c.message_id)
        )
        return result.first() is not None


@asynccontextmanager
async def unit_of_work(
    database: Database, messaging: Messaging, cause: CloudEvent | None = None
) -> AsyncIterator[UnitOfWork]:
    """Commit the handler's change and its events together, or neither."""
    async with database.transaction() as session:
        yield UnitOfWork(session, messaging, cause)
