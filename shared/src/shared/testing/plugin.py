"""pytest fixtures: ``platform`` gives each test its own database and vhost on real services."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from shared.testing.databases import Databases
from shared.testing.infrastructure import (
    Infrastructure,
    InfrastructureMissing,
    VirtualHosts,
    discover,
)
from shared.testing.platform import TestPlatform

# The tests are a development environment: development tokens and the local roles' passwords
# are allowed there (and in the processes the tests start, which inherit it). A test of the
# refusal outside development sets ENVIRONMENT itself.
os.environ["ENVIRONMENT"] = "development"


@pytest_asyncio.fixture(scope="session")
async def infrastructure() -> AsyncIterator[Infrastructure]:
    try:
        found = await discover()
    except InfrastructureMissing as missing:
        pytest.fail(str(missing), pytrace=False)
    yield found
    found.close()


@pytest_asyncio.fixture(scope="session")
async def databases(infrastructure: Infrastructure) -> AsyncIterator[Databases]:
    databases = Databases(infrastructure)
    await databases.prepare_template()
    yield databases
    await databases.drop_template()


@pytest_asyncio.fixture(scope="session")
async def vhosts(infrastructure: Infrastructure) -> VirtualHosts:
    vhosts = VirtualHosts(infrastructure)
    await vhosts.delete_stale()
    return vhosts


@pytest_asyncio.fixture
async def platform(
    infrastructure: Infrastructure, databases: Databases, vhosts: VirtualHosts
) -> AsyncIterator[TestPlatform]:
    database = await databases.create()
    vhost, amqp_url = await vhosts.create()
    test_platform = TestPlatform(
        admin_url=infrastructure.postgres_admin_url,
        database=database,
        amqp_url=amqp_url,
        vhost=vhost,
        restart_broker=infrastructure.restart_broker,
        management_url=infrastructure.management_url,
    )
    try:
        yield test_platform
    finally:
        await test_platform.close()
        await vhosts.delete(vhost)
        await databases.drop(database)


# `make test-unit` runs what needs neither broker nor database: a test is marked when any
# fixture it uses, however indirectly, reaches the real infrastructure, or when it starts
# the whole platform as processes (the browser tests).
NEEDS_INFRASTRUCTURE = "infrastructure"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{NEEDS_INFRASTRUCTURE}: needs the real Postgres and RabbitMQ (set by fixtures)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "infrastructure" in fixtures or "browser" in item.path.parts:
            item.add_marker(NEEDS_INFRASTRUCTURE)
