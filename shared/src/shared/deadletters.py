"""Dead letters: bad input parked with its reason, listed, replayed or discarded by an operator.

python -m shared.deadletters list --service matching [--reason R] [--type T] [--id ID]
python -m shared.deadletters replay --service matching --id <message-id> [--id ...]
python -m shared.deadletters replay --service matching --reason invalid-data --type <type>
python -m shared.deadletters replay --service matching --all
python -m shared.deadletters discard --service matching --reason not-json

``--reason``, ``--type`` (the event's type) and ``--id`` choose messages; each may be
repeated (any of its values matches) and they combine (all must match). Listing takes every
message and puts a copy back (then acks the original), so browsing never counts as a
delivery: a quorum queue's delivery limit is not spent by an operator. Replaying and
discarding leave the messages not chosen parked the same way.
``purge`` drops the messages a predicate picks (an erasure uses it on every dead-letter
queue and on ``city.inbound.unrouted``). The reason's detail is redacted (``redact_detail``):
error types, field names and ids, never a value taken from the message.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from shared.boundary import ORIGINAL_EXCHANGE_HEADER, ORIGINAL_ROUTING_KEY_HEADER
from shared.settings import LOCAL_AMQP_URL
from shared.topology import SERVICES, UNROUTED_QUEUES, ServiceTopology

REASON_HEADER = "x-dead-letter-reason"
DETAIL_HEADER = "x-dead-letter-detail"
SERVICE_HEADER = "x-dead-letter-service"
FAILED_AT_HEADER = "x-dead-letter-at"
_OUR_HEADERS = (
    REASON_HEADER,
    DETAIL_HEADER,
    SERVICE_HEADER,
    FAILED_AT_HEADER,
    ORIGINAL_EXCHANGE_HEADER,
    ORIGINAL_ROUTING_KEY_HEADER,
)
REDACTED = "[…]"
# Shorter values (a weekday, "pl", true) say nothing about a person and are common words.
_MIN_REDACTED_LENGTH = 3


def _leaf_values(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _leaf_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaf_values(item)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, str | int | float):
        yield str(value)


def message_values(body: bytes | str | Any) -> list[str]:
    """Every scalar value of a JSON message's data, longest first: of a structured
    CloudEvent its ``data`` (the envelope's type, source and id are no one's data), of
    anything else the whole body."""
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return []
    if isinstance(body, Mapping) and "specversion" in body:
        body = body.get("data")
    values = {text for text in _leaf_values(body) if len(text) >= _MIN_REDACTED_LENGTH}
    return sorted(values, key=len, reverse=True)


def redact_detail(detail: str, body: bytes | str | Any) -> str:
    """``detail`` without any value found in ``body`` (nor its JSON-escaped form).

    What stays: the reason, field names, error types and the ids the detail names on its own.
    A body that is not JSON cannot be searched, so then only the first line is kept."""
    values = message_values(body)
    if not values and isinstance(body, bytes | str) and body:
        try:
            json.loads(body)
        except (ValueError, UnicodeDecodeError):
            detail = detail.splitlines()[0] if detail else detail
    for value in values:
        escaped = json.dumps(value)[1:-1]
        pattern = "|".join(re.escape(form) for form in {value, escaped})
        detail = re.sub(pattern, REDACTED, detail, flags=re.IGNORECASE)
    return detail


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


def event_type(message: AbstractIncomingMessage) -> str:
    """The CloudEvent's type: the AMQP ``type`` property, a binary event's ``cloudEvents:type``
    header, a structured event's ``type``, else the key it was first routed with."""
    headers = message.headers or {}
    for candidate in (message.type, headers.get("cloudEvents:type")):
        if candidate:
            return _text(candidate)
    try:
        body = json.loads(message.body)
    except (ValueError, UnicodeDecodeError):
        body = None
    if isinstance(body, Mapping) and isinstance(body.get("type"), str):
        return str(body["type"])
    return original_route(message)[1]


@dataclass(frozen=True)
class Selection:
    """Which parked messages an operator means: every value of a field is an alternative,
    the fields together must all match; no field given chooses every message."""

    ids: frozenset[str] = frozenset()
    reasons: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        ids: Iterable[str] | None = None,
        reasons: Iterable[str] | None = None,
        types: Iterable[str] | None = None,
    ) -> Selection:
        return cls(frozenset(ids or ()), frozenset(reasons or ()), frozenset(types or ()))

    @property
    def everything(self) -> bool:
        return not (self.ids or self.reasons or self.types)

    def __call__(self, message: AbstractIncomingMessage) -> bool:
        if self.ids and (message.message_id or "") not in self.ids:
            return False
        if self.reasons and DeadLetter.reason_of(message) not in self.reasons:
            return False
        return not self.types or event_type(message) in self.types


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    reason: str
    detail: str
    failed_at: str
    original_exchange: str
    original_routing_key: str
    body_preview: str
    event_type: str = ""

    @staticmethod
    def reason_of(message: AbstractIncomingMessage) -> str:
        headers = message.headers or {}
        return _text(headers.get(REASON_HEADER)) or _broker_reason(headers)

    @classmethod
    def from_message(cls, message: AbstractIncomingMessage) -> DeadLetter:
        headers = message.headers or {}
        return cls(
            message_id=message.message_id or "",
            reason=cls.reason_of(message),
            detail=_text(headers.get(DETAIL_HEADER)),
            failed_at=_text(headers.get(FAILED_AT_HEADER)),
            original_exchange=_text(headers.get(ORIGINAL_EXCHANGE_HEADER)),
            original_routing_key=_text(headers.get(ORIGINAL_ROUTING_KEY_HEADER))
            or (message.routing_key or ""),
            body_preview=message.body[:200].decode("utf-8", errors="replace"),
            event_type=event_type(message),
        )


def original_route(message: AbstractIncomingMessage) -> tuple[str, str]:
    """The exchange and routing key a parked message first arrived with: from our headers,
    or for a message the broker dead-lettered itself, from its x-death."""
    headers = message.headers or {}
    exchange = _text(headers.get(ORIGINAL_EXCHANGE_HEADER))
    routing_key = _text(headers.get(ORIGINAL_ROUTING_KEY_HEADER))
    deaths = headers.get("x-death")
    if not routing_key and isinstance(deaths, list) and deaths and isinstance(deaths[0], Mapping):
        exchange = _text(deaths[0].get("exchange"))
        keys = deaths[0].get("routing-keys")
        routing_key = _text(keys[0]) if isinstance(keys, list) and keys else ""
    return exchange, routing_key


def replay_headers(message: AbstractIncomingMessage) -> dict[str, Any]:
    """The headers of a replayed message: why it failed is dropped, where it first came from
    is kept, for the consumer's boundary check (``shared.boundary.arrival``)."""
    exchange, routing_key = original_route(message)
    headers = {
        key: value
        for key, value in (message.headers or {}).items()
        if key not in _OUR_HEADERS and key != "x-death"
    }
    headers[ORIGINAL_EXCHANGE_HEADER] = exchange
    headers[ORIGINAL_ROUTING_KEY_HEADER] = routing_key
    return headers


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

    async def peek(self, selection: Selection | None = None) -> list[DeadLetter]:
        """The parked messages ``selection`` chooses (all without one); every message stays
        in the queue, its delivery count unspent."""
        letters = await browse_messages(self._amqp_url, self._topology.dead_letter_queue)
        chosen = selection or Selection()
        return [DeadLetter.from_message(message) for message in letters if chosen(message)]

    async def replay(self, selection: Selection | Sequence[str] | None) -> list[str]:
        """Send the chosen messages (all when ``None``; a sequence is message ids) back to
        the service's own queue; the others stay parked, without a delivery counted."""
        if selection is None:
            selection = Selection()
        elif not isinstance(selection, Selection):
            selection = Selection.of(ids=selection)
        connection = await aio_pika.connect(self._amqp_url)
        replayed: list[str] = []
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            taken = await self._take_all(channel)
            for message in taken:
                if not selection(message):
                    await channel.default_exchange.publish(
                        _copy(message), routing_key=self._topology.dead_letter_queue
                    )
                    continue
                headers = replay_headers(message)
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
                replayed.append(message.message_id or "")
            if taken:
                await taken[-1].ack(multiple=True)
        return replayed

    async def discard(self, selection: Selection) -> list[DeadLetter]:
        """Drop the chosen messages for good (the others stay parked); what was dropped."""
        _, dropped = await _sweep(self._amqp_url, self._topology.dead_letter_queue, selection)
        return [DeadLetter.from_message(message) for message in dropped]

    async def _take_all(
        self, channel: aio_pika.abc.AbstractChannel
    ) -> list[AbstractIncomingMessage]:
        return await _take_all(channel, self._topology.dead_letter_queue)


async def _take_all(
    channel: aio_pika.abc.AbstractChannel, queue_name: str
) -> list[AbstractIncomingMessage]:
    queue = await channel.get_queue(queue_name, ensure=True)
    messages: list[AbstractIncomingMessage] = []
    while (message := await queue.get(no_ack=False, fail=False)) is not None:
        messages.append(message)
    return messages


def _copy(message: AbstractIncomingMessage) -> aio_pika.Message:
    """The same message, to put back: a copy is a new message, so it starts undelivered.
    The broker's own reason (x-death) is kept in our header, as a broker may drop it."""
    headers = dict(message.headers or {})
    if not _text(headers.get(REASON_HEADER)) and "x-death" in headers:
        headers[REASON_HEADER] = _broker_reason(headers)
    return aio_pika.Message(
        message.body,
        headers=headers,
        content_type=message.content_type,
        content_encoding=message.content_encoding,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        type=message.type,
        timestamp=message.timestamp,
        app_id=message.app_id,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


async def _sweep(
    amqp_url: str, queue_name: str, drop: Callable[[AbstractIncomingMessage], bool]
) -> tuple[list[AbstractIncomingMessage], list[AbstractIncomingMessage]]:
    """Take every message of the queue; put a copy of each kept one back (confirmed by the
    broker) and only then ack the originals. Returns (kept, dropped).

    Should the process die between the two, a message is there twice, never lost."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        try:
            taken = await _take_all(channel, queue_name)
        except aio_pika.exceptions.ChannelNotFoundEntity:
            return [], []  # never declared (its service has not started yet): nothing parked
        kept = [message for message in taken if not drop(message)]
        dropped = [message for message in taken if drop(message)]
        for message in kept:
            await channel.default_exchange.publish(_copy(message), routing_key=queue_name)
        if taken:
            await taken[-1].ack(multiple=True)
        return kept, dropped


async def browse_messages(amqp_url: str, queue_name: str) -> list[AbstractIncomingMessage]:
    """The messages a queue of parked messages holds, leaving it as it was (no delivery)."""
    kept, _ = await _sweep(amqp_url, queue_name, lambda _: False)
    return kept


async def browse(amqp_url: str, queue_name: str) -> list[DeadLetter]:
    """What a queue of parked messages holds, leaving it as it was (without a delivery)."""
    return [DeadLetter.from_message(m) for m in await browse_messages(amqp_url, queue_name)]


def parked_queues() -> list[str]:
    """Every queue that keeps messages nobody will apply: each service's dead letters and
    the messages no queue was bound to (inbound, events and contacts)."""
    return [
        *(ServiceTopology(service).dead_letter_queue for service in SERVICES),
        *UNROUTED_QUEUES,
    ]


async def purge(
    amqp_url: str,
    predicate: Callable[[AbstractIncomingMessage], bool],
    queues: Iterable[str] | None = None,
) -> dict[str, int]:
    """Drop the messages ``predicate`` picks from the parked queues; how many per queue."""
    removed: dict[str, int] = {}
    for queue_name in parked_queues() if queues is None else queues:
        _, dropped = await _sweep(amqp_url, queue_name, predicate)
        removed[queue_name] = len(dropped)
    return removed


def value_digest(value: str) -> str:
    """A one-way digest of an id, e-mail address or phone number, as ``names_any`` compares."""
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()


def names_any(digests: Iterable[str]) -> Callable[[AbstractIncomingMessage], bool]:
    """A predicate for ``purge``: one of the message's data values (an id, an e-mail
    address, a phone number) has one of ``digests`` (see ``value_digest``). The person's
    values themselves need not be kept to find their messages."""
    wanted = frozenset(digests)

    def matches(message: AbstractIncomingMessage) -> bool:
        return any(value_digest(value) in wanted for value in message_values(message.body))

    return matches


def _print_letters(letters: Sequence[DeadLetter], as_json: bool) -> None:
    for letter in letters:
        if as_json:
            print(json.dumps(letter.__dict__, ensure_ascii=False))
        else:
            print(
                f"{letter.message_id}\t{letter.reason}\t{letter.event_type}\t"
                f"{letter.failed_at}\t{letter.detail}"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.deadletters",
        description="List, replay and discard a service's dead letters.",
    )
    parser.add_argument("command", choices=["list", "replay", "discard"])
    parser.add_argument(
        "--service", required=True, choices=["registry", "matching", "notifications", "reporting"]
    )
    parser.add_argument("--amqp-url", default=os.environ.get("AMQP_URL", LOCAL_AMQP_URL))
    parser.add_argument(
        "--id", action="append", dest="ids", default=None, help="a message id (repeatable)"
    )
    parser.add_argument(
        "--reason", action="append", dest="reasons", default=None, help="a reason (repeatable)"
    )
    parser.add_argument(
        "--type", action="append", dest="types", default=None, help="an event type (repeatable)"
    )
    parser.add_argument("--all", action="store_true", help="replay or discard every dead letter")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    args = parser.parse_args(argv)
    topology = ServiceTopology(service=args.service)
    queue = DeadLetterQueue(args.amqp_url, topology)
    selection = Selection.of(args.ids, args.reasons, args.types)
    if args.command == "list":
        letters = asyncio.run(queue.peek(selection))
        _print_letters(letters, args.json)
        if not args.json:
            print(f"{len(letters)} dead letter(s) in {topology.dead_letter_queue}", file=sys.stderr)
        return 0
    # Changing the queue needs a choice: filters, or --all said out loud (not both).
    if selection.everything != args.all:
        parser.error(f"{args.command} needs --id, --reason or --type, or else --all")
    if args.command == "discard":
        dropped = asyncio.run(queue.discard(selection))
        _print_letters(dropped, args.json)
        print(
            f"{len(dropped)} message(s) discarded from {topology.dead_letter_queue}",
            file=sys.stderr,
        )
        return 0
    replayed = asyncio.run(queue.replay(selection))
    for message_id in replayed:
        print(f"replayed {message_id}")
    print(f"{len(replayed)} message(s) replayed to queue {args.service}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
