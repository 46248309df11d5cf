"""The dead-letter tool: choose parked messages by reason, event type and id; browse them
without counting a delivery; discard the chosen ones, leaving the others parked."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import aio_pika
import pytest

from shared.boundary import ORIGINAL_EXCHANGE_HEADER, ORIGINAL_ROUTING_KEY_HEADER
from shared.deadletters import REASON_HEADER, main
from shared.testing.platform import TestPlatform, eventually
from shared.topology import INBOUND_EXCHANGE
from tests.portal import REGISTERED, registered

UPDATED = "pl.waw.portal.volunteer.updated.v1"


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Tool:
    """``python -m shared.deadletters ... --service matching``, run in this process (in a
    thread: it runs its own event loop), with what it printed."""

    platform: TestPlatform
    capsys: pytest.CaptureFixture[str]

    async def __call__(self, command: str, *args: str) -> Done:
        self.capsys.readouterr()
        argv = [command, "--service", "matching", *args, "--amqp-url", self.platform.amqp_url]
        try:
            code = await asyncio.to_thread(main, argv)
        except SystemExit as exit:
            code = int(exit.code or 0)
        out, err = self.capsys.readouterr()
        return Done(code, out, err)

    async def listed(self, *filters: str) -> dict[str, dict[str, Any]]:
        done = await self("list", "--json", *filters)
        letters = (json.loads(line) for line in done.stdout.splitlines())
        return {letter["message_id"]: letter for letter in letters}

    async def ids(self, *filters: str) -> set[str]:
        return set(await self.listed(*filters))


async def park(platform: TestPlatform) -> None:
    """Four parked messages, as the consumer and the broker park them."""
    valid, other_type = registered("dl-valid"), {**registered("dl-other"), "type": UPDATED}
    parked: list[tuple[str, bytes, dict[str, Any]]] = [
        ("valid", json.dumps(valid).encode(), {REASON_HEADER: "invalid-data"}),
        ("broken", b"{broken", {REASON_HEADER: "not-json"}),
        ("other-type", json.dumps(other_type).encode(), {REASON_HEADER: "invalid-data"}),
        # Over the delivery limit: the broker's own reason, in x-death only.
        (
            "limit",
            json.dumps(registered("dl-limit")).encode(),
            {"x-death": [{"reason": "delivery_limit", "exchange": INBOUND_EXCHANGE}]},
        ),
    ]
    connection = await aio_pika.connect(platform.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("volunteering.dead-letters")
        for message_id, body, headers in parked:
            await exchange.publish(
                aio_pika.Message(
                    body,
                    message_id=message_id,
                    content_type="application/cloudevents+json",
                    headers={
                        ORIGINAL_EXCHANGE_HEADER: INBOUND_EXCHANGE,
                        ORIGINAL_ROUTING_KEY_HEADER: REGISTERED,
                        **headers,
                    },
                ),
                routing_key="matching",
            )


async def delivery_counts(platform: TestPlatform) -> list[tuple[bool, int]]:
    """Each parked message's redelivered flag and delivery count, as a consumer would see
    them (taking them spends a delivery: only at the end of a test)."""
    seen = []
    connection = await aio_pika.connect(platform.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue("matching.dead-letters")
        taken = []
        while (message := await queue.get(no_ack=False, fail=False)) is not None:
            taken.append(message)
            count = (message.headers or {}).get("x-delivery-count")
            seen.append((bool(message.redelivered), count if isinstance(count, int) else 0))
    return seen


async def test_operator_chooses_dead_letters_by_reason_type_and_id_and_discards_some(
    platform: TestPlatform, capsys: pytest.CaptureFixture[str]
) -> None:
    tool = Tool(platform, capsys)
    async with platform.running("matching"):
        await park(platform)

        async def all_parked() -> bool:
            return len(await platform.dead_letters("matching")) == 4

        await eventually(all_parked)

        everything = await tool.listed()
        assert {m: letter["event_type"] for m, letter in everything.items()} == {
            "valid": REGISTERED,
            "broken": REGISTERED,  # not JSON: the key it first came with
            "other-type": UPDATED,
            "limit": REGISTERED,
        }
        assert await tool.ids("--reason", "invalid-data") == {"valid", "other-type"}
        assert await tool.ids("--type", UPDATED) == {"other-type"}
        assert await tool.ids("--reason", "invalid-data", "--type", REGISTERED) == {"valid"}
        either = ("--reason", "not-json", "--reason", "broker:delivery_limit")
        assert await tool.ids(*either) == {"broken", "limit"}
        assert (await tool.listed("--id", "limit"))["limit"]["reason"] == "broker:delivery_limit"
        assert await tool.ids("--reason", "nothing-like-it") == set()

        # Changing the queue needs a choice.
        refused = await tool("discard")
        assert refused.returncode == 2 and "--all" in refused.stderr
        assert len(await tool.ids()) == 4

        # Both filters must match: that id has another reason, so nothing goes.
        assert (await tool("discard", "--reason", "not-json", "--id", "limit")).stdout == ""
        discarded = await tool("discard", "--reason", "not-json", "--json")
        assert [json.loads(line)["message_id"] for line in discarded.stdout.splitlines()] == [
            "broken"
        ]
        assert "1 message(s) discarded" in discarded.stderr
        assert await tool.ids() == {"valid", "other-type", "limit"}
        # What stays parked keeps its reason, the broker's included.
        assert (await tool.listed("--id", "limit"))["limit"]["reason"] == "broker:delivery_limit"
        # Browsed and swept around many times, no delivery was spent: each message looks to
        # a consumer as if it had never been delivered.
        assert await delivery_counts(platform) == [(False, 0)] * 3
