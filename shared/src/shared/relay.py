"""The outbox relay: publishes committed events, shared safely between replicas.

One replica's relay at a time publishes a schema's outbox (a session advisory lock, taken
per batch: another replica's relay takes over when this one's connection goes). A batch's
attempt is recorded before it is published (the claim commits ``attempts + 1``), so a row
sent twice shows as two attempts; it is published with confirms (waited for a bounded
time) and the rows whose confirms came are marked published, also when others' did not.
A crash after the publish and before the mark republishes the same event id, which
consumers' inboxes drop.

Events are published ``mandatory``: one that no queue is bound to (and that no alternate
exchange took) comes back, and the relay puts it in its exchange's unrouted queue
(``shared.topology.UNROUTED``) with the exchange and routing key it was meant for. Only
once the broker has confirmed it there is the row marked; it is counted as unrouted, never
as published, and ``python -m shared.unrouted replay`` delivers it once a queue is bound.

``completed_cycle_at`` is when a claim last came back settled (published, or nothing to
claim, or another replica's turn): the replica's liveness reads it, with the task's own end,
to tell a relay that died or hangs from one that waits for its broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Set as AbstractSet
from typing import Any

import asyncpg

from shared.boundary import ORIGINAL_EXCHANGE_HEADER, ORIGINAL_ROUTING_KEY_HEADER
from shared.cancellation import cancelled_from_outside
from shared.cloudevents import STRUCTURED_CONTENT_TYPE
from shared.logging import get_logger
from shared.messaging_tables import outbox_channel
from shared.metrics import OUTBOX_PUBLISH_FAILURES, OUTBOX_PUBLISHED, OUTBOX_UNROUTED
from shared.publisher import BrokerPublisher, Unroutable
from shared.topology import UNROUTED, unrouted

log = get_logger(__name__)

_HOUSEKEEPING_EVERY_S = 600.0


class OutboxRelay:
    def __init__(
        self,
        *,
        dsn: str,
        schema: str,
        publisher: BrokerPublisher,
        batch_size: int = 200,
        poll_interval_s: float = 2.0,
        retention_hours: int = 72,
        inbox_retention_days: int = 30,
        confirm_timeout_s: float = 20.0,
    ) -> None:
        self._dsn = dsn
        self._schema = schema
        self._publisher = publisher
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._retention_hours = retention_hours
        self._inbox_retention_days = inbox_retention_days
        self._confirm_timeout_s = confirm_timeout_s
        self._wakeup = asyncio.Event()
        self.completed_cycle_at = time.monotonic()
        self._lock_sql = "SELECT pg_try_advisory_lock(hashtextextended($1, 0))"
        self._unlock_sql = "SELECT pg_advisory_unlock(hashtextextended($1, 0))"
        self._lock_name = f"outbox-relay:{schema}"
        self._claim_sql = (
            f'UPDATE "{schema}".outbox SET attempts = attempts + 1 WHERE seq IN ('
            f'SELECT seq FROM "{schema}".outbox WHERE published_at IS NULL '
            f"ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED) "
            f"RETURNING seq, event_id, event_type, exchange, routing_key, body, correlation_id"
        )
        self._mark_published_sql = (
            f'UPDATE "{schema}".outbox SET published_at = now() WHERE seq = ANY($1::bigint[])'
        )
        self._mark_failed_sql = (
            f'UPDATE "{schema}".outbox SET last_error = $2 WHERE seq = ANY($1::bigint[])'
        )

    async def run(self) -> None:
        """Relay until cancelled; reconnect with back-off when Postgres or RabbitMQ fail."""
        delay = 0.5
        self.completed_cycle_at = time.monotonic()
        while True:
            try:
                await self._run_connected()
            except asyncio.CancelledError:
                if cancelled_from_outside():
                    raise
                # Not ours: a library cancelled something of the relay's (a channel that
                # closed cancels its pending confirms). The relay goes on.
                error = ConnectionError("an operation of the relay was cancelled")
                log.warning("outbox relay interrupted", error=repr(error), retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            except Exception as error:
                log.warning("outbox relay interrupted", error=repr(error), retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    def wake(self, *_: Any) -> None:
        self._wakeup.set()

    async def _run_connected(self) -> None:
        # One connection both listens and claims: a replica's relay holds exactly one.
        connection = await asyncpg.connect(
            self._dsn, server_settings={"application_name": f"{self._schema}-relay"}
        )
        try:
            await connection.add_listener(outbox_channel(self._schema), self.wake)
            last_housekeeping = 0.0
            loop = asyncio.get_running_loop()
            while True:
                self._wakeup.clear()
                published = await self.publish_pending(connection)
                self.completed_cycle_at = time.monotonic()
                if published >= self._batch_size:
                    continue  # more may be waiting: no pause while there is a backlog
                if loop.time() - last_housekeeping > _HOUSEKEEPING_EVERY_S:
                    await self._housekeeping(connection)
                    last_housekeeping = loop.time()
                # Notifications that came while a batch was out are one wake-up: the next
                # claim takes everything pending.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self._poll_interval_s)
        finally:
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)

    async def publish_pending(self, database: asyncpg.Pool | asyncpg.Connection) -> int:
        """Publish one batch of pending events; return how many the broker confirmed."""
        if isinstance(database, asyncpg.Pool):
            async with database.acquire() as connection:
                return await self._publish_batch(connection)
        return await self._publish_batch(database)

    async def _publish_batch(self, connection: asyncpg.Connection) -> int:
        if not await connection.fetchval(self._lock_sql, self._lock_name):
            return 0  # another replica's relay is publishing this outbox now
        try:
            return await self._publish_claimed(connection)
        finally:
            with contextlib.suppress(Exception):  # a lost connection took the lock with it
                await connection.fetchval(self._unlock_sql, self._lock_name)

    async def _publish_claimed(self, connection: asyncpg.Connection) -> int:
        if not self._publisher.is_connected:
            raise ConnectionError("broker connection is down; pending events wait")
        rows = sorted(
            await connection.fetch(self._claim_sql, self._batch_size), key=lambda r: r["seq"]
        )
        if not rows:
            return 0
        # One channel keeps the publish order; confirms are awaited together, for a bounded
        # time: a confirm lost with its connection would otherwise hold the batch forever.
        # Rows whose confirms came are marked even when others' did not; those stay
        # pending and go out again.
        publishing = [asyncio.ensure_future(self._publish(row)) for row in rows]
        _, late = await asyncio.wait(publishing, timeout=self._confirm_timeout_s)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        confirmed: list[int] = []
        kept: list[int] = []
        failed: list[tuple[int, BaseException]] = []
        for row, task in zip(rows, publishing, strict=True):
            error = _failure(task, late)
            if error is not None:
                failed.append((row["seq"], error))
                continue
            confirmed.append(row["seq"])
            if task.result():
                kept.append(row["seq"])
        if confirmed:
            await connection.execute(self._mark_published_sql, confirmed)
        if failed:
            await connection.execute(
                self._mark_failed_sql, [seq for seq, _ in failed], repr(failed[0][1])[:1000]
            )
        OUTBOX_PUBLISHED.labels(self._schema).inc(len(confirmed) - len(kept))
        if kept:
            OUTBOX_UNROUTED.labels(self._schema).inc(len(kept))
        if failed:
            OUTBOX_PUBLISH_FAILURES.labels(self._schema).inc(len(failed))
            first = failed[0][1]
            if isinstance(first, TimeoutError):
                raise TimeoutError(f"{len(failed)} outbox events not confirmed in time")
            raise ConnectionError(f"{len(failed)} outbox events not confirmed: {first!r}")
        return len(confirmed)

    async def _publish(self, row: asyncpg.Record) -> bool:
        """Publish one row; True when no queue took it and it was kept as unrouted."""
        exchange, routing_key = row["exchange"], row["routing_key"]
        message = {
            "body": bytes(row["body"]),
            "message_id": row["event_id"],
            "content_type": STRUCTURED_CONTENT_TYPE,
            "event_type": row["event_type"],
            "correlation_id": row["correlation_id"],
        }
        try:
            await self._publisher.publish(
                exchange=exchange, routing_key=routing_key, mandatory=True, **message
            )
            return False
        except Unroutable:
            pass
        log.warning(
            "event routed to no queue; kept as unrouted",
            event_id=row["event_id"],
            event_type=row["event_type"],
            exchange=exchange,
        )
        await self._publisher.publish(
            exchange=UNROUTED.get(exchange, unrouted(exchange)),
            routing_key=routing_key,
            headers={ORIGINAL_EXCHANGE_HEADER: exchange, ORIGINAL_ROUTING_KEY_HEADER: routing_key},
            mandatory=True,
            **message,
        )
        return True

    async def _housekeeping(self, pool: asyncpg.Connection) -> None:
        """Forget published events and old inbox records, so neither table grows forever."""
        await pool.execute(
            f'DELETE FROM "{self._schema}".outbox WHERE published_at < '
            f"now() - make_interval(hours => $1)",
            self._retention_hours,
        )
        await pool.execute(
            f'DELETE FROM "{self._schema}".inbox WHERE received_at < '
            f"now() - make_interval(days => $1)",
            self._inbox_retention_days,
        )


def _failure(
    task: asyncio.Task[bool], late: AbstractSet[asyncio.Task[bool]]
) -> BaseException | None:
    """Why a publish was not confirmed; None when it was. A publish whose confirm aiormq
    cancelled (its channel closed under it) failed like one whose connection went."""
    if task in late:
        return TimeoutError()
    if task.cancelled():
        return ConnectionError("the channel closed before the broker confirmed")
    return task.exception()
