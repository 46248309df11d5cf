"""Publishing with publisher confirms and persistent delivery over a reconnecting connection.

Connections to a RabbitMQ cluster go through ``FailoverConnection``: aio-pika's robust
connection reconnects to the one URL it was given, so a connection lost with its node would
wait for that node to come back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, cast

import aio_pika
import aiormq
from aio_pika.abc import AbstractRobustChannel, AbstractRobustConnection
from aio_pika.exceptions import CONNECTION_EXCEPTIONS
from aio_pika.robust_connection import RobustConnection
from aiormq.channel import Channel as AmqpChannel
from yarl import URL


def broker_urls(amqp_url: str, addresses: Sequence[str] = ()) -> list[str]:
    """``amqp_url`` at each ``host:port`` of ``addresses`` (user, password, vhost and options
    stay): the nodes of one cluster. No addresses: ``amqp_url`` alone."""
    url = URL(amqp_url)
    urls = []
    for address in addresses:
        host, _, port = address.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"a broker address is host:port, not {address!r}")
        urls.append(str(url.with_host(host.strip("[]")).with_port(int(port))))
    return urls or [amqp_url]


# aio-pika's robust connection makes each (re)connection attempt here; a failover connection
# wraps it. A test fails if an aio-pika upgrade renames it.
_CONNECT_TRANSPORT = "_RobustConnection__connect_transport"
_robust_connect_transport = getattr(RobustConnection, _CONNECT_TRANSPORT)


class FailoverConnection(RobustConnection):
    """A robust connection to the nodes of one cluster: each attempt tries every address in
    turn, beginning with the one after the node it was connected to (a node that dropped
    its connections is likely stopping), so it reconnects to a node that survives."""

    addresses: ClassVar[tuple[str, ...]] = ()

    def __init__(self, url: URL, **kwargs: Any) -> None:
        super().__init__(url, **kwargs)
        self._address_index = -1

    async def _connect_to_next_node(self) -> None:
        addresses = self.addresses or (str(self.url),)
        failure: BaseException | None = None
        for _ in addresses:
            self._address_index = (self._address_index + 1) % len(addresses)
            # The URL's options (heartbeat, name...) are the ones this connection was made with.
            self.url = URL(addresses[self._address_index]).update_query(self.url.query)
            try:
                await _robust_connect_transport(self)
                return
            except CONNECTION_EXCEPTIONS as error:
                failure = error
        assert failure is not None
        raise failure

    @classmethod
    def to(cls, urls: Sequence[str]) -> type[FailoverConnection]:
        """The connection class for these URLs (aio-pika builds connections from a class)."""
        return type("FailoverConnection", (cls,), {"addresses": tuple(urls)})


setattr(FailoverConnection, _CONNECT_TRANSPORT, FailoverConnection._connect_to_next_node)


def connection_class(urls: Sequence[str]) -> type[RobustConnection]:
    """aio-pika's robust connection for one URL, a failover connection for several."""
    return FailoverConnection.to(urls) if len(urls) > 1 else RobustConnection


async def connect_robust(urls: Sequence[str], name: str) -> AbstractRobustConnection:
    """A robust connection to the first of ``urls`` that answers (and, when lost, to the
    next), shown under ``name`` in the broker's connection list."""
    return await aio_pika.connect_robust(
        urls[0],
        client_properties={"connection_name": name},
        connection_class=connection_class(urls),
    )


class Unroutable(Exception):
    """A ``mandatory`` message no queue was bound to: the broker returned it."""

    def __init__(self, exchange: str, routing_key: str) -> None:
        super().__init__(f"no queue is bound to {exchange!r} for {routing_key!r}")
        self.exchange = exchange
        self.routing_key = routing_key


class BrokerPublisher:
    """A confirm-mode channel of its own: publishing never waits behind consumers."""

    def __init__(self, amqp_url: str, app_id: str, *, addresses: Sequence[str] = ()) -> None:
        self._amqp_url = amqp_url
        self._urls = broker_urls(amqp_url, addresses)
        self._app_id = app_id
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None

    async def connect(self) -> None:
        self._connection = await connect_robust(self._urls, f"{self._app_id}-publisher")
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
