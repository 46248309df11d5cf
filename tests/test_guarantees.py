"""Delivery guarantees on the real broker and database.

1. A crash between commit and publish loses nothing.
2. The same message delivered twice has one effect.
3. Malformed input is dead-lettered with its reason; the consumer goes on.
4. A transient database outage is retried with back-off, then applied.
5. A broker restart in the middle of 2,000 events: none lost, none applied twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from datetime import date, timedelta
from typing import Any

import aio_pika
import pytest
import sqlalchemy as sa

from shared.testing.platform import TestPlatform, cloud_event, eventually
from shared.testing.proxy import CuttableProxy
from shared.topology import ServiceTopology
from tests.portal import REGISTERED, minor_data, registered, volunteer_data


async def registered_in_reporting(platform: TestPlatform) -> int:
    count = await platform.fetchval("SELECT registered FROM reporting.volunteer_totals")
    return int(count or 0)


async def wait_for_reporting_count(
    platform: TestPlatform, expected: int, timeout: float = 30
) -> None:
    async def reached() -> bool:
        return await registered_in_reporting(platform) >= expected

    try:
        await eventually(reached, timeout=timeout, message=f"reporting did not count {expected}")
    except AssertionError as error:
        raise AssertionError(f"{error}; {await where_events_stand(platform)}") from None
    # Nothing more may arrive: a second application would push the count past `expected`.
    await asyncio.sleep(1.0)
    assert await registered_in_reporting(platform) == expected


async def where_events_stand(platform: TestPlatform) -> str:
    """What a stalled pipeline holds at each step, for the failure message."""
    counts = {
        "matching volunteers": "SELECT count(*) FROM matching.volunteers",
        "matching outbox pending": (
            "SELECT count(*) FROM matching.outbox WHERE published_at IS NULL"
        ),
        "reporting registered": "SELECT registered FROM reporting.volunteer_totals",
    }
    found = [f"{name}: {await platform.fetchval(query)}" for name, query in counts.items()]
    connection = await aio_pika.connect(platform.amqp_url, timeout=5)
    async with connection:
        for service in ("matching", "reporting"):
            topology = ServiceTopology(service)
            for queue_name in (topology.queue, topology.dead_letter_queue):
                # A passive declaration of a missing queue closes its channel: one each.
                with contextlib.suppress(aio_pika.exceptions.AMQPError):
                    channel = await connection.channel()
                    queue = await channel.declare_queue(queue_name, passive=True)
                    found.append(f"{queue_name}: {queue.declaration_result.message_count} ready")
    return ", ".join(found)


# 1 ---------------------------------------------------------------------------------------


async def test_event_committed_before_a_crash_is_published_after_restart(
    platform: TestPlatform,
) -> None:
    async with platform.running("reporting"):
        # The relay is off, so the process commits state and outbox row but never publishes.
        matching = await platform.process("matching", relay_enabled="false")
        await platform.publish_event(registered("crash-1"))

        async def committed_not_published() -> bool:
            pending = await platform.fetchval(
                "SELECT count(*) FROM matching.outbox WHERE published_at IS NULL"
            )
            return bool(pending == 2)

        await eventually(committed_not_published)
        matching.kill()  # SIGKILL between commit and publish
        assert await registered_in_reporting(platform) == 0

        await platform.process("matching")
        await wait_for_reporting_count(platform, 1)
    assert (
        await platform.fetchval("SELECT count(*) FROM matching.outbox WHERE published_at IS NULL")
        == 0
    )


async def test_killing_the_producer_repeatedly_mid_stream_loses_and_duplicates_nothing(
    platform: TestPlatform,
) -> None:
    total = 300
    async with platform.running("reporting"):
        matching = await platform.process("matching")
        publishing = asyncio.create_task(
            publish_all(platform, [registered(f"kill-{n}") for n in range(total)])
        )
        for _ in range(3):
            await asyncio.sleep(random.uniform(0.3, 0.8))
            matching.kill()  # at whatever point it is: claimed, published, committed or not
            matching = await platform.process("matching")
        await publishing
        await wait_for_reporting_count(platform, total, timeout=60)
    assert await platform.fetchval("SELECT count(*) FROM reporting.volunteers") == total
    assert await platform.fetchval("SELECT count(*) FROM matching.volunteers") == total


# 2 ---------------------------------------------------------------------------------------


async def test_the_same_event_delivered_twice_takes_effect_once(platform: TestPlatform) -> None:
    event = registered("twice-1")
    async with platform.running("matching", "reporting"):
        await platform.publish_event(event)
        await platform.publish_event(event)
        await wait_for_reporting_count(platform, 1)
    assert await platform.fetchval("SELECT count(*) FROM matching.volunteers") == 1
    assert await platform.fetchval("SELECT count(*) FROM matching.inbox") == 1
    assert await platform.fetchval("SELECT count(*) FROM matching.outbox") == 2


async def test_an_integration_event_redelivered_to_reporting_is_counted_once(
    platform: TestPlatform,
) -> None:
    async with platform.running("matching", "reporting"):
        await platform.publish_event(registered("twice-2"))
        await wait_for_reporting_count(platform, 1)
        row = (
            await platform.fetch(
                "SELECT body, event_type FROM matching.outbox WHERE event_type LIKE '%registered%'"
            )
        )[0]
        # As if the relay crashed after publishing and before marking the row: sent again.
        await platform.publish(
            bytes(row["body"]), routing_key=row["event_type"], exchange="volunteering.events"
        )
        await wait_for_reporting_count(platform, 1)


async def test_the_same_person_registered_again_is_updated_not_duplicated(
    platform: TestPlatform,
) -> None:
    async with platform.running("matching", "reporting"):
        await platform.publish_event(registered("again-1"))
        await wait_for_reporting_count(platform, 1)
        await platform.publish_event(registered("again-1", last_name="Nowak"))

        async def updated() -> bool:
            name = await platform.fetchval("SELECT last_name FROM matching.volunteers")
            return bool(name == "Nowak")

        await eventually(updated)
        await wait_for_reporting_count(platform, 1)
    types = [
        r["event_type"]
        for r in await platform.fetch("SELECT event_type FROM matching.outbox ORDER BY seq")
    ]
    assert [t.rsplit(".", 3)[-3:] for t in types if "contact" not in t] == [
        ["volunteer", "registered", "v1"],
        ["volunteer", "updated", "v1"],
    ]


# 3 ---------------------------------------------------------------------------------------


def _minor_without_guardian() -> dict[str, Any]:
    data = minor_data("minor-1", date.today() - timedelta(days=15 * 365))
    del data["guardian"]
    return cloud_event(REGISTERED, data)


MALFORMED: dict[str, tuple[bytes | dict[str, Any], str, str]] = {
    "not JSON": (b"\x80not json at all", "not-json", "not valid UTF-8 JSON"),
    "not a CloudEvent": ({"hello": "world"}, "not-a-cloudevent", "specversion"),
    "unknown type": (
        cloud_event("pl.waw.portal.volunteer.promoted.v1", {"portal_id": "x"}),
        "unknown-type",
        "pl.waw.portal.volunteer.promoted.v1",
    ),
    "invalid fields": (
        cloud_event(
            REGISTERED, volunteer_data("bad-1", email="not-an-email", districts=["atlantyda"])
        ),
        "invalid-data",
        "districts",  # the field, never the value the portal sent
    ),
    "minor without guardian": (_minor_without_guardian(), "invalid-data", "guardian"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_malformed_input_is_dead_lettered_with_its_reason_and_the_next_message_applies(
    platform: TestPlatform, case: str
) -> None:
    body, reason, detail_fragment = MALFORMED[case]
    async with platform.running("matching", "reporting"):
        routing_key = body.get("type", REGISTERED) if isinstance(body, dict) else REGISTERED
        await platform.publish(body, routing_key=str(routing_key), message_id=f"bad-{case}")
        await platform.publish_event(registered("good-after-bad"))
        await wait_for_reporting_count(platform, 1)
        letters = await platform.dead_letters("matching")
    assert len(letters) == 1
    assert letters[0].reason == reason
    assert detail_fragment in letters[0].detail
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        # The reason names fields and error types; no value of the message is repeated.
        values = [str(v) for v in body["data"].values() if isinstance(v, str) and len(v) > 2]
        assert not any(value in letters[0].detail for value in values), letters[0].detail
    assert letters[0].message_id == f"bad-{case}"
    assert letters[0].original_routing_key == routing_key
    assert await platform.fetchval("SELECT count(*) FROM matching.volunteers") == 1


async def test_a_binary_mode_event_from_the_official_sdk_is_accepted(
    platform: TestPlatform,
) -> None:
    from cloudevents.core.bindings import rabbitmq
    from cloudevents.core.formats.json import JSONFormat
    from cloudevents.core.v1.event import CloudEvent as SdkEvent

    sdk_event = SdkEvent(
        attributes={
            "type": REGISTERED,
            "source": "/city/portal",
            "id": "sdk-1",
            "datacontenttype": "application/json",
        },
        data=volunteer_data("sdk-binary"),
    )
    message = rabbitmq.to_binary(sdk_event, JSONFormat())
    async with platform.running("matching", "reporting"):
        await platform.publish(
            message.body,
            routing_key=REGISTERED,
            content_type=message.content_type or "application/json",
            headers=message.headers,
            message_id="sdk-1",
        )
        await wait_for_reporting_count(platform, 1)
    assert await platform.fetchval("SELECT portal_id FROM matching.volunteers") == "sdk-binary"


# 4 ---------------------------------------------------------------------------------------


async def test_a_database_outage_of_a_few_seconds_is_retried_then_applied(
    platform: TestPlatform,
) -> None:
    target = sa.make_url(platform.admin_url)
    proxy = CuttableProxy(target.host or "127.0.0.1", target.port or 5432)
    await proxy.start()
    try:
        async with (
            platform.running("reporting"),
            platform.running(
                "matching", database_url=platform.database_url("matching", port=proxy.port)
            ),
        ):
            proxy.cut()
            await platform.publish_event(registered("outage-1"))
            await asyncio.sleep(4)  # the database is unreachable the whole time
            assert await platform.fetchval("SELECT count(*) FROM matching.volunteers") == 0
            proxy.restore()
            await wait_for_reporting_count(platform, 1, timeout=30)
            assert await platform.dead_letters("matching") == []
    finally:
        await proxy.close()


# 5 ---------------------------------------------------------------------------------------


async def publish_all(platform: TestPlatform, events: list[dict[str, Any]]) -> None:
    """A careful external publisher: every event confirmed; unconfirmed ones sent again."""
    pending = list(events)
    while pending:
        try:
            connection = await aio_pika.connect(platform.amqp_url, timeout=5)
            async with connection:
                channel = await connection.channel(publisher_confirms=True)
                exchange = await channel.get_exchange("city.inbound", ensure=False)
                while pending:
                    batch = pending[:100]
                    await asyncio.gather(
                        *(
                            exchange.publish(
                                aio_pika.Message(
                                    json.dumps(e).encode(),
                                    message_id=e["id"],
                                    content_type="application/cloudevents+json",
                                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                ),
                                routing_key=e["type"],
                            )
                            for e in batch
                        )
                    )
                    del pending[: len(batch)]
        except Exception:
            await asyncio.sleep(0.5)  # broker away: reconnect and send what was not confirmed


async def test_a_broker_restart_mid_stream_loses_nothing_and_applies_nothing_twice(
    platform: TestPlatform,
) -> None:
    assert platform.restart_broker is not None, (
        "this test restarts RabbitMQ: run it against a local broker (rabbitmqctl) or Docker"
    )
    total = 2000
    events = [registered(f"stream-{n}") for n in range(total)]
    async with platform.running("matching", "reporting"):
        publishing = asyncio.create_task(publish_all(platform, events))

        async def under_way() -> bool:
            return await registered_in_reporting(platform) >= 300

        await eventually(under_way, timeout=60)
        await platform.restart_broker()
        await publishing
        await wait_for_reporting_count(platform, total, timeout=240)
    assert await platform.fetchval("SELECT count(*) FROM matching.volunteers") == total
    assert (
        await platform.fetchval("SELECT count(DISTINCT volunteer_id) FROM reporting.volunteers")
        == total
    )
    assert (
        await platform.fetchval("SELECT count(*) FROM matching.outbox WHERE published_at IS NULL")
        == 0
    )


async def test_a_database_outage_longer_than_every_retry_dead_letters_nothing(
    platform: TestPlatform,
) -> None:
    """Unreachable for longer than the delivery limit times the retry window: the consumer
    pauses instead of spending deliveries, and applies everything once, when it is back."""
    target = sa.make_url(platform.admin_url)
    proxy = CuttableProxy(target.host or "127.0.0.1", target.port or 5432)
    await proxy.start()
    total = 5
    try:
        async with (
            platform.running("reporting"),
            platform.running(
                "matching",
                database_url=platform.database_url("matching", port=proxy.port),
                delivery_limit="2",
                transient_retry_window_s="1",
                transient_retry_max_delay_s="0.2",
                database_probe_interval_s="0.5",
            ),
        ):
            proxy.cut()
            await publish_all(platform, [registered(f"long-outage-{n}") for n in range(total)])
            await asyncio.sleep(8)  # delivery limit 2 x retry window 1 s, four times over
            assert await platform.dead_letters("matching") == []
            proxy.restore()
            await wait_for_reporting_count(platform, total, timeout=60)
            assert await platform.dead_letters("matching") == []
    finally:
        await proxy.close()
    assert await platform.fetchval("SELECT count(*) FROM matching.volunteers") == total
    assert await platform.fetchval("SELECT count(*) FROM matching.inbox") == total
