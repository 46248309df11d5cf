"""The outbox relay: publishes committed events, shared safely between replicas.

Each replica claims pending rows with ``FOR UPDATE SKIP LOCKED``, publishes them with
confirms (waited for a bounded time) and marks them published in the same transaction. A
crash after the publish and before the commit republishes the same event id, which
consumers' inboxes drop.

Events are published ``mandatory``: one that no queue is bound to (and that no alternate
exchange took) comes back, and the relay puts it in its exchange's unrouted queue
(``shared.topology.UNROUTED``) with the exchange and routing key it was meant for. Only
once the broker has confirmed it there is the row marked; it is counted as unrouted, never
as published, and ``python -m shared.unrouted replay`` delivers it once a queue is bound.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg

from shared.boundary import ORIGINAL_EXCHANGE_HEADER, ORIGINAL_ROUTING_KEY_HEADER
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
        self._claim_sql = (
            f"SELECT seq, event_id, event_type, exchange, routing_key, body, correlation_id "
            f'FROM "{schema}".outbox WHERE published_at IS NULL '
            f"ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED"
        )
        self._mark_published_sql = (
            f'UPDATE "{schema}".outbox SET published_at = now(), attempts = attempts + 1 '
            f"WHERE seq = ANY($1::bigint[])"
        )
        self._mark_failed_sql = (
            f'UPDATE "{schema}".outbox SET attempts = attempts + 1, last_error = $2 '
            f"WHERE seq = ANY($1::bigint[])"
        )

    async def run(self) -> None:
        """Relay until cancelled; reconnect with back-off when Postgres or RabbitMQ fail."""
        delay = 0.5
        while True:
            try:
                await self._run_connected()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("outbox relay interrupted", error=repr(error), retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    def wake(self, *_: Any) -> None:
        self._wakeup.set()

    async def _run_connected(self) -> None:
        listener = await asyncpg.connect(self._dsn)
        pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=1)
        try:
            await listener.add_listener(outbox_channel(self._schema), self.wake)
            last_housekeeping = 0.0
            loop = asyncio.get_running_loop()
            while True:
                self._wakeup.clear()
                published = await self.publish_pending(pool)
                if published >= self._batch_size:
                    continue  # more may be waiting: no pause while there is a backlog
                if loop.time() - last_housekeeping > _HOUSEKEEPING_EVERY_S:
                    await self._housekeeping(pool)
                    last_housekeeping = loop.time()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self._poll_interval_s)
        finally:
            with contextlib.suppress(Exception):
                await listener.close(timeout=2)
            with contextlib.suppress(Exception):
                await pool.close()

    async def publish_pending(self, pool: asyncpg.Pool) -> int:
        """Publish one batch of pending events; return how many the broker confirmed."""
        async with pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(self._claim_sql, self._batch_size)
            if not rows:
                return 0
            if not self._publisher.is_connected:
                raise ConnectionError("broker connection is down; pending events wait")
            # One channel keeps the publish order; confirms are awaited together, for a
            # bounded time: a confirm lost with its connection would otherwise hold the
            # claimed rows forever. Unconfirmed rows stay pending and go out again.
            async with asyncio.timeout(self._confirm_timeout_s):
                outcomes = await asyncio.gather(
                    *(self._publish(row) for row in rows), return_exceptions=True
                )
            confirmed = [
                row["seq"]
                for row, outcome in zip(rows, outcomes, strict=True)
                if not isinstance(outcome, BaseException)
            ]
            kept = [row["seq"] for row, outcome in zip(rows, outcomes, strict=True) if outcome]
            failed = [
                (row["seq"], outcome)
                for row, outcome in zip(rows, outcomes, strict=True)
                if isinstance(outcome, BaseException)
            ]
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
            raise ConnectionError(f"{len(failed)} outbox events not confirmed: {failed[0][1]!r}")
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

    async def _housekeeping(self, pool: asyncpg.Pool) -> None:
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
