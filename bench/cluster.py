"""The bus benchmark on a RabbitMQ cluster of this machine's own (``python -m bench.bus
--cluster 3``): the nodes start the way the cluster tests start them
(``shared.testing.rabbit_cluster``), in a temporary directory removed afterwards, and stop
at the end of the run, also when it fails. PostgreSQL stays the machine's own.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from shared.testing.infrastructure import Infrastructure
from shared.testing.rabbit_cluster import RabbitCluster, started


@dataclass(frozen=True)
class ClusterBroker:
    """Where the figures' vhosts are made (the first node) and every node's address."""

    infrastructure: Infrastructure
    addresses: tuple[str, ...]
    amqp_ports: tuple[int, ...]


@asynccontextmanager
async def cluster_broker(machine: Infrastructure, size: int) -> AsyncIterator[ClusterBroker]:
    directory = Path(tempfile.mkdtemp(prefix="bench-bus-cluster-"))
    cluster = RabbitCluster(directory, size=size)
    first = cluster.nodes[0]
    async with started(cluster):
        yield ClusterBroker(
            # The management API takes the same guest user as the machine's broker.
            infrastructure=Infrastructure(
                postgres_admin_url=machine.postgres_admin_url,
                amqp_url=cluster.amqp_url(),
                management_url=first.management_url,
            ),
            addresses=tuple(cluster.addresses),
            amqp_ports=tuple(node.amqp_port for node in cluster.nodes),
        )
    # Only after a clean stop: the nodes' logs stay for a look when the run failed.
    shutil.rmtree(directory, ignore_errors=True)
