"""Fixtures of the cluster tests: a three-node RabbitMQ cluster, a test's own database and
vhost on it, and a Postgres server of the tests' own (the one test that restarts it).

The cluster starts once for the tests of this directory and stops after them. Where nodes
cannot be started the tests fail and say why; they are never skipped. The cluster fixture
uses ``infrastructure`` (the real Postgres), so `make test-unit` leaves these tests out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import pytest_asyncio

from shared.testing.databases import Databases
from shared.testing.infrastructure import Infrastructure, unique_name
from shared.testing.platform import TestPlatform
from shared.testing.rabbit_cluster import ClusterUnavailable, RabbitCluster, Server, started
from tests.cluster.postgres import PrivatePostgres


@asynccontextmanager
async def started_or_failing(server: Server, what: str) -> AsyncIterator[Server]:
    """``server`` started for the tests, or the tests fail and say why: never skipped."""
    try:
        async with started(server):
            yield server
    except ClusterUnavailable as unavailable:
        pytest.fail(f"{what} did not start: {unavailable}", pytrace=False)


@pytest_asyncio.fixture(scope="session")
async def rabbit_cluster(
    infrastructure: Infrastructure, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RabbitCluster]:
    # Under pytest's temporary directory: the nodes' logs stay for a look after a failure.
    cluster = RabbitCluster(tmp_path_factory.mktemp("rabbitmq-cluster"))
    async with started_or_failing(cluster, "the three-node RabbitMQ cluster") as running:
        yield running


@pytest_asyncio.fixture
async def cluster_platform(
    infrastructure: Infrastructure, databases: Databases, rabbit_cluster: RabbitCluster
) -> AsyncIterator[TestPlatform]:
    """Like ``platform``, with the vhost on the cluster; services get every node's address."""
    database = await databases.create()
    vhost = unique_name("vc_")
    await rabbit_cluster.create_vhost(vhost)
    platform = TestPlatform(
        admin_url=infrastructure.postgres_admin_url,
        database=database,
        amqp_url=rabbit_cluster.amqp_url(vhost),
        vhost=vhost,
        restart_broker=None,
    )
    try:
        yield platform
    finally:
        await platform.close()
        await databases.drop(database)


@pytest_asyncio.fixture(scope="session")
async def private_postgres(infrastructure: Infrastructure) -> AsyncIterator[PrivatePostgres]:
    async with started_or_failing(PrivatePostgres(), "the tests' own Postgres") as running:
        yield running


@pytest_asyncio.fixture
async def private_platform(
    private_postgres: PrivatePostgres, rabbit_cluster: RabbitCluster
) -> AsyncIterator[TestPlatform]:
    """Like ``cluster_platform``, with the database on the tests' own Postgres server."""
    own = Databases(
        Infrastructure(
            postgres_admin_url=private_postgres.admin_url,
            amqp_url=rabbit_cluster.amqp_url(),
            management_url=rabbit_cluster.nodes[0].management_url,
        )
    )
    await own.prepare_template()
    database = await own.create()
    vhost = unique_name("vp_")
    await rabbit_cluster.create_vhost(vhost)
    platform = TestPlatform(
        admin_url=private_postgres.admin_url,
        database=database,
        amqp_url=rabbit_cluster.amqp_url(vhost),
        vhost=vhost,
        restart_broker=None,
    )
    try:
        yield platform
    finally:
        await platform.close()
        await own.drop(database)
        await own.drop_template()
