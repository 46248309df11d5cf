"""A RabbitMQ cluster of three nodes on this machine, for the failover tests and the bus
benchmark on a cluster (``python -m bench.bus --cluster 3``).

Each node is Debian's ``rabbitmq-server`` run as its own Erlang node: its own node name,
AMQP, management and distribution ports, data and log directories under one temporary
directory, and one Erlang cookie for the three (and for the ``rabbitmqctl`` that joins and
stops them). The machine's own broker (``rabbit@localhost`` at 5672) is never addressed:
every command names its node.

Ports: Erlang's CLI tools take their distribution ports from 35672-35682 (the default node's
distribution port + 10000), so no node of the cluster listens there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

import httpx

SERVER_DIRECTORY = Path("/usr/lib/rabbitmq/bin")
CLI_PORTS = range(35600, 35700)
USER = ("guest", "guest")
START_TIMEOUT_S = 90


class ClusterUnavailable(RuntimeError):
    """The cluster's nodes could not be started or joined; the message says why."""


class LocalServer(Protocol):
    """A server of the machine's own started for a while: a RabbitMQ cluster, a Postgres."""

    def start(self) -> None: ...

    def close(self) -> None: ...


Server = TypeVar("Server", bound=LocalServer)


@asynccontextmanager
async def started(server: Server) -> AsyncIterator[Server]:
    """``server`` started (in a thread: starting takes seconds) and closed afterwards, also
    when it did not start (``ClusterUnavailable`` says why)."""
    try:
        await asyncio.to_thread(server.start)
        yield server
    finally:
        await asyncio.to_thread(server.close)


def server_program(name: str) -> str:
    """Debian's programs run as the calling user from /usr/lib/rabbitmq/bin (the ones in
    /usr/sbin switch to the rabbitmq user, who cannot write the test's directory)."""
    direct = SERVER_DIRECTORY / name
    if direct.exists():
        return str(direct)
    found = shutil.which(name)
    if found is None:
        raise ClusterUnavailable(
            f"{name} is not installed: `apt-get install rabbitmq-server` (Debian) provides it"
        )
    return found


def free_ports(count: int) -> list[int]:
    """Ports free on 127.0.0.1 now, none in the CLI tools' range."""
    ports: list[int] = []
    sockets = []
    try:
        while len(ports) < count:
            probe = socket.socket()
            sockets.append(probe)
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
            if port not in CLI_PORTS and port + 10000 not in CLI_PORTS:
                ports.append(port)
    finally:
        for probe in sockets:
            probe.close()
    return ports


@dataclass
class Node:
    index: int
    name: str
    amqp_port: int
    management_port: int
    dist_port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.amqp_port}"

    @property
    def management_url(self) -> str:
        return f"http://127.0.0.1:{self.management_port}"

    @property
    def pid_file(self) -> Path:
        return self.directory / "pid"

    @property
    def output(self) -> Path:
        return self.directory / "server.out"

    def last_lines(self, count: int = 15) -> str:
        lines: list[str] = []
        for path in (self.output, *sorted((self.directory / "log").glob("*.log"))):
            if path.exists():
                lines += path.read_text(errors="replace").splitlines()[-count:]
        return "\n".join(lines[-count:])


@dataclass
class RabbitCluster:
    """``start()`` three nodes and join them; ``close()`` stops them and removes their data
    (the logs stay)."""

    directory: Path
    size: int = 3
    tag: str = field(default_factory=lambda: f"t{os.getpid()}x{int(time.time()) % 100000}")
    nodes: list[Node] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        cookie = self.directory / ".erlang.cookie"
        cookie.write_text(f"volunteering-cluster-test-{self.tag}")
        cookie.chmod(0o400)
        ports = free_ports(3 * self.size)
        for index in range(self.size):
            amqp, management, dist = ports[3 * index : 3 * index + 3]
            node_directory = self.directory / f"node{index + 1}"
            (node_directory / "log").mkdir(parents=True, exist_ok=True)
            (node_directory / "data").mkdir(exist_ok=True)
            (node_directory / "rabbitmq.conf").write_text(
                "management.tcp.ip = 127.0.0.1\n"
                f"management.tcp.port = {management}\n"
                # The test stops nodes: a minority must not pause a node the test still uses.
                "cluster_partition_handling = ignore\n"
                "log.console = false\n"
            )
            (node_directory / "enabled_plugins").write_text("[rabbitmq_management].\n")
            (node_directory / "rabbitmq-env.conf").write_text("")
            self.nodes.append(
                Node(
                    index=index + 1,
                    name=f"cluster-{self.tag}-{index + 1}@localhost",
                    amqp_port=amqp,
                    management_port=management,
                    dist_port=dist,
                    directory=node_directory,
                )
            )

    # -- addresses --------------------------------------------------------------------

    @property
    def addresses(self) -> list[str]:
        return [node.address for node in self.nodes]

    def amqp_url(self, vhost: str = "/", node: Node | None = None) -> str:
        target = node or self.nodes[0]
        user, password = USER
        return f"amqp://{user}:{password}@{target.address}/{quote(vhost, safe='')}"

    def node_named(self, name: str) -> Node:
        (node,) = [node for node in self.nodes if node.name == name]
        return node

    # -- the environment of every command ----------------------------------------------

    def _environment(self, node: Node) -> dict[str, str]:
        return {
            **os.environ,
            # The cookie is read from $HOME: the cluster's own, for the nodes and the CLI.
            "HOME": str(self.directory),
            "RABBITMQ_CONF_ENV_FILE": str(node.directory / "rabbitmq-env.conf"),
            "RABBITMQ_NODENAME": node.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(node.amqp_port),
            "RABBITMQ_DIST_PORT": str(node.dist_port),
            "RABBITMQ_CONFIG_FILE": str(node.directory / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(node.directory / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(node.directory / "data"),
            "RABBITMQ_LOG_BASE": str(node.directory / "log"),
            "RABBITMQ_PID_FILE": str(node.pid_file),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def _cli_environment(self) -> dict[str, str]:
        environment = {
            key: value for key, value in os.environ.items() if not key.startswith("RABBITMQ_")
        }
        environment["HOME"] = str(self.directory)
        return environment

    def ctl(self, node: Node, *arguments: str, timeout: float = 60) -> str:
        """``rabbitmqctl -n <node> ...``; raises with the command's output if it fails."""
        command = [server_program("rabbitmqctl"), "-n", node.name, *arguments]
        try:
            result = subprocess.run(
                command,
                env=self._cli_environment(),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as expired:
            raise ClusterUnavailable(f"{' '.join(command[1:])} took over {timeout}s") from expired
        if result.returncode != 0:
            raise ClusterUnavailable(
                f"{' '.join(command[1:])} failed ({result.returncode}): "
                f"{result.stderr.strip() or result.stdout.strip()}\n{node.last_lines()}"
            )
        return result.stdout

    # -- lifecycle --------------------------------------------------------------------

    def start_node(self, node: Node) -> None:
        """Start the node's server and wait until RabbitMQ and its plugins run."""
        node.pid_file.unlink(missing_ok=True)
        with node.output.open("ab") as output:
            node.process = subprocess.Popen(
                [server_program("rabbitmq-server")],
                env=self._environment(node),
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            self.ctl(
                node,
                "wait",
                str(node.pid_file),
                "--timeout",
                str(START_TIMEOUT_S),
                timeout=START_TIMEOUT_S + 10,
            )
        except ClusterUnavailable as error:
            raise ClusterUnavailable(f"node {node.name} did not start: {error}") from None

    def start(self) -> None:
        # The nodes boot side by side (each takes seconds), then join the first one by one.
        with ThreadPoolExecutor(self.size) as pool:
            list(pool.map(self.start_node, self.nodes))
        first, *others = self.nodes
        for node in others:
            self.ctl(node, "stop_app")
            self.ctl(node, "join_cluster", first.name)
            self.ctl(node, "start_app")
        running = self.running_nodes(first)
        if sorted(running) != sorted(node.name for node in self.nodes):
            raise ClusterUnavailable(f"the cluster runs {running}, not all {self.size} nodes")

    def running_nodes(self, asking: Node) -> list[str]:
        """The nodes ``asking`` sees running (itself included)."""
        status = self.ctl(asking, "cluster_status", "--formatter", "json")
        parsed: dict[str, Any] = json.loads(status)
        return list(parsed.get("running_nodes", []))

    def stop_app(self, node: Node) -> None:
        """RabbitMQ stops on the node (connections closed, its queue replicas gone); the
        Erlang node stays, as in a rolling upgrade."""
        self.ctl(node, "stop_app")

    def start_app(self, node: Node) -> None:
        self.ctl(node, "start_app")
        self.ctl(node, "await_startup", "--timeout", str(START_TIMEOUT_S))

    def kill(self, node: Node) -> None:
        """SIGKILL the node's Erlang VM: no shutdown, as when its machine dies."""
        pid = int(node.pid_file.read_text().strip())
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        if node.process is not None:
            with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(node.process.pid, signal.SIGKILL)
                node.process.wait(10)
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)

    def restart_killed(self, node: Node) -> None:
        """Start a killed node again: it rejoins the cluster from its own data."""
        self.start_node(node)

    def close(self) -> None:
        with ThreadPoolExecutor(self.size) as pool:
            list(pool.map(self._stop_node, self.nodes))
        for node in self.nodes:
            shutil.rmtree(node.directory / "data", ignore_errors=True)

    def _stop_node(self, node: Node) -> None:
        with contextlib.suppress(ClusterUnavailable, OSError, ValueError):
            self.ctl(node, "stop", timeout=30)
        if node.process is not None and node.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.process.pid, signal.SIGKILL)
            node.process.wait(10)
        if node.pid_file.exists():
            with contextlib.suppress(ValueError, ProcessLookupError):
                os.kill(int(node.pid_file.read_text().strip()), signal.SIGKILL)

    # -- the management API of any node that runs ----------------------------------------

    async def management(
        self, call: Callable[[httpx.AsyncClient, str], Any], *, skip: Node | None = None
    ) -> Any:
        """``call(client, management_url)`` on the first node that answers."""
        failures = []
        async with httpx.AsyncClient(auth=USER, timeout=10) as client:
            for node in self.nodes:
                if node is skip:
                    continue
                try:
                    return await call(client, node.management_url)
                except httpx.TransportError as error:
                    failures.append(f"{node.name}: {error!r}")
        raise ClusterUnavailable(f"no node's management API answers: {failures}")

    async def create_vhost(self, name: str) -> None:
        async def create(client: httpx.AsyncClient, base: str) -> None:
            response = await client.put(f"{base}/api/vhosts/{quote(name, safe='')}")
            response.raise_for_status()
            response = await client.put(
                f"{base}/api/permissions/{quote(name, safe='')}/{USER[0]}",
                json={"configure": ".*", "write": ".*", "read": ".*"},
            )
            response.raise_for_status()

        await self.management(create)

    async def queue(self, vhost: str, queue: str, *, skip: Node | None = None) -> dict[str, Any]:
        async def get(client: httpx.AsyncClient, base: str) -> dict[str, Any]:
            response = await client.get(
                f"{base}/api/queues/{quote(vhost, safe='')}/{quote(queue, safe='')}"
            )
            response.raise_for_status()
            found: dict[str, Any] = response.json()
            return found

        found: dict[str, Any] = await self.management(get, skip=skip)
        return found

    async def leader(self, vhost: str, queue: str, *, skip: Node | None = None) -> str:
        """The node that leads a quorum queue now."""
        return str((await self.queue(vhost, queue, skip=skip))["leader"])

    # -- async wrappers for tests -----------------------------------------------------

    async def run(self, action: Callable[..., Any], *arguments: Any) -> Any:
        return await asyncio.to_thread(action, *arguments)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
