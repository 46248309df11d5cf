"""One transaction: a state change, the messages it consumed, the events it causes.

A transaction may apply one consumed event or a batch of them; each event's handler gets a
``UnitOfWork`` of its own (its own cause) on the shared session. The inbox rows of a batch
are claimed in one statement, and the events the handlers emit are written to the outbox in
one statement just before the commit. Both are plain SQL for asyncpg, run on the session's
connection as they are: the ORM would build and compile a statement per row on the hot path
of every consumer. They go through the session's connection, not around it, because that is
where the transaction begins (lazily, at the first statement).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.cloudevents import CloudEvent
from shared.db import Database
from shared.events import IntegrationEvent
from shared.topology import EVENTS_EXCHANGE

InboxKey = tuple[str, str]  # (source, id): what CloudEvents call a unique event


class UnitOfWork:
    """What a handler works with: a session, plus ``emit`` for the events its change causes."""

    def __init__(self, transaction: MessagingTransaction, cause: CloudEvent | None = None) -> None:
        self.session: AsyncSession = transaction.session
        self._transaction = transaction
        self._messaging = transaction.messaging
        self._cause = cause
        self.emitted: list[CloudEvent] = []

    async def emit(self, data: IntegrationEvent, *, subject: str | None = None) -> CloudEvent:
        """Record an integration event; it is written to the outbox in this transaction and
        published after commit."""
        cause = self._cause
        event = CloudEvent.create(
            type=type(data).event_type(self._messaging.service),
            source=self._messaging.source,
            data=data.model_dump(mode="json"),
            subject=subject,
            correlationid=(cause.correlationid or cause.id) if cause else None,
            causationid=cause.id if cause else None,
        )
        self._transaction.add_to_outbox(event)
        self.emitted.append(event)
        return event


class Messaging:
    """The inbox and outbox tables of one service's schema."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.source = f"/volunteering/{service}"
        self._claim_inbox_sql = (
            f'INSERT INTO "{service}".inbox (source, message_id, event_type) '
            f"SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) "
            f"ON CONFLICT DO NOTHING RETURNING source, message_id"
        )
        # unnest keeps the order of the arrays, so seq (the relay's order) is emit order.
        self._write_outbox_sql = (
            f'INSERT INTO "{service}".outbox '
            f"(event_id, event_type, exchange, routing_key, body, correlation_id) "
            f"SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], "
            f"$5::bytea[], $6::text[])"
        )

    async def claim_inbox(
        self, connection: AsyncConnection, events: Sequence[CloudEvent]
    ) -> set[InboxKey]:
        """Record the events as handled; return those not handled before (the rest are
        redeliveries: do nothing for them)."""
        result = await connection.exec_driver_sql(
            self._claim_inbox_sql,
            (
                [event.source for event in events],
                [event.id for event in events],
                [event.type for event in events],
            ),
        )
        return {(row["source"], row["message_id"]) for row in result.mappings()}

    async def write_outbox(
        self, connection: AsyncConnection, events: Sequence[tuple[CloudEvent, str]]
    ) -> None:
        """Write ``(event, exchange)`` pairs to the outbox; the relay is woken by a trigger."""
        await connection.exec_driver_sql(
            self._write_outbox_sql,
            (
                [event.id for event, _ in events],
                [event.type for event, _ in events],
                [exchange for _, exchange in events],
                [event.type for event, _ in events],
                [event.to_structured() for event, _ in events],
                [event.correlationid for event, _ in events],
            ),
        )


class MessagingTransaction:
    """A session in one database transaction, with the inbox and the outbox of its service."""

    def __init__(self, session: AsyncSession, messaging: Messaging) -> None:
        self.session = session
        self.messaging = messaging
        self._outbox: list[tuple[CloudEvent, str]] = []

    def unit_of_work(self, cause: CloudEvent | None = None) -> UnitOfWork:
        return UnitOfWork(self, cause)

    def add_to_outbox(self, event: CloudEvent, *, exchange: str = EVENTS_EXCHANGE) -> None:
        self._outbox.append((event, exchange))

    async def claim_inbox(self, events: Sequence[CloudEvent]) -> set[InboxKey]:
        return await self.messaging.claim_inbox(await self.session.connection(), events)

    async def write_outbox(self) -> None:
        """Write what the handlers emitted; called once, right before the commit."""
        if self._outbox:
            await self.messaging.write_outbox(await self.session.connection(), self._outbox)
            self._outbox.clear()


@asynccontextmanager
async def messaging_transaction(
    database: Database, messaging: Messaging
) -> AsyncIterator[MessagingTransaction]:
    """Commit the handlers' changes, their inbox rows and their events together, or nothing."""
    async with database.transaction() as session:
        transaction = MessagingTransaction(session, messaging)
        yield transaction
        await session.flush()  # the handlers' last changes go first, then their events
        await transaction.write_outbox()


@asynccontextmanager
async def unit_of_work(
    database: Database, messaging: Messaging, cause: CloudEvent | None = None
) -> AsyncIterator[UnitOfWork]:
    """Commit the handler's change and its events together, or neither."""
    async with messaging_transaction(database, messaging) as transaction:
        yield transaction.unit_of_work(cause)
