"""A test's own slice of the platform: a database, a vhost, and services started in it."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import aio_pika
import asyncpg
import httpx
import sqlalchemy as sa

from shared.auth import mint_token
from shared.deadletters import DeadLetter, DeadLetterQueue
from shared.service import Service
from shared.settings import ServiceSettings
from shared.staff_scope import SCOPED_ROLES
from shared.testing.databases import service_database_url
from shared.testing.staff import grant_branches_now
from shared.topology import INBOUND_EXCHANGE, ServiceTopology

T = TypeVar("T")

TEST_AUTH_SECRET = "test-secret-for-development-tokens-only"

# Fast settings for tests: short polls and retry windows so failures show in seconds.
FAST_SETTINGS = {
    "RELAY_POLL_INTERVAL_S": "0.5",
    "TRANSIENT_RETRY_WINDOW_S": "30",
    "TRANSIENT_RETRY_MAX_DELAY_S": "1",
    "LOG_JSON": "true",
    "AUTH_SHARED_SECRET": TEST_AUTH_SECRET,
}


@contextlib.contextmanager
def environment_overrides(values: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def eventually(
    check: Callable[[], Awaitable[T]],
    *,
    timeout: float = 20.0,
    interval: float = 0.1,
    message: str = "condition not met",
) -> T:
    """Poll ``check`` until it returns something truthy, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"{message} within {timeout}s (last value: {last!r})")


class TestPlatform:
    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(
        self,
        *,
        admin_url: str,
        database: str,
        amqp_url: str,
        vhost: str,
        restart_broker: Callable[[], Awaitable[None]] | None,
        management_url: str | None = None,
    ) -> None:
        self.management_url = management_url
        self.admin_url = admin_url
        self.database = database
        self.amqp_url = amqp_url
        self.vhost = vhost
        self.restart_broker = restart_broker
        self._processes: list[ServiceProcess] = []

    # -- services ----------------------------------------------------------------------

    def database_url(self, service: str, *, port: int | None = None, owner: bool = False) -> str:
        """The service's own role in this test's database; ``port`` to go through a proxy;
        ``owner``: the schema owner's role (DDL, as migrations run)."""
        url = sa.make_url(service_database_url(self.admin_url, self.database, service, owner=owner))
        if port is not None:
            url = url.set(host="127.0.0.1", port=port)
        return url.render_as_string(hide_password=False)

    def env(self, service: str, **overrides: Any) -> dict[str, str]:
        prefix = f"{service.upper()}_"
        values = {
            "DATABASE_URL": self.database_url(service),
            "AMQP_URL": self.amqp_url,
            **FAST_SETTINGS,
            **{key.upper(): str(value) for key, value in overrides.items()},
        }
        return {prefix + key: value for key, value in values.items()}

    def build(self, service: str, **overrides: Any) -> Service:
        module = importlib.import_module(f"{service}.app")
        with environment_overrides(self.env(service, **overrides)):
            built: Service = module.build_service()
        return built

    @asynccontextmanager
    async def running(self, *services: str, **overrides: Any) -> AsyncIterator[list[Service]]:
        """Start services in this process (fast); use ``process`` when a test must kill one."""
        started: list[Service] = []
        try:
            for name in services:
                service = self.build(name, **overrides)
                await service.start()
                started.append(service)
            yield started
        finally:
            for service in reversed(started):
                await service.stop()

    async def process(self, service: str, **overrides: Any) -> ServiceProcess:
        port = free_port()
        env = {**os.environ, **self.env(service, http_port=port, **overrides)}
        process = ServiceProcess(service, port, env)
        self._processes.append(process)
        await process.start()
        return process

    async def close(self) -> None:
        for process in self._processes:
            process.kill()

    # -- talking to it as a city system would -------------------------------------------

    async def publish(
        self,
        body: bytes | Mapping[str, Any],
        *,
        routing_key: str,
        exchange: str = INBOUND_EXCHANGE,
        content_type: str = "application/cloudevents+json",
        message_id: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> None:
        """Publish as an external system: persistent, confirmed."""
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            target = await channel.get_exchange(exchange, ensure=False)
            await target.publish(
                aio_pika.Message(
                    payload,
                    content_type=content_type,
                    message_id=message_id,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    headers=dict(headers or {}),
                ),
                routing_key=routing_key,
            )

    async def publish_event(self, event: Mapping[str, Any]) -> None:
        await self.publish(event, routing_key=str(event["type"]), message_id=str(event["id"]))

    async def dead_letters(self, service: str) -> list[DeadLetter]:
        return await DeadLetterQueue(self.amqp_url, ServiceTopology(service)).peek()

    def token(self, *roles: str, branches: tuple[str, ...] = (), subject: str = "tester") -> str:
        """A development token. Staff branches come from the services' copy of registry's
        assignments, not from the token: ``branches`` are granted there (to a subject of
        their own unless one is named), as registry's events would."""
        defaults = ServiceSettings.model_fields
        if branches and any(role in SCOPED_ROLES for role in roles):
            if subject == "tester":
                subject = "-".join(("tester", *roles, *branches))
            grant_branches_now(
                self.admin_url, self.database, roles=roles, subject=subject, branches=branches
            )
        return mint_token(
            TEST_AUTH_SECRET,
            subject=subject,
            roles=roles,
            branches=branches,
            issuer=str(defaults["auth_issuer"].default),
            audience=str(defaults["auth_audience"].default),
        )

    # -- looking inside, as an administrator ---------------------------------------------

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(self.admin_url, database=self.database)
        try:
            rows: list[asyncpg.Record] = await connection.fetch(query, *args)
            return rows
        finally:
            await connection.close()

    async def fetchval(self, query: str, *args: Any) -> Any:
        rows = await self.fetch(query, *args)
        return rows[0][0] if rows else None


def cloud_event(
    type: str,
    data: Mapping[str, Any],
    *,
    id: str | None = None,
    source: str = "/city/portal",
    time: datetime | None = None,
) -> dict[str, Any]:
    """A structured-mode CloudEvent as a city system would send it."""
    return {
        "specversion": "1.0",
        "id": id or str(uuid.uuid4()),
        "source": source,
        "type": type,
        "time": (time or datetime.now(UTC)).isoformat(),
        "datacontenttype": "application/json",
        "data": dict(data),
    }


class ServiceProcess:
    """A service as a real OS process, for tests that must kill it."""

    def __init__(self, service: str, port: int, env: dict[str, str]) -> None:
        self.service = service
        self.port = port
        self.env = env
        self.url = f"http://127.0.0.1:{port}"
        self._process: subprocess.Popen[bytes] | None = None

    async def start(self, timeout: float = 30.0) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", self.service],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        async with httpx.AsyncClient() as client:

            async def ready() -> bool:
                assert self._process is not None
                if self._process.poll() is not None:
                    raise AssertionError(f"{self.service} exited with {self._process.returncode}")
                try:
                    return (await client.get(f"{self.url}/health/ready")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(
                ready, timeout=timeout, interval=0.2, message=f"{self.service} did not become ready"
            )

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when a machine or container dies."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(10)
