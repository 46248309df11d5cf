"""Finding Postgres and RabbitMQ for tests: settings, then local defaults, then testcontainers.

TEST_POSTGRES_ADMIN_URL       postgresql://postgres@127.0.0.1:5432/postgres
TEST_AMQP_URL                 amqp://guest:guest@127.0.0.1:5672/
TEST_RABBITMQ_MANAGEMENT_URL  http://guest:guest@127.0.0.1:15672
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aio_pika
import asyncpg
import httpx

LOCAL_POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
LOCAL_MANAGEMENT_URL = "http://guest:guest@127.0.0.1:15672"

WHAT_TO_START = """\
The tests need a real PostgreSQL and a real RabbitMQ (with the management plugin).
Tried: {tried}
Start them locally, for example on Debian:
    apt-get install postgresql rabbitmq-server
    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
    rabbitmq-server -detached && rabbitmq-plugins enable rabbitmq_management
or point TEST_POSTGRES_ADMIN_URL / TEST_AMQP_URL / TEST_RABBITMQ_MANAGEMENT_URL at running
ones, or run a Docker engine so that testcontainers can start them."""


class InfrastructureMissing(RuntimeError):
    pass


@dataclass
class Infrastructure:
    postgres_admin_url: str
    amqp_url: str
    management_url: str
    restart_broker: Callable[[], Awaitable[None]] | None = None
    _containers: list[Any] = field(default_factory=list)

    def close(self) -> None:
        for container in self._containers:
            container.stop()


async def _postgres_answers(url: str) -> bool:
    try:
        connection = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await connection.close()
    return True


async def _rabbitmq_answers(amqp_url: str, management_url: str) -> bool:
    try:
        connection = await aio_pika.connect(amqp_url, timeout=3)
        await connection.close()
        async with httpx.AsyncClient(timeout=3) as client:
            response = await client.get(_api(management_url, "overview"))
            return response.status_code == 200
    except Exception:
        return False


async def discover() -> Infrastructure:
    postgres = os.environ.get("TEST_POSTGRES_ADMIN_URL", LOCAL_POSTGRES_ADMIN_URL)
    amqp = os.environ.get("TEST_AMQP_URL", LOCAL_AMQP_URL)
    management = os.environ.get("TEST_RABBITMQ_MANAGEMENT_URL", LOCAL_MANAGEMENT_URL)
    postgres_ok, rabbit_ok = await asyncio.gather(
        _postgres_answers(postgres), _rabbitmq_answers(amqp, management)
    )
    if postgres_ok and rabbit_ok:
        return Infrastructure(postgres, amqp, management, _local_broker_restarter(amqp))
    if _docker_runs():
        return await asyncio.to_thread(_start_containers)
    tried = []
    if not postgres_ok:
        tried.append(f"PostgreSQL at {postgres}")
    if not rabbit_ok:
        tried.append(f"RabbitMQ at {amqp} with management at {management}")
    tried.append("Docker (no engine answers)")
    raise InfrastructureMissing(WHAT_TO_START.format(tried="; ".join(tried)))


def _docker_runs() -> bool:
    if shutil.which("docker") is None:
        return False
    result = subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False)
    return result.returncode == 0


def _start_containers() -> Infrastructure:
    from testcontainers.postgres import PostgresContainer
    from testcontainers.rabbitmq import RabbitMqContainer

    postgres = PostgresContainer("postgres:16.6", username="postgres", password="postgres")
    rabbit = RabbitMqContainer("rabbitmq:4.0.9-management")
    rabbit.with_exposed_ports(5672, 15672)
    postgres.start()
    rabbit.start()
    pg_url = (
        f"postgresql://postgres:postgres@{postgres.get_container_host_ip()}:"
        f"{postgres.get_exposed_port(5432)}/postgres"
    )
    host = rabbit.get_container_host_ip()
    amqp = f"amqp://guest:guest@{host}:{rabbit.get_exposed_port(5672)}/"
    management = f"http://guest:guest@{host}:{rabbit.get_exposed_port(15672)}"

    async def restart() -> None:
        await asyncio.to_thread(rabbit.exec, "rabbitmqctl stop_app")
        await asyncio.to_thread(rabbit.exec, "rabbitmqctl start_app")

    return Infrastructure(pg_url, amqp, management, restart, [postgres, rabbit])


def _local_broker_restarter(amqp_url: str) -> Callable[[], Awaitable[None]] | None:
    """Restarting the broker needs rabbitmqctl on the broker's own machine."""
    host = urlsplit(amqp_url).hostname
    if host not in ("127.0.0.1", "localhost", "::1") or shutil.which("rabbitmqctl") is None:
        return None

    async def restart() -> None:
        for action in ("stop_app", "start_app"):
            process = await asyncio.create_subprocess_exec(
                "rabbitmqctl",
                action,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            _, stderr = await process.communicate()
            if process.returncode != 0:
                raise RuntimeError(f"rabbitmqctl {action} failed: {stderr.decode()}")

    return restart


def _api(management_url: str, path: str) -> str:
    parts = urlsplit(management_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/api/{path}", "", ""))


def _credentials(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.username or "guest", parts.password or "guest"


def unique_name(prefix: str) -> str:
    """Names that sort by creation time, so a later run can clear what a crashed run left."""
    return f"{prefix}{int(time.time())}_{uuid.uuid4().hex[:8]}"


class VirtualHosts:
    """One RabbitMQ vhost per test: the fixed exchange names stay, the state does not leak."""

    def __init__(self, infrastructure: Infrastructure) -> None:
        self._infra = infrastructure
        self._auth = _credentials(infrastructure.management_url)
        self._user = _credentials(infrastructure.amqp_url)[0]

    async def create(self) -> tuple[str, str]:
        name = unique_name("vt_")
        async with httpx.AsyncClient(auth=self._auth, timeout=10) as client:
            response = await client.put(_api(self._infra.management_url, f"vhosts/{name}"))
            response.raise_for_status()
            response = await client.put(
                _api(self._infra.management_url, f"permissions/{name}/{quote(self._user)}"),
                json={"configure": ".*", "write": ".*", "read": ".*"},
            )
            response.raise_for_status()
        parts = urlsplit(self._infra.amqp_url)
        return name, urlunsplit((parts.scheme, parts.netloc, "/" + quote(name, safe=""), "", ""))

    async def delete(self, name: str) -> None:
        async with httpx.AsyncClient(auth=self._auth, timeout=10) as client:
            await client.delete(_api(self._infra.management_url, f"vhosts/{name}"))

    async def delete_stale(self, older_than_s: float = 3 * 3600) -> None:
        async with httpx.AsyncClient(auth=self._auth, timeout=10) as client:
            response = await client.get(_api(self._infra.management_url, "vhosts"))
            for vhost in response.json():
                if is_stale(vhost["name"], "vt_", older_than_s):
                    await client.delete(_api(self._infra.management_url, f"vhosts/{vhost['name']}"))


def is_stale(name: str, prefix: str, older_than_s: float) -> bool:
    if not name.startswith(prefix):
        return False
    stamp = name[len(prefix) :].split("_", 1)[0]
    return stamp.isdigit() and time.time() - int(stamp) > older_than_s
