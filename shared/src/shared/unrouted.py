"""Unrouted messages: kept when no queue was bound, sent on once one is.

python -m shared.unrouted list
python -m shared.unrouted replay [--id <message-id> ...]

``city.inbound``, ``volunteering.events`` and ``volunteering.contacts`` each keep what they
could route nowhere in a queue of their own (``<exchange>.unrouted``): an event published
before its consumer's queue existed (a service deployed later, a new binding) is not lost.
``replay`` publishes the messages again to the exchange and routing key they were first
published with, so that the queues bound since then receive them; a message that still
finds no queue is kept. Listing, like the dead letters', takes each message and puts a copy
back, so looking never counts as a delivery.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import aio_pika
import aiormq
from aio_pika.abc import AbstractIncomingMessage

from shared.boundary import ORIGINAL_EXCHANGE_HEADER, ORIGINAL_ROUTING_KEY_HEADER
from shared.deadletters import _copy, _take_all, _text
from shared.settings import LOCAL_AMQP_URL
from shared.topology import UNROUTED, UNROUTED_QUEUES


@dataclass(frozen=True)
class UnroutedMessage:
    queue: str
    message_id: str
    exchange: str
    routing_key: str
    event_type: str


def intended_route(queue: str, message: AbstractIncomingMessage) -> tuple[str, str]:
    """Where the message was meant to go: the relay's headers, or for a message the
    broker's alternate exchange took, the exchange and key it was published with."""
    headers = message.headers or {}
    exchange = _text(headers.get(ORIGINAL_EXCHANGE_HEADER)) or message.exchange or ""
    routing_key = _text(headers.get(ORIGINAL_ROUTING_KEY_HEADER)) or message.routing_key or ""
    if exchange == queue:
        # Published to the unrouted exchange itself: the exchange it stands for.
        exchange = next((source for source, kept in UNROUTED.items() if kept == queue), "")
    return exchange, routing_key


def _kept_copy(queue: str, message: AbstractIncomingMessage) -> aio_pika.Message:
    """The message to put back into ``queue``: put back through the default exchange, it
    keeps where it was meant to go in headers."""
    exchange, routing_key = intended_route(queue, message)
    copy = _copy(message)
    copy.headers = {
        **(message.headers or {}),
        ORIGINAL_EXCHANGE_HEADER: exchange,
        ORIGINAL_ROUTING_KEY_HEADER: routing_key,
    }
    return copy


def describe(queue: str, message: AbstractIncomingMessage) -> UnroutedMessage:
    exchange, routing_key = intended_route(queue, message)
    return UnroutedMessage(
        queue=queue,
        message_id=message.message_id or "",
        exchange=exchange,
        routing_key=routing_key,
        event_type=message.type or routing_key,
    )


async def peek(amqp_url: str, queues: Sequence[str] = UNROUTED_QUEUES) -> list[UnroutedMessage]:
    """Every unrouted message; they all stay, without a delivery counted."""
    found: list[UnroutedMessage] = []
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        for queue in queues:
            taken = await _take_all(channel, queue)
            for message in taken:
                found.append(describe(queue, message))
                await channel.default_exchange.publish(
                    _kept_copy(queue, message), routing_key=queue
                )
            if taken:
                await taken[-1].ack(multiple=True)
    return found


async def replay(
    amqp_url: str,
    message_ids: Sequence[str] | None = None,
    queues: Sequence[str] = UNROUTED_QUEUES,
) -> list[UnroutedMessage]:
    """Publish the chosen unrouted messages (all when ``None``) again where they were meant
    to go; return those sent on. The others stay where they were."""
    delivered: list[UnroutedMessage] = []
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        for queue in queues:
            taken = await _take_all(channel, queue)
            for message in taken:
                chosen = message_ids is None or message.message_id in message_ids
                if chosen and await _send_on(channel, queue, message):
                    delivered.append(describe(queue, message))
                    continue
                await channel.default_exchange.publish(
                    _kept_copy(queue, message), routing_key=queue
                )
            if taken:
                await taken[-1].ack(multiple=True)
    return delivered


async def _send_on(
    channel: aio_pika.abc.AbstractChannel, queue: str, message: AbstractIncomingMessage
) -> bool:
    """Publish the message again, ``mandatory``, where it was meant to go; False when the
    broker returned it (no queue bound, no alternate exchange), and it is put back here.
    With the exchange's alternate exchange in place a message that still finds no queue is
    not returned: the alternate exchange puts it back into this queue itself."""
    exchange_name, routing_key = intended_route(queue, message)
    if not exchange_name or not routing_key:
        return False
    copy = _copy(message)
    copy.headers = {
        key: value
        for key, value in (message.headers or {}).items()
        if key not in (ORIGINAL_EXCHANGE_HEADER, ORIGINAL_ROUTING_KEY_HEADER)
    }
    exchange = await channel.get_exchange(exchange_name, ensure=False)
    confirmation = await exchange.publish(copy, routing_key=routing_key, mandatory=True)
    return not isinstance(confirmation, aiormq.abc.DeliveredMessage)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.unrouted",
        description="List the messages no queue took, and send them on once one is bound.",
    )
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument("--amqp-url", default=os.environ.get("AMQP_URL", LOCAL_AMQP_URL))
    parser.add_argument(
        "--id", action="append", dest="ids", default=None, help="message id to replay (repeatable)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    args = parser.parse_args(argv)
    if args.command == "list":
        messages = asyncio.run(peek(args.amqp_url))
        for message in messages:
            if args.json:
                print(json.dumps(message.__dict__, ensure_ascii=False))
            else:
                print(
                    f"{message.queue}\t{message.message_id}\t{message.exchange}\t"
                    f"{message.routing_key}"
                )
        print(f"{len(messages)} unrouted message(s)", file=sys.stderr)
        return 0
    delivered = asyncio.run(replay(args.amqp_url, args.ids))
    for message in delivered:
        print(f"sent {message.message_id} to {message.exchange} ({message.routing_key})")
    print(f"{len(delivered)} message(s) sent on", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
