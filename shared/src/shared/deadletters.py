"""Dead letters: bad input parked with its reason, listed and replayed by an operator.

python -m shared.deadletters list --service matching
python -m shared.deadletters replay --service matching --id <message-id> [--id ...]
python -m shared.deadletters replay --service matching --all
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from shared.settings import LOCAL_AMQP_URL
from shared.topology import ServiceTopology

REASON_HEADER = "x-dead-letter-reason"
DETAIL_HEADER = "x-dead-letter-detail"
SERVICE_HEADER = "x-dead-letter-service"
FAILED_AT_HEADER = "x-dead-letter-at"
ORIGINAL_EXCHANGE_HEADER = "x-original-exchange"
ORIGINAL_ROUTING_KEY_HEADER = "x-original-routing-key"
_OUR_HEADERS = (
    REASON_HEADER,
    DETAIL_HEADER,
    SERVICE_HEADER,
    FAILED_AT_HEADER,
    ORIGINAL_EXCHANGE_HEADER,
    ORIGINAL_ROUTING_KEY_HEADER,
)


def dead_letter_headers(
    message: AbstractIncomingMessage, *, service: str, reason: str, detail: str
) -> dict[str, Any]:
    """The original headers plus why, where and when the message failed."""
    headers = dict(message.headers or {})
    headers.update(
        {
            REASON_HEADER: reason,
            DETAIL_HEADER: detail[:4000],
            SERVICE_HEADER: service,
            FAILED_AT_HEADER: datetime.now(UTC).isoformat(),
            ORIGINAL_EXCHANGE_HEADER: message.exchange or "",
            ORIGINAL_ROUTING_KEY_HEADER: message.routing_key or "",
        }
    )
    return headers


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    reason: str
    detail: str
    failed_at: str
    original_exchange: str
    original_routing_key: str
    body_preview: str

    @classmethod
    def from_message(cls, message: AbstractIncomingMessage) -> DeadLetter:
        headers = message.headers or {}
        reason = _text(headers.get(REASON_HEADER))
        if not reason:
            reason = _broker_reason(headers)
        return cls(
            message_id=message.message_id or "",
            reason=reason,
            detail=_text(headers.get(DETAIL_HEADER)),
            failed_at=_text(headers.get(FAILED_AT_HEADER)),
            original_exchange=_text(headers.get(ORIGINAL_EXCHANGE_HEADER)),
            original_routing_key=_text(headers.get(ORIGINAL_ROUTING_KEY_HEADER))
            or (message.routing_key or ""),
            body_preview=message.body[:200].decode("utf-8", errors="replace"),
        )


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else str(value)


def _broker_reason(headers: Mapping[str, Any]) -> str:
    """Messages the broker dead-lettered itself (over the delivery limit) carry x-death."""
    deaths = headers.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], Mapping):
        return f"broker:{_text(deaths[0].get('reason'))}"
    return "unknown"


class DeadLetterQueue:
    """An operator's view of one service's dead-letter queue."""

    def __init__(self, amqp_url: str, topology: ServiceTopology) -> None:
        self._amqp_url = amqp_url
        self._topology = topology

    async def peek(self) -> list[DeadLetter]:
        """Every parked message; they all stay in the queue."""
        connection = await aio_pika.connect(self._amqp_url)
        async with connection:
            channel = await connection.channel()
            messages = await self._take_all(channel)
            # Closing the channel without acks returns every message to the queue.
            return [DeadLetter.from_message(message) for message in messages]

    async def replay(self, message_ids: Sequence[str] | None) -> list[str]:
        """Send the chosen messages (all when ``None``) back to the service's own queue."""
        connection = await aio_pika.connect(self._amqp_url)
        replayed: list[str] = []
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            for message in await self._take_all(channel):
                if message_ids is not None and message.message_id not in message_ids:
                    continue
                headers = {
                    key: value
                    for key, value in (message.headers or {}).items()
                    if key not in _OUR_HEADERS and key != "x-death"
                }
                await channel.default_exchange.publish(
                    aio_pika.Message(
                        message.body,
                        headers=headers,
                        content_type=message.content_type,
                        message_id=message.message_id,
                        correlation_id=message.correlation_id,
                        type=message.type,
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    routing_key=self._topology.queue,
                )
                await message.ack()
                replayed.append(message.message_id or "")
        return replayed

    async def _take_all(
        self, channel: aio_pika.abc.AbstractChannel
    ) -> list[AbstractIncomingMessage]:
        queue = await channel.get_queue(self._topology.dead_letter_queue, ensure=True)
        messages: list[AbstractIncomingMessage] = []
        while (message := await queue.get(no_ack=False, fail=False)) is not None:
            messages.append(message)
        return messages


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.deadletters",
        description="List and replay a service's dead letters.",
    )
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument(
        "--service", required=True, choices=["registry", "matching", "notifications", "reporting"]
    )
    parser.add_argument("--amqp-url", default=os.environ.get("AMQP_URL", LOCAL_AMQP_URL))
    parser.add_argument(
        "--id", action="append", dest="ids", default=None, help="message id to replay (repeatable)"
    )
    parser.add_argument("--all", action="store_true", help="replay every dead letter")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    args = parser.parse_args(argv)
    topology = ServiceTopology(service=args.service)
    queue = DeadLetterQueue(args.amqp_url, topology)
    if args.command == "list":
        letters = asyncio.run(queue.peek())
        for letter in letters:
            if args.json:
                print(json.dumps(letter.__dict__, ensure_ascii=False))
            else:
                print(
                    f"{letter.message_id}\t{letter.reason}\t{letter.original_routing_key}\t"
                    f"{letter.failed_at}\t{letter.detail}"
                )
        if not args.json:
            print(f"{len(letters)} dead letter(s) in {topology.dead_letter_queue}", file=sys.stderr)
        return 0
    if not args.all and not args.ids:
        parser.error("replay needs --id MESSAGE_ID (repeatable) or --all")
    replayed = asyncio.run(queue.replay(None if args.all else args.ids))
    for message_id in replayed:
        print(f"replayed {message_id}")
    print(f"{len(replayed)} message(s) replayed to queue {args.service}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
