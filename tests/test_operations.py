"""What operators rely on: dead-letter tooling, health, metrics, schema isolation, replicas."""

from __future__ import annotations

import json
import subprocess
import sys

import aio_pika
import asyncpg
import httpx
import pytest

from shared.boundary import ORIGINAL_EXCHANGE_HEADER, ORIGINAL_ROUTING_KEY_HEADER
from shared.deadletters import REASON_HEADER
from shared.migrations import head_revision
from shared.testing.databases import migrations_dir
from shared.testing.platform import TestPlatform, eventually
from shared.topology import INBOUND_EXCHANGE
from tests.portal import REGISTERED, registered
from tests.test_guarantees import publish_all, wait_for_reporting_count


def operator_command(platform: TestPlatform, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared.deadletters", *args, "--amqp-url", platform.amqp_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


async def test_operator_lists_dead_letters_with_reasons_and_replays_the_chosen_one(
    platform: TestPlatform,
) -> None:
    async with platform.running("matching", "reporting"):
        await platform.publish(b"{broken", routing_key=REGISTERED, message_id="broken-1")
        # A valid event parked earlier (say, while its branch was unknown): worth replaying.
        parked = registered("parked-1")
        connection = await aio_pika.connect(platform.amqp_url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            dead_letters = await channel.get_exchange("volunteering.dead-letters")
            await dead_letters.publish(
                aio_pika.Message(
                    json.dumps(parked).encode(),
                    message_id=parked["id"],
                    content_type="application/cloudevents+json",
                    # As the consumer parks a message: with where it came from, which the
                    # consumer checks again when it is replayed.
                    headers={
                        REASON_HEADER: "invalid-data",
                        ORIGINAL_EXCHANGE_HEADER: INBOUND_EXCHANGE,
                        ORIGINAL_ROUTING_KEY_HEADER: REGISTERED,
                    },
                ),
                routing_key="matching",
            )

        async def both_parked() -> bool:
            return len(await platform.dead_letters("matching")) == 2

        await eventually(both_parked)
        listed = operator_command(platform, "list", "--service", "matching", "--json")
        letters = {
            json.loads(line)["message_id"]: json.loads(line) for line in listed.stdout.splitlines()
        }
        assert letters["broken-1"]["reason"] == "not-json"
        assert letters[parked["id"]]["reason"] == "invalid-data"

        replayed = operator_command(
            platform, "replay", "--service", "matching", "--id", parked["id"]
        )
        assert f"replayed {parked['id']}" in replayed.stdout
        await wait_for_reporting_count(platform, 1)
        remaining = await platform.dead_letters("matching")
    assert [letter.message_id for letter in remaining] == ["broken-1"]


async def test_readiness_checks_database_migrations_and_broker(platform: TestPlatform) -> None:
    async with platform.running("reporting") as (reporting,):
        transport = httpx.ASGITransport(app=reporting.http)
        async with httpx.AsyncClient(transport=transport, base_url="http://r") as client:
            assert (await client.get("/health/live")).status_code == 200
            ready = await client.get("/health/ready")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "broker": "ok"}

            await platform.fetch("UPDATE reporting.alembic_version SET version_num = 'old'")
            not_ready = await client.get("/health/ready")
            assert not_ready.status_code == 503
            assert not_ready.headers["content-type"] == "application/problem+json"
            head = head_revision(migrations_dir("reporting"))
            assert not_ready.json()["checks"]["migrations"] == f"at old, expected {head}"

            metrics = (await client.get("/metrics")).text
            assert "consumer_messages_total" in metrics
            assert "outbox_events_published_total" in metrics


async def test_each_service_role_can_use_only_its_own_schema(platform: TestPlatform) -> None:
    connection = await asyncpg.connect(platform.database_url("matching").replace("+asyncpg", ""))
    try:
        assert await connection.fetchval("SELECT count(*) FROM matching.volunteers") == 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.fetchval("SELECT count(*) FROM reporting.volunteers")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute("CREATE TABLE public.sneaky (id int)")
    finally:
        await connection.close()


async def test_two_replicas_share_the_queue_and_the_outbox_without_duplicates(
    platform: TestPlatform,
) -> None:
    total = 400
    async with platform.running("reporting"), platform.running("matching", "matching"):
        connection = await aio_pika.connect(platform.amqp_url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.get_queue("matching")
            assert (await queue.declare()).consumer_count == 2  # both replicas compete
        await publish_all(platform, [registered(f"replica-{n}") for n in range(total)])
        await wait_for_reporting_count(platform, total, timeout=60)
    assert await platform.fetchval("SELECT count(*) FROM matching.volunteers") == total
    assert (
        await platform.fetchval("SELECT count(*) FROM matching.outbox WHERE published_at IS NULL")
        == 0
    )


async def test_an_api_only_replica_answers_http_and_leaves_the_queue_to_the_consumer(
    platform: TestPlatform,
) -> None:
    async with platform.running("reporting", consumer_enabled="false") as (api_only,):
        connection = await aio_pika.connect(platform.amqp_url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.get_queue("reporting")
            assert (await queue.declare()).consumer_count == 0
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api_only.http), base_url="http://reporting"
        ) as client:
            assert (await client.get("/health/ready")).status_code == 200
        async with platform.running("matching"):
            await publish_all(platform, [registered("api-only-1")])

            async def relayed() -> bool:
                published = await platform.fetchval(
                    "SELECT count(*) FROM matching.outbox WHERE published_at IS NOT NULL"
                )
                return bool(published == 2)

            await eventually(relayed)
            assert await platform.fetchval("SELECT registered FROM reporting.volunteer_totals") in (
                None,
                0,
            )
    # A replica with its consumer on takes what waited in the queue.
    async with platform.running("reporting"):
        await wait_for_reporting_count(platform, 1)


async def test_unroutable_inbound_events_are_kept_not_dropped(platform: TestPlatform) -> None:
    async with platform.running("matching"):
        await platform.publish({"specversion": "1.0"}, routing_key="pl.waw.unknown.system.v1")
        connection = await aio_pika.connect(platform.amqp_url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.get_queue("city.inbound.unrouted")

            async def kept() -> bool:
                return (await queue.declare()).message_count == 1

            await eventually(kept)
