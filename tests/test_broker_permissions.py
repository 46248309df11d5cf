"""The broker users of deploy/rabbitmq/definitions.json, on the real broker.

The users, their permissions and topic permissions, the topology and the policies are
created in the test's own vhost from the generated definitions (through the management
HTTP API; user names carry the vhost's name, as users are the broker's, not the vhost's).
"""

from __future__ import annotations

import functools
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aio_pika
import httpx
import pytest
import pytest_asyncio

from shared import brokerdefinitions
from shared.brokerpolicy import api_url
from shared.testing.platform import TestPlatform, cloud_event, eventually
from shared.topology import CONTACTS_EXCHANGE, EVENTS_EXCHANGE, INBOUND_EXCHANGE
from tests.portal import REGISTERED, volunteer_data

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_definitions_are_the_generated_ones() -> None:
    committed = (ROOT / "deploy" / "rabbitmq" / "definitions.json").read_text(encoding="utf-8")
    assert committed == brokerdefinitions.render(), (
        "deploy/rabbitmq/definitions.json is out of date: run `make docs`"
    )


class BrokerUsers:
    """The definitions' users in one vhost, each with a password of its own."""

    def __init__(self, platform: TestPlatform) -> None:
        self.platform = platform
        self.prefix = f"{platform.vhost}-"
        self.passwords: dict[str, str] = {}

    async def _call(self, method: str, path: str, body: Any = None) -> None:
        assert self.platform.management_url is not None
        url, auth = api_url(self.platform.management_url, path)
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.request(method, url, json=body, auth=auth)
            response.raise_for_status()

    async def create(self) -> None:
        vhost = quote(self.platform.vhost, safe="")
        topology = brokerdefinitions.topology(self.platform.vhost)
        await self._call("POST", f"definitions/{vhost}", topology)
        for account in brokerdefinitions.users():
            name = self.prefix + account["name"]
            self.passwords[account["name"]] = secrets.token_urlsafe(24)
            await self._call(
                "PUT",
                f"users/{quote(name, safe='')}",
                {"password": self.passwords[account["name"]], "tags": ",".join(account["tags"])},
            )
        for permission in brokerdefinitions.permissions(self.platform.vhost, self.prefix):
            user = quote(permission["user"], safe="")
            body = {key: permission[key] for key in ("configure", "write", "read")}
            await self._call("PUT", f"permissions/{vhost}/{user}", body)
        for permission in brokerdefinitions.topic_permissions(self.platform.vhost, self.prefix):
            user = quote(permission["user"], safe="")
            body = {key: permission[key] for key in ("exchange", "write", "read")}
            await self._call("PUT", f"topic-permissions/{vhost}/{user}", body)

    async def delete(self) -> None:
        for user in self.passwords:
            await self._call("DELETE", f"users/{quote(self.prefix + user, safe='')}")

    def amqp_url(self, user: str) -> str:
        parts = urlsplit(self.platform.amqp_url)
        host = f"{parts.hostname}:{parts.port or 5672}"
        credentials = f"{quote(self.prefix + user, safe='')}:{self.passwords[user]}"
        return urlunsplit((parts.scheme, f"{credentials}@{host}", parts.path, "", ""))


@pytest_asyncio.fixture
async def users(platform: TestPlatform) -> AsyncIterator[BrokerUsers]:
    created = BrokerUsers(platform)
    try:
        await created.create()
        yield created
    finally:
        await created.delete()


async def publish_as(users: BrokerUsers, user: str, exchange: str, routing_key: str) -> None:
    """Publish one confirmed message as ``user``; raise when the broker refuses it."""
    connection = await aio_pika.connect(users.amqp_url(user))
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        target = await channel.get_exchange(exchange, ensure=False)
        event = cloud_event(routing_key, {"x": 1})
        await target.publish(
            aio_pika.Message(json.dumps(event).encode(), message_id=str(uuid.uuid4())),
            routing_key=routing_key,
        )


async def refused(action: Callable[[], Awaitable[Any]]) -> str:
    """The broker's refusal (ACCESS_REFUSED) of ``action``, as text."""
    with pytest.raises(aio_pika.exceptions.AMQPError) as refusal:
        await action()
    assert "ACCESS_REFUSED" in str(refusal.value) or "403" in str(refusal.value), refusal.value
    return str(refusal.value)


CALENDAR_KEY = "pl.waw.calendar.event.scheduled.v1"
REGISTRY_KEY = "pl.waw.volunteering.registry.coordinator.assigned.v1"
MATCHING_KEY = "pl.waw.volunteering.matching.volunteer.registered.v1"
CONTACT_KEY = "pl.waw.volunteering.matching.volunteer.contact.changed.v1"


async def test_the_portal_publishes_only_its_own_routing_keys(users: BrokerUsers) -> None:
    await publish_as(users, "portal", INBOUND_EXCHANGE, REGISTERED)
    await refused(lambda: publish_as(users, "portal", INBOUND_EXCHANGE, CALENDAR_KEY))
    await refused(lambda: publish_as(users, "portal", INBOUND_EXCHANGE, REGISTRY_KEY))
    await refused(lambda: publish_as(users, "portal", EVENTS_EXCHANGE, REGISTERED))
    await publish_as(users, "calendar", INBOUND_EXCHANGE, CALENDAR_KEY)
    await refused(lambda: publish_as(users, "calendar", INBOUND_EXCHANGE, REGISTERED))


async def test_a_service_publishes_only_its_own_types(users: BrokerUsers) -> None:
    await publish_as(users, "matching", EVENTS_EXCHANGE, MATCHING_KEY)
    await publish_as(users, "matching", CONTACTS_EXCHANGE, CONTACT_KEY)
    await refused(lambda: publish_as(users, "matching", EVENTS_EXCHANGE, REGISTRY_KEY))
    await refused(lambda: publish_as(users, "matching", INBOUND_EXCHANGE, REGISTERED))
    await refused(lambda: publish_as(users, "reporting", EVENTS_EXCHANGE, MATCHING_KEY))
    await refused(lambda: publish_as(users, "registry", CONTACTS_EXCHANGE, CONTACT_KEY))


async def bind_as(users: BrokerUsers, user: str, exchange: str, routing_key: str) -> None:
    connection = await aio_pika.connect(users.amqp_url(user))
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(user, passive=True)
        await queue.bind(exchange, routing_key=routing_key)


async def test_only_notifications_reads_the_contacts_exchange(users: BrokerUsers) -> None:
    await bind_as(users, "notifications", CONTACTS_EXCHANGE, CONTACT_KEY)
    for service in ("registry", "matching", "reporting"):
        await refused(functools.partial(bind_as, users, service, CONTACTS_EXCHANGE, "#"))


async def test_a_service_cannot_configure_the_shared_exchanges(users: BrokerUsers) -> None:
    async def declare(exchange: str) -> None:
        connection = await aio_pika.connect(users.amqp_url("matching"))
        async with connection:
            channel = await connection.channel()
            await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)

    for exchange in (INBOUND_EXCHANGE, EVENTS_EXCHANGE, CONTACTS_EXCHANGE):
        await refused(functools.partial(declare, exchange))


async def test_the_platform_runs_on_its_least_privileged_users(
    platform: TestPlatform, users: BrokerUsers
) -> None:
    """Matching and reporting as their own users, the portal as its own: a registration
    goes through, declared with the shared topology left to the definitions."""
    services = {"declare_shared_topology": "false"}
    async with (
        platform.running("matching", amqp_url=users.amqp_url("matching"), **services),
        platform.running("reporting", amqp_url=users.amqp_url("reporting"), **services),
    ):
        event = cloud_event(REGISTERED, volunteer_data("least-privilege"))
        connection = await aio_pika.connect(users.amqp_url("portal"))
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            inbound = await channel.get_exchange(INBOUND_EXCHANGE, ensure=False)
            await inbound.publish(
                aio_pika.Message(json.dumps(event).encode(), message_id=event["id"]),
                routing_key=REGISTERED,
            )

        async def counted() -> bool:
            total = await platform.fetchval("SELECT registered FROM reporting.volunteer_totals")
            return bool(total == 1)

        await eventually(counted, timeout=30, message="reporting counted the registration")
