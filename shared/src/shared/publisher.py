"""Publishing with publisher confirms and persistent delivery over a reconnecting connection."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

import aio_pika
import aiormq
from aio_pika.abc import AbstractRobustChannel, AbstractRobustConnection
from aiormq.channel import Channel as AmqpChannel


class Unroutable(Exception):
    """A ``mandatory`` message no queue was bound to: the broker returned it."""

    def __init__(self, exchange: str, routing_key: str) -> None:
        super().__init__(f"no queue is bound to {exchange!r} for {routing_key!r}")
        self.exchange = exchange
        self.routing_key = routing_key


class BrokerPublisher:
    """A confirm-mode channel of its own: publishing never waits behind consumers."""

    def __init__(self, amqp_url: str, app_id: str) -> None:
        self._amqp_url = amqp_url
        self._app_id = app_id
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None

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
        mandatory: bool = False,
    ) -> None:
        """Return once the broker has confirmed the message; raise if it did not, and with
        ``mandatory``, raise ``Unroutable`` when the broker returned it (no queue bound and
        no alternate exchange)."""
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
        # Straight to the AMQP channel with wait=False: aio-pika would hold the channel's lock
        # until each frame is written, so a batch would queue behind a busy event loop one
        # message at a time. The broker's confirmation is still awaited for every message.
        channel = cast(AmqpChannel, await self.channel.get_underlay_channel())
        confirmation = await channel.basic_publish(
            message.body,
            exchange=exchange,
            routing_key=routing_key,
            properties=message.properties,
            mandatory=mandatory,
            wait=False,
        )
        if isinstance(confirmation, aiormq.abc.DeliveredMessage):
            # aiormq hands back the returned message instead of the broker's ack.
            raise Unroutable(exchange, routing_key)
        if not isinstance(confirmation, aiormq.spec.Basic.Ack):
            raise ConnectionError(
                f"the broker did not confirm message {message_id}: {confirmation}"
            )

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
        self._connection = None
        self._channel = None
