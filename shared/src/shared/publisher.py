"""Publishing with publisher confirms and persistent delivery over a reconnecting connection."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractRobustChannel, AbstractRobustConnection


class BrokerPublisher:
    """A confirm-mode channel of its own: publishing never waits behind consumers."""

    def __init__(self, amqp_url: str, app_id: str) -> None:
        self._amqp_url = amqp_url
        self._app_id = app_id
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None
        self._exchanges: dict[str, AbstractExchange] = {}

    async def connect(self) -> None:
        self._connection = await aio_pika.connect_robust(
            self._amqp_url,
            client_properties={"connection_name": f"{self._app_id}-publisher"},
        )
        channel = await self._connection.channel(publisher_confirms=True)
        self._channel = channel

    @property
    def channel(self) -> AbstractRobustChannel:
        if self._channel is None:
            raise RuntimeError("the publisher is not connected")
        return self._channel

    @property
    def is_connected(self) -> bool:
        return (
            self._connection is not None
            and not self._connection.is_closed
            and self._channel is not None
            and not self._channel.is_closed
        )

    async def publish(
        self,
        *,
        exchange: str,
        routing_key: str,
        body: bytes,
        message_id: str,
        content_type: str,
        event_type: str | None = None,
        correlation_id: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> None:
        """Return once the broker has confirmed the message; raise if it did not."""
        message = aio_pika.Message(
            body,
            message_id=message_id,
            content_type=content_type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            correlation_id=correlation_id,
            type=event_type,
            app_id=self._app_id,
            timestamp=datetime.now(UTC),
            headers=dict(headers or {}),
        )
        target = await self._exchange(exchange)
        await target.publish(message, routing_key=routing_key)

    async def _exchange(self, name: str) -> AbstractExchange:
        if name == "":
            return self.channel.default_exchange
        if name not in self._exchanges:
            self._exchanges[name] = await self.channel.get_exchange(name, ensure=False)
        return self._exchanges[name]

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
        self._connection = None
        self._channel = None
        self._exchanges.clear()
