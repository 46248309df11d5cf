"""Fixtures of the cluster tests: a three-node RabbitMQ cluster, and a test's own database and
vhost on it.

The cluster starts once for the tests of this directory and stops after them. Where nodes
cannot be started the tests fail and say why; they are never skipped. The cluster fixture
uses ``infrastructure`` (the real Postgres), so `make test-unit` leaves these tests out.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from shared.testing.databases import Databases
from shared.testing.infrastructure import Infrastructure, unique_name
from shared.testing.platform import TestPlatform
from tests.cluster.rabbitmq import ClusterUnavailable, RabbitCluster


@pytest_asyncio.fixture(scope="session")
async def rabbit_cluster(
    infrastructure: Infrastructure, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RabbitCluster]:
    # Under pytest's temporary directory: the nodes' logs stay for a look after a failure.
    cluster = RabbitCluster(tmp_path_factory.mktemp("rabbitmq-cluster"))
    try:
        await asyncio.to_thread(cluster.start)
    except ClusterUnavailable as unavailable:
        await asyncio.to_thread(cluster.close)
        pytest.fail(f"the three-node RabbitMQ cluster did not start: {unavailable}", pytrace=False)
    yield cluster
    await asyncio.to_thread(cluster.close)


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
