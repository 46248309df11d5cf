"""The service's queue, consumed straight on aio-pika.

Every delivery costs only aio-pika's own handling on its way to ``EventConsumer.receive``:
the consumer parses the envelope (both binding modes), applies and settles each delivery
itself, so a framework's per-message machinery (middlewares, dependency injection, a context
per message) would be work with nothing to do. Measured on ``make bench-bus``, it was about
a fifth of reporting's CPU per event.

The connection is a consumer's own (publishing has its own, so that a broker blocking
publishers under a memory alarm never holds up acks) and robust, across the nodes of a
cluster (``shared.publisher.FailoverConnection``): after a broker restart or a failover the
channel comes back with its prefetch, the queue is looked up again and consuming resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence

from aio_pika.abc import AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection

from shared.publisher import connect_robust

OnDelivery = Callable[[AbstractIncomingMessage], Awaitable[None]]


class QueueSubscription:
    def __init__(
        self,
        urls: Sequence[str],
        *,
        app_id: str,
        queue: str,
        prefetch: int,
        on_delivery: OnDelivery,
    ) -> None:
        self._urls = list(urls)
        self._app_id = app_id
        self._queue_name = queue
        self._prefetch = prefetch
        self._on_delivery = on_delivery
        self._connection: AbstractRobustConnection | None = None
        self._queue: AbstractQueue | None = None
        self._consumer_tag: str | None = None

    async def start(self) -> None:
        self._connection = await connect_robust(self._urls, f"{self._app_id}-consumer")
        channel = await self._connection.channel(publisher_confirms=False)
        await channel.set_qos(prefetch_count=self._prefetch)
        # Passive: the queue is declared with its arguments by the service's topology. A
        # robust channel looks it up again, and consumes again, after every reconnection.
        self._queue = await channel.declare_queue(self._queue_name, passive=True)
        self._consumer_tag = await self._queue.consume(self._on_delivery, no_ack=False)

    async def stop(self) -> None:
        """No more deliveries; those not settled go back to the queue with the channel."""
        if self._queue is not None and self._consumer_tag is not None:
            with contextlib.suppress(Exception):  # the channel may be gone with the broker
                if not self._queue.channel.is_closed:
                    await self._queue.cancel(self._consumer_tag)
        self._queue = None
        self._consumer_tag = None
        if self._connection is not None:
            await self._connection.close()
        self._connection = None

    async def connected(self, timeout: float) -> bool:
        """Whether the connection is up, waiting up to ``timeout`` while it reconnects."""
        deadline = time.monotonic() + timeout
        while True:
            if self._connection is not None and self._connection.connected.is_set():
                return True
            if self._connection is None or time.monotonic() >= deadline:
                return False
            await asyncio.sleep(min(0.2, timeout / 10))
