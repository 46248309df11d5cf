"""The platform in containers, started from docker-compose.yml and used as a person would.

Not part of `make test`: `make test-containers` builds the images (`make images`), then runs
this file (`pytest tests/containers/stack.py`). The stack runs as its own compose project
with every published port on an ephemeral port of 127.0.0.1, so it stands beside anything
already on the machine (a local PostgreSQL on 5432, say), and is removed at the end, also
after a failure.

What is not docker-compose.yml's own here (stack_file says each):
- secrets are generated for the run, as scripts/compose-env.sh would;
- Keycloak is replaced by a stand-in issuer (nginx serving the realm's discovery document
  and signing keys, whose private half the test holds): tokens can then be made without a
  browser, and the Keycloak image cannot be made from Debian's packages; Mailpit, likewise,
  by Python's own SMTP sink; the OpenTelemetry Collector by an OTLP receiver that keeps
  the spans for the test to read (tests/containers/standins.py has the three);
- Grafana and Jaeger are left out: no Debian package makes their images (their
  configuration is checked by tests/test_compose_observability.py);
- where no registry gives postgres, rabbitmq, nginx and prometheus, the images made from
  Debian's packages (scripts/containers/base-images.sh) take their place.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aio_pika
import httpx
import pytest
import yaml

from tests.containers.standins import (
    ISSUER,
    SMTP_PROBE,
    SMTP_SINK,
    Identity,
    collector_service,
    received_spans,
    write_identity,
)
from tests.portal import registered

ROOT = Path(__file__).resolve().parents[2]
IMAGES_ENV = ROOT / "scripts" / "containers" / "images.env"
ENGINE = os.environ.get("ENGINE", "podman")
# As scripts/containers/engine.sh sets it (uv belongs to the interpreter outside .venv).
COMPOSE = shlex.split(
    os.environ.get("COMPOSE")
    or f"{sys.base_prefix}/bin/python3 -m uv tool run --from podman-compose==1.6.0 podman-compose"
)
PROJECT = "volunteering-containers-test"
APPLICATION_PORTS = {
    "registry": 8001,
    "matching": 8002,
    "notifications": 8003,
    "reporting": 8004,
    "console": 8005,
}
# How long the whole stack may take to become healthy (a cold start on 2 cores).
START_TIMEOUT_S = 600.0
# OTLP's SPAN_KIND_SERVER.
SERVER_SPAN = 2
VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?::?[?-](?P<default>[^}]*))?\}")


def run(*argv: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: exit {result.returncode}\n{result.stderr}")
    return result


def engine(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run(ENGINE, *argv, check=check)


def image_exists(image: str) -> bool:
    return engine("image", "inspect", image, check=False).returncode == 0


def local_images() -> dict[str, str]:
    """images.env's names (KEY=value lines)."""
    pairs = (
        line.split("=", 1)
        for line in IMAGES_ENV.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    return {key: value for key, value in pairs}


def password_hash(password: str) -> str:
    """RabbitMQ's rabbit_password_hashing_sha256, as deploy/rabbitmq/password_hash.py makes
    it: base64(salt + sha256(salt + password)) with a 4-byte salt."""
    salt = os.urandom(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


BROKER_USERS = (
    "operator",
    "portal",
    "calendar",
    "registry",
    "matching",
    "notifications",
    "reporting",
)


@functools.cache
def generated_secrets() -> dict[str, str]:
    """What scripts/compose-env.sh writes to .env: a fresh secret for each (one set a run)."""

    def secret() -> str:
        return secrets.token_urlsafe(36)

    values = {"POSTGRES_PASSWORD": secret()}
    pairs = []
    for role in APPLICATION_PORTS:
        values[f"{role.upper()}_DB_PASSWORD"] = own = secret()
        values[f"{role.upper()}_OWNER_DB_PASSWORD"] = owner = secret()
        pairs += [f"{role}={own}", f"{role}_owner={owner}"]
    values["DB_PASSWORDS"] = " ".join(pairs)
    hashes = []
    for user in BROKER_USERS:
        values[f"{user.upper()}_BROKER_PASSWORD"] = password = secret()
        hashes.append(f"{user}={password_hash(password)}")
    values["BROKER_PASSWORD_HASHES"] = " ".join(hashes)
    for name in (
        "CONSOLE_SESSION_SECRET",
        "VOLUNTEER_LINK_SECRET",
        "PROPOSAL_LINK_SECRET",
        "SMS_API_KEY",
    ):
        values[name] = secret()
    return values


def interpolate(text: str, values: dict[str, str]) -> str:
    """Compose's ``${NAME}``, ``${NAME:?message}`` and ``${NAME:-default}``."""

    def value(match: re.Match[str]) -> str:
        name = match.group("name")
        if name in values:
            return values[name]
        default = match.group("default")
        if default is None or match.group(0).startswith(f"${{{name}:?"):
            raise KeyError(f"docker-compose.yml needs {name}")
        return default

    return VARIABLE.sub(value, text)


# No Debian package makes these images: the stack runs without them (docker-compose.yml's
# own configuration of them is checked by tests/test_compose_observability.py).
WITHOUT = ("grafana", "jaeger")


def stack_file(folder: Path, identity: Identity) -> Path:
    """docker-compose.yml as this run starts it (see the module's docstring)."""
    text = interpolate((ROOT / "docker-compose.yml").read_text(), generated_secrets())
    stack: dict[str, Any] = yaml.safe_load(text)
    stack.pop("name", None)
    names = local_images()
    registry_images = all(
        image_exists(stack["services"][name]["image"]) for name in ("postgres", "rabbitmq")
    ) and image_exists(str(stack["services"]["gateway"]["image"]))
    python_image = "python:3.11-slim" if registry_images else names["LOCAL_PYTHON_IMAGE"]
    nginx_image = str(stack["services"]["gateway"]["image"])
    if not registry_images:
        stack["services"]["postgres"]["image"] = names["LOCAL_POSTGRES_IMAGE"]
        stack["services"]["rabbitmq"]["image"] = names["LOCAL_RABBITMQ_IMAGE"]
        nginx_image = names["LOCAL_NGINX_IMAGE"]
        stack["services"]["gateway"]["image"] = nginx_image
        stack["services"]["prometheus"]["image"] = names["LOCAL_PROMETHEUS_IMAGE"]
    for name in WITHOUT:
        del stack["services"][name]
    stack["services"]["otel-collector"] = collector_service(python_image, folder / "spans")
    keycloak = stack["services"]["keycloak"]
    keycloak.update(
        image=nginx_image,
        volumes=[
            f"{identity.folder}:/srv/identity:ro",
            f"{identity.folder / 'identity.conf'}:/etc/nginx/conf.d/identity.conf:ro",
        ],
        healthcheck={
            "test": ["CMD", "wget", "-q", "-O", "-", "http://127.0.0.1:9000/auth/health/ready"],
            "interval": "5s",
            "timeout": "5s",
            "retries": 6,
        },
    )
    for key in ("command", "environment"):
        keycloak.pop(key, None)
    stack["services"]["mailpit"] = {
        "image": python_image,
        "command": SMTP_SINK,
        "healthcheck": {
            "test": ["CMD", "python3", "-c", SMTP_PROBE],
            "interval": "5s",
            "timeout": "5s",
            "retries": 6,
        },
        "restart": "unless-stopped",
    }
    for service in stack["services"].values():
        service.pop("build", None)  # the images are built beforehand (make images)
        if "volumes" in service:
            service["volumes"] = [absolute_bind(entry) for entry in service["volumes"]]
        if "ports" in service:
            # The container's port on an ephemeral port of the loopback address only.
            service["ports"] = [
                f"127.0.0.1::{str(entry).rsplit(':', 1)[-1]}" for entry in service["ports"]
            ]
    # Each container in its own network namespace, as with docker (podman-compose would put
    # them all in one pod, sharing one).
    stack["x-podman"] = {"in_pod": False}
    path = folder / "compose.yml"
    path.write_text(yaml.safe_dump(stack, sort_keys=False))
    return path


def absolute_bind(entry: str) -> str:
    source, _, rest = entry.partition(":")
    if source.startswith("./"):
        return f"{(ROOT / source).resolve()}:{rest}"
    return entry


# --------------------------------------------------------------------------- the stack


@dataclass
class Container:
    service: str
    id: str


class Stack:
    """One compose project: started service by service as depends_on says, then removed."""

    def __init__(self, compose_file: Path) -> None:
        self.compose_file = compose_file
        self.definition: dict[str, Any] = yaml.safe_load(compose_file.read_text())

    def compose(self, *argv: str, timeout: float = 600) -> None:
        command = [*COMPOSE, "-p", PROJECT, "-f", str(self.compose_file), *argv]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise AssertionError(f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}")

    def containers(self) -> dict[str, Container]:
        listed = engine(
            "ps", "-a", "--filter", f"label=com.docker.compose.project={PROJECT}",
            "--format", "{{.ID}} {{.Labels}}",
        ).stdout  # fmt: skip
        found: dict[str, Container] = {}
        for line in listed.splitlines():
            identifier = line.split()[0]
            labels = self.inspect(identifier)["Config"]["Labels"]
            service = labels["com.docker.compose.service"]
            found[service] = Container(service, identifier)
        return found

    def inspect(self, identifier: str) -> dict[str, Any]:
        details: list[dict[str, Any]] = json.loads(engine("inspect", identifier).stdout)
        return details[0]

    def up(self) -> None:
        if ENGINE == "docker":
            self.compose("up", "-d", "--no-build", "--wait", timeout=START_TIMEOUT_S)
            return
        # podman-compose waits for a healthy dependency only where systemd schedules podman's
        # health checks: it creates the containers (without podman's own --requires links),
        # and they start here as depends_on says, each health check run by this test.
        self.compose("up", "-d", "--no-build", "--no-start", "--no-deps")
        containers = self.containers()
        services: dict[str, Any] = self.definition["services"]
        assert set(containers) == set(services), f"created {sorted(containers)}"
        started: set[str] = set()
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            for name in sorted(set(services) - started):
                needs = services[name].get("depends_on") or {}
                if isinstance(needs, list):
                    needs = {need: {"condition": "service_started"} for need in needs}
                if all(
                    self.satisfies(containers[need], spec.get("condition", "service_started"))
                    for need, spec in needs.items()
                ):
                    engine("start", containers[name].id)
                    started.add(name)
            if started == set(services) and all(
                self.satisfies(containers[name], self.expected(name)) for name in services
            ):
                return
            if time.monotonic() > deadline:
                states = {name: self.state(containers[name]) for name in services}
                raise AssertionError(f"not healthy in {START_TIMEOUT_S:.0f} s: {states}")
            time.sleep(3)

    def expected(self, name: str) -> str:
        """What every container comes to: one-shots exit 0, the others are healthy."""
        service = self.definition["services"][name]
        if service.get("restart") == "no":
            return "service_completed_successfully"
        return "service_healthy" if "healthcheck" in service else "service_started"

    def state(self, container: Container) -> str:
        state = self.inspect(container.id)["State"]
        health = (state.get("Health") or state.get("Healthcheck") or {}).get("Status", "")
        return f"{state['Status']} {state.get('ExitCode', '')} {health}".strip()

    def satisfies(self, container: Container, condition: str) -> bool:
        state = self.inspect(container.id)["State"]
        if condition == "service_completed_successfully":
            if state["Status"] == "exited" and state["ExitCode"] != 0:
                logs = engine("logs", "--tail", "40", container.id, check=False)
                raise AssertionError(
                    f"{container.service} exited {state['ExitCode']}:\n{logs.stdout}{logs.stderr}"
                )
            return bool(state["Status"] == "exited")
        if state["Status"] != "running":
            return False
        if condition == "service_healthy":
            # Without systemd podman schedules no health checks: run the container's own.
            return engine("healthcheck", "run", container.id, check=False).returncode == 0
        return True

    def port(self, service: str, container_port: int) -> int:
        container = self.containers()[service]
        published = engine("port", container.id, f"{container_port}/tcp").stdout
        return int(published.split()[0].rsplit(":", 1)[1])

    def down(self) -> None:
        if ENGINE == "docker":
            self.compose("down", "-v", "--remove-orphans")
            return
        self.compose("down", "-v")


def remove_project() -> None:
    """Whatever a run of this project left: containers, volumes, networks, pods."""
    label = f"label=com.docker.compose.project={PROJECT}"
    for kind, listing in (
        ("container", ["ps", "-a", "-q", "--filter", label]),
        ("volume", ["volume", "ls", "-q", "--filter", label]),
        ("network", ["network", "ls", "-q", "--filter", label]),
    ):
        for identifier in engine(*listing, check=False).stdout.split():
            engine(kind, "rm", "-f", identifier, check=False)
    if ENGINE == "podman":
        engine("pod", "rm", "-f", f"pod_{PROJECT}", check=False)


@dataclass
class Running:
    stack: Stack
    identity: Identity
    started_in_s: float
    spans: Path  # what the applications sent the collector

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.stack.port('gateway', 8080)}{path}"


# Why the stack did not start, once known: every later test fails at once with it, rather
# than starting the whole stack again.
failed_start: list[str] = []


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    if shutil.which(ENGINE) is None:
        pytest.fail(f"{ENGINE} is not installed: see scripts/containers/engine.sh")
    if failed_start:
        pytest.fail(f"the stack did not start: {failed_start[0]}")
    remove_project()
    folder = Path(tempfile.mkdtemp(prefix="volunteering-stack-"))
    folder.chmod(0o755)
    try:
        identity = write_identity(folder / "identity")
        stack = Stack(stack_file(folder, identity))
        began = time.monotonic()
        try:
            try:
                stack.up()
            except Exception as error:
                failed_start.append(str(error)[:2000])
                raise
            elapsed = time.monotonic() - began
            print(f"\nthe stack was healthy {elapsed:.0f} s after the first container started")
            yield Running(stack, identity, elapsed, folder / "spans")
        finally:
            try:
                stack.down()
            finally:
                remove_project()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------- as a user


async def publish_as_the_portal(amqp_port: int, event: dict[str, Any]) -> None:
    """The portal's broker user (deploy/rabbitmq/definitions.json): it may write only its own
    routing keys to city.inbound."""
    password = generated_secrets()["PORTAL_BROKER_PASSWORD"]
    url = f"amqp://portal:{password}@127.0.0.1:{amqp_port}/"
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("city.inbound", ensure=False)
        await exchange.publish(
            aio_pika.Message(
                json.dumps(event).encode(),
                content_type="application/cloudevents+json",
                message_id=str(event["id"]),
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=str(event["type"]),
        )


def test_every_container_came_up(running: Running) -> None:
    services = running.stack.definition["services"]
    containers = running.stack.containers()
    for name in services:
        assert running.stack.satisfies(containers[name], running.stack.expected(name)), name


def test_a_portal_registration_is_counted_through_the_gateway(running: Running) -> None:
    amqp_port = running.stack.port("rabbitmq", 5672)
    asyncio.run(publish_as_the_portal(amqp_port, registered("containers-test-1")))
    count_url = running.url("/api/reporting/v1/volunteers/count")
    with httpx.Client(timeout=10) as client:
        assert client.get(count_url).status_code == 401, "the count needs a token"
        headers = {"authorization": f"Bearer {running.identity.token('city_admin')}"}
        deadline = time.monotonic() + 60
        while True:
            response = client.get(count_url, headers=headers)
            assert response.status_code == 200, response.text
            if response.json()["registered"] == 1 or time.monotonic() > deadline:
                break
            time.sleep(1)
    assert response.json() == {"registered": 1, "erased": 0, "current": 1, "minors": 0}
    assert response.headers.get("x-request-id"), "the gateway gives every request an id"


def test_the_console_opens_through_the_gateway(running: Running) -> None:
    with httpx.Client(timeout=10) as client:
        welcome = client.get(running.url("/"))
        assert welcome.status_code == 200, welcome.text
        assert welcome.headers["content-type"].startswith("text/html")
        assert 'href="/zaloguj' in welcome.text, "the welcome page leads to sign-in"
        assert welcome.headers["x-frame-options"] == "DENY"
        sign_in = client.get(running.url("/zaloguj"))
        assert sign_in.status_code in (302, 303, 307), sign_in.text
        assert sign_in.headers["location"].startswith(f"{ISSUER}/protocol/openid-connect/auth?")


def test_prometheus_scrapes_every_application_and_the_broker_and_loads_the_alert_rules(
    running: Running,
) -> None:
    """deploy/prometheus as docker-compose.yml mounts it, in the stack's network."""
    api = f"http://127.0.0.1:{running.stack.port('prometheus', 9090)}/api/v1"
    rules_file = ROOT / "deploy" / "prometheus" / "alerts.yml"
    alerts = {
        rule["alert"]
        for group in yaml.safe_load(rules_file.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    with httpx.Client(timeout=10) as client:
        deadline = time.monotonic() + 120  # the first scrape comes within an interval (15 s)
        while True:
            targets = client.get(f"{api}/targets").json()["data"]["activeTargets"]
            down = {t["scrapeUrl"]: t["lastError"] for t in targets if t["health"] != "up"}
            if (targets and not down) or time.monotonic() > deadline:
                break
            time.sleep(3)
        assert targets and not down, f"targets not up: {down}"
        scraped = {(t["labels"]["job"], urlsplit(t["scrapeUrl"]).netloc) for t in targets}
        for application, port in APPLICATION_PORTS.items():
            assert ("services", f"{application}:{port}") in scraped
        assert ("rabbitmq-queues", "rabbitmq:15692") in scraped

        def query(expression: str) -> dict[str, str]:
            answer = client.get(f"{api}/query", params={"query": expression}).json()
            assert answer["status"] == "success", answer
            return {
                json.dumps(series["metric"], sort_keys=True): series["value"][1]
                for series in answer["data"]["result"]
            }

        ready = query("min by (service) (service_ready)")
        assert ready == {
            json.dumps({"service": service}): "1"
            for service in APPLICATION_PORTS
            if service != "console"
        }, "every service is ready as the database and the broker see it"
        dead_letters = query('rabbitmq_detailed_queue_messages{queue=~".+\\\\.dead-letters"}')
        assert len(dead_letters) >= 4, "each service's dead-letter depth is scraped"
        groups = client.get(f"{api}/rules").json()["data"]["groups"]
        loaded = {rule["name"] for group in groups for rule in group["rules"]}
        assert alerts <= loaded, f"rules not loaded: {alerts - loaded}"


def test_the_applications_traces_reach_the_collector_one_trace_across_services(
    running: Running,
) -> None:
    """The registration of test_a_portal_registration_is_counted_through_the_gateway went
    through several services: its spans come to the collector in one trace."""
    deadline = time.monotonic() + 60  # spans are sent in batches, every 5 s
    while True:
        spans = received_spans(running.spans)
        by_trace: dict[str, set[str]] = {}
        for span in spans:
            by_trace.setdefault(span.trace_id, set()).add(span.service)
        across = [services for services in by_trace.values() if len(services) > 1]
        if across or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert across, f"no trace spans two services: {sorted(by_trace.values(), key=len)[-3:]}"
    assert all(services <= set(APPLICATION_PORTS) for services in across)
    served = {(span.service, span.name) for span in spans if span.kind == SERVER_SPAN}
    assert any(service == "reporting" and "/count" in name for service, name in served), (
        "the count read through the gateway is a server span of reporting"
    )


LISTENING = """\
import sys
ports = set()
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
        lines = open(table).read().splitlines()[1:]
    except OSError:
        continue
    for line in lines:
        fields = line.split()
        if fields[3] == "0A":  # LISTEN
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
print(" ".join(str(port) for port in sorted(ports)))
"""


@pytest.mark.parametrize("application", sorted(APPLICATION_PORTS))
def test_applications_run_as_non_root_on_a_read_only_root_with_only_their_port(
    running: Running, application: str
) -> None:
    container = running.stack.containers()[application]
    details = running.stack.inspect(container.id)
    port = APPLICATION_PORTS[application]
    assert engine("exec", container.id, "id", "-u").stdout.strip() == "10001"
    assert details["HostConfig"]["ReadonlyRootfs"] is True
    written = engine("exec", container.id, "touch", "/app/written", check=False)
    assert written.returncode != 0 and "Read-only file system" in written.stderr
    image = json.loads(engine("image", "inspect", details["Image"]).stdout)[0]
    assert set(image["Config"]["ExposedPorts"]) == {f"{port}/tcp"}
    assert set(details["HostConfig"]["PortBindings"]) == {f"{port}/tcp"}
    listening = engine("exec", container.id, "python", "-c", LISTENING).stdout.split()
    assert listening == [str(port)], f"{application} listens on {listening}"
