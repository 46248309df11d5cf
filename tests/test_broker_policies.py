"""Broker policies on the real broker: bounded parked queues, at-least-once dead-lettering,
the alternate exchanges of the platform's own exchanges (``shared.brokerpolicy``)."""

from __future__ import annotations

import asyncio
from typing import Any

import aio_pika
import httpx
from prometheus_client import REGISTRY

from shared.brokerpolicy import DAY_MS, api_url, policies
from shared.testing.platform import TestPlatform, eventually
from shared.topology import (
    CONTACTS_EXCHANGE,
    EVENTS_EXCHANGE,
    SERVICES,
    UNROUTED,
    UNROUTED_QUEUES,
    ServiceTopology,
)
from tests.portal import REGISTERED


async def management(platform: TestPlatform, path: str) -> Any:
    assert platform.management_url is not None
    url, auth = api_url(platform.management_url, path)
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(url, auth=auth)
        response.raise_for_status()
        return response.json()


async def queue_info(platform: TestPlatform, queue: str) -> dict[str, Any]:
    """The queue as the management API shows it, once its statistics name its policy (they
    are collected every few seconds)."""

    async def with_policy() -> dict[str, Any]:
        info: dict[str, Any] = await management(platform, f"queues/{platform.vhost}/{queue}")
        return info if info.get("policy") else {}

    return await eventually(with_policy, message=f"{queue}'s policy shown")


async def exchange_info(platform: TestPlatform, exchange: str) -> dict[str, Any]:
    async def with_policy() -> dict[str, Any]:
        info: dict[str, Any] = await management(platform, f"exchanges/{platform.vhost}/{exchange}")
        return info if info.get("policy") else {}

    return await eventually(with_policy, message=f"{exchange}'s policy shown")


async def test_a_service_applies_the_policies_where_it_declares_its_topology(
    platform: TestPlatform,
) -> None:
    async with platform.running(
        "matching", "reporting", broker_management_url=platform.management_url
    ):
        for service in ("matching", "reporting"):
            queue = await queue_info(platform, ServiceTopology(service).queue)
            assert queue["policy"] == "volunteering-services"
            effective = queue["effective_policy_definition"]
            assert effective["dead-letter-strategy"] == "at-least-once"
            assert effective["overflow"] == "reject-publish"  # at-least-once needs it
            # The queue keeps the arguments it was declared with: nothing to redeclare.
            assert queue["arguments"] == ServiceTopology(service).queue_arguments()
        for parked in (ServiceTopology("matching").dead_letter_queue, *UNROUTED_QUEUES):
            queue = await queue_info(platform, parked)
            assert queue["policy"] == "volunteering-parked", parked
            effective = queue["effective_policy_definition"]
            assert effective["message-ttl"] == 14 * DAY_MS
            assert effective["max-length"] == 100_000
            assert effective["overflow"] == "reject-publish"
        for exchange in (EVENTS_EXCHANGE, CONTACTS_EXCHANGE):
            info = await exchange_info(platform, exchange)
            assert info["policy"] == f"{exchange.replace('.', '-')}-unrouted"
    applied = await management(platform, f"policies/{platform.vhost}")
    assert {policy["name"] for policy in applied} == set(policies())


def refused() -> float:
    """How often matching's dead-lettering was refused by the broker (in this process)."""
    labels = {"service": "matching", "outcome": "dead_letter_failed"}
    return REGISTRY.get_sample_value("consumer_messages_total", labels) or 0.0


async def parked_in_matching(platform: TestPlatform) -> int:
    """Ready messages, from the broker itself (the management API's counts lag)."""
    connection = await aio_pika.connect(platform.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue("matching.dead-letters", passive=True)
        count = queue.declaration_result.message_count
        return int(count or 0)


async def test_a_full_parked_queue_refuses_more_and_loses_none(platform: TestPlatform) -> None:
    async with platform.running(
        "matching", broker_management_url=platform.management_url, parked_max_messages="3"
    ):
        for n in range(5):
            await platform.publish(b"\x80not json", routing_key=REGISTERED, message_id=f"bad-{n}")

        async def refusing() -> bool:
            return refused() > refused_before

        refused_before = refused()
        await eventually(refusing, message="the parked queue refuses more")
        # A quorum queue checks its length after an enqueue: it may hold one over its limit.
        full = await parked_in_matching(platform)
        assert 3 <= full <= 4
        await asyncio.sleep(3)
        assert await parked_in_matching(platform) == full
        # The refused ones spend matching's delivery limit, then the broker dead-letters
        # them at-least-once: it holds them in matching's queue until the parked queue has
        # room (it retries every few minutes), never drops them.

        async def all_five_kept() -> bool:
            info = await management(platform, f"queues/{platform.vhost}/matching")
            held = int(info.get("messages_dlx", 0))
            return held >= 1 and held + await parked_in_matching(platform) == 5

        await eventually(all_five_kept, timeout=60, message="the refused ones held by the broker")


async def test_a_parked_message_is_kept_at_most_its_retention(platform: TestPlatform) -> None:
    async with platform.running(
        "matching",
        broker_management_url=platform.management_url,
        parked_retention_days=str(3 / 86400),  # three seconds
    ):
        await platform.publish(b"\x80not json", routing_key=REGISTERED, message_id="bad-ttl")

        async def parked() -> bool:
            return len(await platform.dead_letters("matching")) == 1

        await eventually(parked)

        async def expired() -> bool:
            return await parked_in_matching(platform) == 0

        await eventually(expired, timeout=30, message="the parked message expired")


def test_every_service_queue_and_parked_queue_has_its_policy() -> None:
    import re

    found = policies()
    for service in SERVICES:
        topology = ServiceTopology(service)
        assert re.search(found["volunteering-services"]["pattern"], topology.queue)
        assert re.search(found["volunteering-parked"]["pattern"], topology.dead_letter_queue)
        assert not re.search(found["volunteering-services"]["pattern"], topology.dead_letter_queue)
    for queue in UNROUTED.values():
        assert re.search(found["volunteering-parked"]["pattern"], queue)
