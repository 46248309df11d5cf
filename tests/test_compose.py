"""Static checks of what `docker compose up` and operations use; no Docker engine needed.

docker-compose.yml, the Dockerfile (read for each application's build args, the way
BuildKit reads it), .dockerignore, deploy/postgres/init.sql and deploy/rabbitmq/* are
checked against the repository and against the code they configure: settings fields, the
Postgres bootstrap SQL and the broker topology in ``shared``.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import importlib
import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from shared.bootstrap import roles_and_schemas_sql
from shared.brokerdefinitions import password_placeholder
from shared.settings import ServiceSettings
from shared.topology import (
    CONTACTS_EXCHANGE,
    DEAD_LETTER_EXCHANGE,
    EVENTS_EXCHANGE,
    INBOUND_EXCHANGE,
    UNROUTED,
    UNROUTED_EXCHANGE,
    UNROUTED_QUEUE,
    ServiceTopology,
)

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DEFINITIONS_FILE = ROOT / "deploy" / "rabbitmq" / "definitions.json"
INIT_SQL = ROOT / "deploy" / "postgres" / "init.sql"
# One Dockerfile for every application: `docker build --build-arg SERVICE=<application> .`
DOCKERFILE = ROOT / "Dockerfile"

SERVICE_PORTS = {"registry": 8001, "matching": 8002, "notifications": 8003, "reporting": 8004}
SERVICES = tuple(SERVICE_PORTS)
PREFIXES = {service: f"{service.upper()}_" for service in SERVICES}
INFRASTRUCTURE = ("postgres", "rabbitmq", "mailpit", "keycloak")
# Python programs of this repository that compose runs: the services and the console.
APPLICATION_PORTS = {**SERVICE_PORTS, "console": 8005}
APPLICATIONS = tuple(APPLICATION_PORTS)
# Containers that do one thing and exit 0.
ONE_SHOT = {f"migrate-{service}" for service in (*SERVICES, "console")} | {"issuer-keys"}
GATEWAY_TEMPLATE = ROOT / "deploy" / "gateway" / "templates" / "default.conf.template"
REALM_FILE = ROOT / "deploy" / "keycloak" / "realm-warszawa.json"
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
VHOST = "/"


# --------------------------------------------------------------------------- helpers


@cache
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


def compose_services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = compose()["services"]
    return services


def as_argv(command: str | list[str] | None) -> list[str]:
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def service_module(container: dict[str, Any]) -> str | None:
    """``matching`` for a container whose command is ``python -m matching ...``."""
    argv = as_argv(container.get("command"))
    if len(argv) >= 3 and argv[0] in ("python", "python3") and argv[1] == "-m":
        return argv[2]
    return None


def environment(container: dict[str, Any]) -> dict[str, str]:
    env = container.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) for item in env)
        return {key: value for key, value in pairs}
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def depends_on(container: dict[str, Any]) -> dict[str, str]:
    deps = container.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def published_ports(container: dict[str, Any]) -> list[tuple[int, int]]:
    """(host port, container port) for every published port, short or long syntax."""
    ports: list[tuple[int, int]] = []
    for entry in container.get("ports") or []:
        if isinstance(entry, dict):
            ports.append((int(entry["published"]), int(entry["target"])))
            continue
        spec = str(entry).split("/", 1)[0]
        parts = spec.split(":")
        assert len(parts) in (2, 3), f"publish host and container port explicitly: {entry!r}"
        ports.append((int(parts[-2]), int(parts[-1])))
    return ports


def bind_mounts(container: dict[str, Any]) -> list[tuple[str, str]]:
    """(host path, container path) of every bind mount; named volumes are left out."""
    mounts: list[tuple[str, str]] = []
    for entry in container.get("volumes") or []:
        if isinstance(entry, dict):
            if entry.get("type") == "bind":
                mounts.append((entry["source"], entry["target"]))
            continue
        source, target = str(entry).split(":")[:2]
        if source.startswith((".", "/", "~")):
            mounts.append((source, target))
    return mounts


def named_volumes(container: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for entry in container.get("volumes") or []:
        if isinstance(entry, dict):
            if entry.get("type") == "volume":
                names.append(entry["source"])
            continue
        source = str(entry).split(":")[0]
        if not source.startswith((".", "/", "~")):
            names.append(source)
    return names


def settings_fields(service: str) -> set[str]:
    """Field names of the service's settings: ServiceSettings plus its own subclass, if any."""
    fields = set(ServiceSettings.model_fields)
    try:
        module = importlib.import_module(f"{service}.settings")
    except ModuleNotFoundError as error:
        if error.name not in (service, f"{service}.settings"):
            raise
        return fields
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, ServiceSettings)
            and value is not ServiceSettings
        ):
            prefix = value.model_config.get("env_prefix")
            assert prefix == PREFIXES[service], f"{value.__name__} reads {prefix!r}"
            fields |= set(value.model_fields)
    return fields


@cache
def definitions() -> dict[str, Any]:
    data = json.loads(DEFINITIONS_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def permissions_of(user: str) -> dict[str, str]:
    matches = [p for p in definitions()["permissions"] if p["user"] == user and p["vhost"] == VHOST]
    assert len(matches) == 1, f"user {user!r} needs exactly one permission entry on {VHOST!r}"
    permissions: dict[str, str] = matches[0]
    return permissions


def broker_allows(regex: str, resource: str) -> bool:
    """RabbitMQ's check: an empty pattern grants nothing, otherwise an (unanchored) regex
    search on the resource name. Anchoring matters: ``matching`` alone would also grant
    ``matching.dead-letters`` and ``not-matching``, so the regexes here are anchored and
    a search equals ``re.fullmatch`` on them."""
    return regex != "" and re.search(regex, resource) is not None


def verify_rabbit_sha256(password: str, encoded: str) -> bool:
    """rabbit_password_hashing_sha256: base64(salt[4] + sha256(salt + password))."""
    raw = base64.b64decode(encoded, validate=True)
    salt, digest = raw[:4], raw[4:]
    return len(salt) == 4 and hashlib.sha256(salt + password.encode()).digest() == digest


def required_permissions(service: str) -> set[tuple[str, str]]:
    """What the broker checks when ``declare_service_topology(shared=False)`` runs as this
    service (the definitions hold the shared exchanges), and when it publishes and
    consumes, following rabbit_channel's rules: declaring a queue needs configure on it; a
    binding needs write on the destination and read on the source exchange; a queue
    declared with a dead-letter exchange needs read on itself and write on the DLX;
    publishing needs write (the relay's unrouted fallback included), consuming read."""
    topology = ServiceTopology(service=service)
    needed = {
        ("configure", topology.dead_letter_queue),
        ("write", topology.dead_letter_queue),
        ("read", DEAD_LETTER_EXCHANGE),
        ("configure", topology.queue),
        ("read", topology.queue),
        ("write", DEAD_LETTER_EXCHANGE),
        ("write", topology.queue),
        ("read", EVENTS_EXCHANGE),
        ("write", EVENTS_EXCHANGE),
        ("write", UNROUTED[EVENTS_EXCHANGE]),
    }
    if service == "matching":
        needed |= {
            ("read", INBOUND_EXCHANGE),
            ("write", CONTACTS_EXCHANGE),
            ("write", UNROUTED[CONTACTS_EXCHANGE]),
        }
    if service == "notifications":
        needed.add(("read", CONTACTS_EXCHANGE))
    return needed


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, rest = full.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    return instructions


# Instructions whose arguments Docker expands with the build args and ENV in scope (RUN's
# are expanded by the shell, from the same values in its environment). CMD, ENTRYPOINT and
# HEALTHCHECK keep theirs as written.
EXPANDED = frozenset(
    {"ADD", "COPY", "ENV", "EXPOSE", "LABEL", "RUN", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}
)
# Where an unknown variable may stand: the base image's ENV (``$PATH``) or the shell's own.
LENIENT = frozenset({"ENV", "RUN"})
VARIABLE = re.compile(r"\$\{(?P<braced>\w+)(?P<required>:?\?[^}]*)?\}|\$(?P<plain>\w+)")


# An image reference as Docker parses it: path components of lower-case letters and digits
# joined by separators (never ending in one), an optional registry host, tag and digest.
IMAGE_REFERENCE = re.compile(
    r"(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?"
)


class DockerfileError(Exception):
    """What would stop `docker build` (or what this model of it does not know)."""


@dataclass
class DockerStage:
    name: str  # lower case, as stage names are matched
    base: str  # an image, or an earlier stage's name
    instructions: list[tuple[str, str]] = field(default_factory=list)  # expanded
    env: dict[str, str] = field(default_factory=dict)  # in effect at the end of the stage
    needs: set[str] = field(default_factory=set)  # stages it is FROM or COPYs --from


def substitute(text: str, variables: Mapping[str, str], *, strict: bool) -> str:
    """Docker's ``$NAME``, ``${NAME}`` and ``${NAME:?}`` (stops the build when unset or empty)."""

    def value(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("plain")
        required = match.group("required")
        known = variables.get(name)
        if required is not None:
            if known is None or (required.startswith(":") and not known):
                raise DockerfileError(f"{name} is required: {match.group(0)}")
            return known
        if known is not None:
            return known
        if strict:
            raise DockerfileError(f"{match.group(0)} is not defined")
        return match.group(0)

    result = VARIABLE.sub(value, text)
    if strict and "$" in result:
        raise DockerfileError(f"a substitution this model does not know: {text}")
    return result


def declare_args(
    arguments: str,
    scope: dict[str, str],
    build_args: Mapping[str, str],
    inherited: Mapping[str, str],
) -> None:
    """``ARG NAME[=default]``: a build arg wins over the default; without a default, a stage's
    ARG takes the value of the global ARG of that name."""
    for word in arguments.split():
        name, has_default, default = word.partition("=")
        if name in build_args:
            scope[name] = build_args[name]
        elif has_default:
            scope[name] = substitute(default, scope, strict=True)
        elif name in inherited:
            scope[name] = inherited[name]


def docker_build(build_args: Mapping[str, str]) -> list[DockerStage]:
    """The stages `docker build` builds from the Dockerfile with these build args, in the
    file's order, the image's stage last: BuildKit builds only what the last stage needs
    (the stages it is FROM and COPYs --from), and expands its arguments (see EXPANDED)."""
    instructions = dockerfile_instructions(DOCKERFILE)
    global_args: dict[str, str] = {}
    while instructions and instructions[0][0] != "FROM":
        keyword, arguments = instructions.pop(0)
        if keyword != "ARG":
            raise DockerfileError(f"{keyword} before the first FROM")
        declare_args(arguments, global_args, build_args, {})
    stages: dict[str, DockerStage] = {}
    stage: DockerStage | None = None
    args: dict[str, str] = {}
    for keyword, arguments in instructions:
        if keyword == "FROM":
            words = [word for word in arguments.split() if not word.startswith("--")]
            base = substitute(words[0], global_args, strict=True)
            named = len(words) == 3 and words[1].upper() == "AS"
            name = words[2].lower() if named else str(len(stages))
            parent = stages.get(base.lower())
            if parent is None and not IMAGE_REFERENCE.fullmatch(base):
                raise DockerfileError(f"FROM {words[0]}: {base!r} is neither a stage nor an image")
            stage = DockerStage(name=name, base=base)
            if parent is not None:
                stage.env.update(parent.env)
                stage.needs.add(parent.name)
            stages[name] = stage
            args = {}
            continue
        if stage is None:
            raise DockerfileError(f"{keyword} outside a stage")
        variables = {**args, **stage.env}
        if keyword == "ARG":
            declare_args(arguments, args, build_args, global_args)
        elif keyword in EXPANDED:
            arguments = substitute(arguments, variables, strict=keyword not in LENIENT)
        if keyword == "ENV":
            for pair in shlex.split(arguments):
                key, _, value = pair.partition("=")
                stage.env[key] = value
        if keyword in ("COPY", "ADD"):
            for word in arguments.split():
                if word.startswith("--from=") and word.removeprefix("--from=").lower() in stages:
                    stage.needs.add(word.removeprefix("--from=").lower())
        stage.instructions.append((keyword, arguments))
    if stage is None:
        raise DockerfileError("no FROM")
    needed: set[str] = set()
    pending = [stage.name]
    while pending:
        name = pending.pop()
        if name not in needed:
            needed.add(name)
            pending.extend(stages[name].needs)
    return [built for built in stages.values() if built.name in needed]


def image_stages(application: str) -> list[DockerStage]:
    """The stages that make up the application's image: its own and those it is FROM, base
    first (what it COPYs from other stages is built, but no part of it)."""
    built = docker_build({"SERVICE": application})
    by_name = {stage.name: stage for stage in built}
    chain = [built[-1]]
    while chain[0].base.lower() in by_name:
        chain.insert(0, by_name[chain[0].base.lower()])
    return chain


def image_instructions(application: str) -> list[tuple[str, str]]:
    """The instructions that made the application's image, with its build args expanded."""
    return [
        instruction for stage in image_stages(application) for instruction in stage.instructions
    ]


def image_env(application: str) -> dict[str, str]:
    """The ENV the application's image sets (the base image's own left out)."""
    return dict(image_stages(application)[-1].env)


def build_args(container: dict[str, Any]) -> dict[str, str]:
    args = container["build"].get("args") or {}
    if isinstance(args, list):
        pairs = (item.split("=", 1) for item in args)
        return {key: value for key, value in pairs}
    return {str(key): str(value) for key, value in args.items()}


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored_by_docker(relative: str, patterns: list[str]) -> bool:
    """Enough of .dockerignore's matching for the patterns we use (no ``!`` exceptions)."""
    parts = Path(relative).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        for prefix in prefixes:
            if fnmatch.fnmatch(prefix, pattern):
                return True
            if pattern.startswith("**/") and fnmatch.fnmatch(prefix.split("/")[-1], pattern[3:]):
                return True
    return False


# --------------------------------------------------------------------------- compose


def test_compose_has_infrastructure_and_every_service_with_its_migration() -> None:
    services = compose_services()
    for name in INFRASTRUCTURE:
        assert name in services, f"compose service {name!r} is missing"
    for service in SERVICES:
        assert service in services, f"compose service {service!r} is missing"
        assert f"migrate-{service}" in services, f"compose service migrate-{service} is missing"


@pytest.mark.parametrize("name", sorted(compose()["services"]))
def test_build_context_and_dockerfile_exist(name: str) -> None:
    build = compose_services()[name].get("build")
    if build is None:
        return
    if isinstance(build, str):
        build = {"context": build}
    context = (ROOT / build.get("context", ".")).resolve()
    assert context.is_dir(), f"{name}: build context {context} does not exist"
    dockerfile = context / build.get("dockerfile", "Dockerfile")
    assert dockerfile.is_file(), f"{name}: dockerfile {dockerfile} does not exist"


@pytest.mark.parametrize("name", sorted(compose()["services"]))
def test_command_module_exists(name: str) -> None:
    container = compose_services()[name]
    if "build" not in container or name == "issuer-keys":
        return
    module = service_module(container)
    assert module in APPLICATIONS, f"{name}: command must be `python -m <service>`"
    main = ROOT / "services" / module / "src" / module / "__main__.py"
    assert main.is_file(), f"{name}: {main.relative_to(ROOT)} does not exist"
    build = container["build"]
    assert (ROOT / build.get("context", ".")).resolve() == ROOT, f"{name}: build from the root"
    dockerfile = build.get("dockerfile", "Dockerfile")
    assert (ROOT / dockerfile).resolve() == DOCKERFILE, f"{name} is built from {dockerfile}"
    args = build_args(container)
    assert args == {"SERVICE": module}, f"{name} runs {module} in an image built with {args}"


@pytest.mark.parametrize("service", SERVICES)
def test_service_and_migration_commands(service: str) -> None:
    migrate = compose_services()[f"migrate-{service}"]
    assert as_argv(migrate["command"]) == ["python", "-m", service, "migrate"]
    assert depends_on(migrate).get("postgres") == "service_healthy"
    assert str(migrate.get("restart", "no")) == "no", "a one-shot container must not restart"
    assert "ports" not in migrate and "healthcheck" not in migrate

    app = compose_services()[service]
    assert as_argv(app["command"]) == ["python", "-m", service]
    deps = depends_on(app)
    assert deps.get(f"migrate-{service}") == "service_completed_successfully"
    assert deps.get("rabbitmq") == "service_healthy"
    assert app["build"] == migrate["build"], "the migration must run the service's own image"


def test_published_ports_are_unique_and_match_the_services() -> None:
    seen: dict[int, str] = {}
    for name, container in compose_services().items():
        for host, _target in published_ports(container):
            assert host not in seen, f"port {host} is published by {seen[host]} and {name}"
            seen[host] = name
    for service, port in SERVICE_PORTS.items():
        container = compose_services()[service]
        assert published_ports(container) == [(port, port)], f"{service} must publish {port}"
        assert environment(container)[f"{PREFIXES[service]}HTTP_PORT"] == str(port)
        assert environment(container)[f"{PREFIXES[service]}HTTP_HOST"] == "0.0.0.0"
    assert (5672, 5672) in published_ports(compose_services()["rabbitmq"])
    assert (15672, 15672) in published_ports(compose_services()["rabbitmq"])
    assert {(1025, 1025), (8025, 8025)} <= set(published_ports(compose_services()["mailpit"]))


@pytest.mark.parametrize("name", sorted(compose()["services"]))
def test_long_running_containers_have_a_healthcheck(name: str) -> None:
    container = compose_services()[name]
    if name in ONE_SHOT:
        return
    healthcheck = container.get("healthcheck")
    assert healthcheck and not healthcheck.get("disable"), f"{name} has no healthcheck"
    test = as_argv(healthcheck.get("test"))
    assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name}: healthcheck test {test!r}"
    module = service_module(container)
    if module in SERVICES:
        probe = " ".join(test)
        assert f"127.0.0.1:{SERVICE_PORTS[module]}/health/ready" in probe, probe
        assert "curl" not in probe and "wget" not in probe, "slim images have neither"


def test_infrastructure_healthchecks() -> None:
    services = compose_services()
    assert "pg_isready" in as_argv(services["postgres"]["healthcheck"]["test"])
    assert as_argv(services["rabbitmq"]["healthcheck"]["test"]) == [
        "CMD",
        "rabbitmq-diagnostics",
        "-q",
        "ping",
    ]


@pytest.mark.parametrize("name", sorted(compose()["services"]))
def test_mounted_host_files_exist(name: str) -> None:
    container = compose_services()[name]
    for source, target in bind_mounts(container):
        assert not source.startswith(("/", "~")), f"{name}: {source} is outside the repository"
        path = (ROOT / source).resolve()
        assert path.exists(), f"{name}: mounted {source} -> {target} does not exist"
    declared = compose().get("volumes") or {}
    for volume in named_volumes(container):
        assert volume in declared, f"{name}: named volume {volume!r} is not declared"


@pytest.mark.parametrize("name", sorted(compose()["services"]))
def test_env_vars_are_fields_of_the_service_settings(name: str) -> None:
    container = compose_services()[name]
    module = service_module(container)
    env = environment(container)
    prefixed = {key for key in env if key.startswith(tuple(PREFIXES.values()))}
    if module not in SERVICES:
        assert not prefixed, f"{name} sets service settings {sorted(prefixed)}"
        return
    prefix = PREFIXES[module]
    fields = settings_fields(module)
    for key in prefixed:
        assert key.startswith(prefix), f"{name} sets {key}, another service's setting"
        field = key.removeprefix(prefix).lower()
        assert field in fields, f"{name}: {key} is no field of {module}'s settings"
    for required in ("DATABASE_URL", "AMQP_URL"):
        assert prefix + required in env, f"{name} does not set {prefix}{required}"


@pytest.mark.parametrize("service", SERVICES)
def test_services_connect_with_their_own_credentials(service: str) -> None:
    for name in (service, f"migrate-{service}"):
        env = environment(compose_services()[name])
        prefix = PREFIXES[service]
        # Passwords generated by scripts/compose-env.sh into .env: compose fails without them.
        variable = f"${{{service.upper()}_DB_PASSWORD:?}}"
        owner_variable = f"${{{service.upper()}_OWNER_DB_PASSWORD:?}}"
        assert variable in env[f"{prefix}DATABASE_URL"]
        database = urlsplit(env[f"{prefix}DATABASE_URL"].replace(variable, "generated"))
        assert database.scheme == "postgresql+asyncpg"
        assert (database.username, database.password) == (service, "generated")
        assert (database.hostname, database.port) == ("postgres", 5432)
        assert owner_variable in env[f"{prefix}MIGRATION_DATABASE_URL"]
        migrations = urlsplit(env[f"{prefix}MIGRATION_DATABASE_URL"].replace(owner_variable, "x"))
        assert migrations.username == f"{service}_owner"
        assert database.path == "/volunteering"
        broker_variable = f"${{{service.upper()}_BROKER_PASSWORD:?}}"
        assert broker_variable in env[f"{prefix}AMQP_URL"]
        broker = urlsplit(env[f"{prefix}AMQP_URL"].replace(broker_variable, "generated"))
        assert broker.scheme == "amqp"
        assert (broker.username, broker.hostname, broker.port) == (service, "rabbitmq", 5672)
        assert env[f"{prefix}DECLARE_SHARED_TOPOLOGY"] == "false"


def test_depends_on_references_existing_services() -> None:
    services = compose_services()
    for name, container in services.items():
        for dependency, condition in depends_on(container).items():
            assert dependency in services, f"{name} depends on unknown {dependency!r}"
            assert dependency != name
            assert condition in CONDITIONS, f"{name}: unknown condition {condition!r}"
            if condition == "service_healthy":
                assert "healthcheck" in services[dependency], (
                    f"{name} waits for {dependency} to be healthy, which has no healthcheck"
                )
            if condition == "service_completed_successfully":
                assert dependency in ONE_SHOT, f"{dependency} is not one-shot"


def test_postgres_and_rabbitmq_configuration() -> None:
    postgres = compose_services()["postgres"]
    assert str(postgres["image"]).startswith("postgres:16.")
    assert environment(postgres)["POSTGRES_DB"] == "volunteering"
    assert environment(postgres).get("POSTGRES_PASSWORD"), "the postgres image requires one"
    init = [t for s, t in bind_mounts(postgres) if (ROOT / s).resolve() == INIT_SQL]
    assert len(init) == 1 and init[0].startswith("/docker-entrypoint-initdb.d/")
    assert init[0].endswith(".sql")

    rabbitmq = compose_services()["rabbitmq"]
    # RabbitMQ 4.x, the version the definitions file says and the cluster operator runs.
    version = json.loads(DEFINITIONS_FILE.read_text(encoding="utf-8"))["rabbitmq_version"]
    assert version.startswith("4.")
    assert rabbitmq["image"] == f"rabbitmq:{version}-management"
    mounts = {(ROOT / s).resolve(): t for s, t in bind_mounts(rabbitmq)}
    conf_target = mounts[ROOT / "deploy" / "rabbitmq" / "rabbitmq.conf"]
    assert conf_target == "/etc/rabbitmq/rabbitmq.conf"
    assert mounts[ROOT / "deploy" / "rabbitmq" / "enabled_plugins"] == (
        "/etc/rabbitmq/enabled_plugins"
    )
    conf = (ROOT / "deploy" / "rabbitmq" / "rabbitmq.conf").read_text(encoding="utf-8")
    loaded = re.search(r"^load_definitions\s*=\s*(\S+)\s*$", conf, re.MULTILINE)
    assert loaded, "rabbitmq.conf must set load_definitions"
    # The committed definitions are a template; the entrypoint writes what RabbitMQ loads.
    script = (ROOT / "deploy" / "rabbitmq" / "render-definitions.sh").read_text(encoding="utf-8")
    assert f"source={mounts[DEFINITIONS_FILE]}" in script
    assert f"target={loaded.group(1)}" in script
    assert mounts[ROOT / "deploy" / "rabbitmq" / "render-definitions.sh"] in rabbitmq["entrypoint"]
    assert "BROKER_PASSWORD_HASHES" in environment(rabbitmq)
    plugins = (ROOT / "deploy" / "rabbitmq" / "enabled_plugins").read_text(encoding="utf-8")
    assert re.fullmatch(r"\s*\[[a-z_,\s]*\]\.\s*", plugins), "enabled_plugins is an Erlang list"
    assert "rabbitmq_management" in plugins


# A release's version: 1.27.3, v1.21.8, 4.0.9-management, 1.27.3-alpine; not 16, 4.0 or latest.
PINNED_TAG = re.compile(r"v?\d+\.\d+\.\d+(?:-[a-z0-9.]+)?")
# Postgres numbers its releases major.minor since 10: 16.6 is one release.
PINNED_POSTGRES_TAG = re.compile(r"\d+\.\d+")
K8S_BASE = ROOT / "deploy" / "k8s" / "base"


def test_every_image_is_pinned_by_version() -> None:
    built_here = {f"volunteering/{application}" for application in APPLICATIONS}
    for name, service in compose_services().items():
        image = str(service["image"])
        repository, _, tag = image.rpartition(":")
        if repository in built_here:
            assert "build" in service or any(
                other.get("image") == image and "build" in other
                for other in compose_services().values()
            ), f"{name}: {image} is neither built here nor pinned"
            continue
        pattern = PINNED_POSTGRES_TAG if repository == "postgres" else PINNED_TAG
        assert pattern.fullmatch(tag), f"{name}: {image} is not pinned to a release"


def test_compose_and_kubernetes_run_the_same_versions() -> None:
    in_compose = {
        str(service["image"]).rpartition(":")[0]: str(service["image"]).rpartition(":")[2]
        for service in compose_services().values()
    }
    in_k8s = "\n".join(path.read_text(encoding="utf-8") for path in K8S_BASE.glob("*.yaml"))
    for repository in ("rabbitmq", "quay.io/keycloak/keycloak", "nginx"):
        assert f"{repository}:{in_compose[repository]}" in in_k8s, repository
    # CloudNativePG runs its own Postgres images; the same major and minor version.
    postgres = re.search(r"imageName: ghcr.io/cloudnative-pg/postgresql:(\S+)", in_k8s)
    assert postgres and in_compose["postgres"] == postgres.group(1)


# --------------------------------------------------------------------------- postgres


def test_init_sql_is_the_generated_sql() -> None:
    assert INIT_SQL.read_text(encoding="utf-8") == roles_and_schemas_sql(), (
        "deploy/postgres/init.sql is stale: regenerate it with "
        "`uv run python -m shared.bootstrap --print-sql > deploy/postgres/init.sql`"
    )


# --------------------------------------------------------------------------- rabbitmq


def test_definitions_have_the_vhost_and_every_user() -> None:
    data = definitions()
    assert {"name": VHOST} in [{"name": v["name"]} for v in data["vhosts"]]
    users = {user["name"]: user for user in data["users"]}
    for name in (*SERVICES, *CITY_SYSTEMS, "operator"):
        assert name in users, f"broker user {name!r} is missing"
        user = users[name]
        assert "password" not in user, "keep clear-text passwords out of the definitions"
        assert user["hashing_algorithm"] == "rabbit_password_hashing_sha256"
        # Neither a password nor its hash in the repository: the broker's entrypoint puts
        # in the hash of the password scripts/compose-env.sh generated.
        assert user["password_hash"] == password_placeholder(name)
        permissions_of(name)
    assert "administrator" in users["operator"]["tags"]
    for name in (*SERVICES, *CITY_SYSTEMS):
        assert not users[name]["tags"], f"{name} needs no management tags"


def test_operator_may_do_everything() -> None:
    permissions = permissions_of("operator")
    for kind in ("configure", "write", "read"):
        assert permissions[kind] == ".*"


CITY_SYSTEMS = ("portal", "calendar")

SAMPLE_RESOURCES = (
    INBOUND_EXCHANGE,
    UNROUTED_EXCHANGE,
    EVENTS_EXCHANGE,
    DEAD_LETTER_EXCHANGE,
    "amq.default",
    "amq.topic",
    "city.inbound.x",
    "xcity.inbound",
    *SERVICES,
    *(f"{service}.dead-letters" for service in SERVICES),
)


@pytest.mark.parametrize("system", CITY_SYSTEMS)
def test_a_city_system_may_only_write_to_city_inbound(system: str) -> None:
    permissions = permissions_of(system)
    for resource in SAMPLE_RESOURCES:
        assert not broker_allows(permissions["configure"], resource), resource
        assert not broker_allows(permissions["read"], resource), resource
        allowed = broker_allows(permissions["write"], resource)
        assert allowed == (resource == INBOUND_EXCHANGE), f"write on {resource}: {allowed}"
    assert re.fullmatch(permissions["write"], INBOUND_EXCHANGE)


@pytest.mark.parametrize("service", SERVICES)
def test_service_user_may_do_what_its_topology_needs(service: str) -> None:
    permissions = permissions_of(service)
    for kind, resource in sorted(required_permissions(service)):
        assert broker_allows(permissions[kind], resource), f"{service} lacks {kind} on {resource}"


@pytest.mark.parametrize("service", SERVICES)
def test_service_user_is_kept_out_of_the_other_services_queues(service: str) -> None:
    permissions = permissions_of(service)
    own = ServiceTopology(service=service)
    for kind in ("configure", "write", "read"):
        assert broker_allows(permissions[kind], own.queue)
        assert re.fullmatch(permissions[kind], own.queue)
        for other in SERVICES:
            if other == service:
                continue
            topology = ServiceTopology(service=other)
            for queue in (topology.queue, topology.dead_letter_queue):
                assert not broker_allows(permissions[kind], queue), f"{service} {kind} {queue}"
        for foreign in ("amq.default", "amq.topic", f"{service}x", f"x{service}"):
            assert not broker_allows(permissions[kind], foreign), f"{service} {kind} {foreign}"
    # Only city systems publish inbound messages.
    assert not broker_allows(permissions["write"], INBOUND_EXCHANGE)


def test_definitions_topology_matches_what_services_declare() -> None:
    """The services redeclare all of this at start: any difference in type or arguments
    would fail their declaration with PRECONDITION_FAILED."""
    data = definitions()
    exchanges = {(x["vhost"], x["name"]): x for x in data["exchanges"]}
    expected_exchanges = {
        INBOUND_EXCHANGE: ("topic", {"alternate-exchange": UNROUTED_EXCHANGE}),
        UNROUTED_EXCHANGE: ("fanout", {}),
        EVENTS_EXCHANGE: ("topic", {}),
        DEAD_LETTER_EXCHANGE: ("direct", {}),
    }
    for name, (kind, arguments) in expected_exchanges.items():
        exchange = exchanges[(VHOST, name)]
        assert exchange["type"] == kind
        assert exchange["durable"] is True and exchange["auto_delete"] is False
        assert exchange.get("internal", False) is False
        assert exchange["arguments"] == arguments

    queues = {(q["vhost"], q["name"]): q for q in data["queues"]}
    expected_queues: dict[str, dict[str, object]] = {UNROUTED_QUEUE: {"x-queue-type": "quorum"}}
    for service in SERVICES:
        topology = ServiceTopology(service=service)
        expected_queues[topology.queue] = topology.queue_arguments()
        expected_queues[topology.dead_letter_queue] = {"x-queue-type": "quorum"}
    for name, queue_arguments in expected_queues.items():
        queue = queues[(VHOST, name)]
        assert queue["durable"] is True and queue["auto_delete"] is False
        assert queue["arguments"] == queue_arguments, name

    bindings = {
        (b["vhost"], b["source"], b["destination_type"], b["destination"], b["routing_key"])
        for b in data["bindings"]
    }
    expected_bindings = {(VHOST, UNROUTED_EXCHANGE, "queue", UNROUTED_QUEUE, "")}
    for service in SERVICES:
        topology = ServiceTopology(service=service)
        expected_bindings.add(
            (
                VHOST,
                DEAD_LETTER_EXCHANGE,
                "queue",
                topology.dead_letter_queue,
                topology.dead_letter_routing_key,
            )
        )
    expected_bindings.add((VHOST, INBOUND_EXCHANGE, "queue", "matching", "pl.waw.portal.#"))
    assert expected_bindings <= bindings
    for _vhost, source, _kind, destination, _key in bindings:
        assert (VHOST, source) in exchanges, f"binding from unknown exchange {source}"
        assert (VHOST, destination) in queues, f"binding to unknown queue {destination}"


# --------------------------------------------------------------------------- dockerfiles


def application_settings_fields(application: str) -> set[str]:
    if application == "console":
        from console.settings import ConsoleSettings

        return set(ConsoleSettings.model_fields)
    return settings_fields(application)


@pytest.mark.parametrize("application", APPLICATIONS)
def test_dockerfile_copy_sources_exist(application: str) -> None:
    patterns = dockerignore_patterns()
    copies = [
        arguments
        for stage in docker_build({"SERVICE": application})
        for keyword, arguments in stage.instructions
        if keyword == "COPY"
    ]
    assert copies, f"the image of {application} copies nothing"
    for args in copies:
        words = json.loads(args) if args.startswith("[") else args.split()
        flags = [word for word in words if word.startswith("--")]
        if any(flag.startswith("--from=") for flag in flags):
            continue
        paths = [word for word in words if not word.startswith("--")]
        assert len(paths) >= 2, f"COPY {args}"
        for source in paths[:-1]:
            assert (ROOT / source).exists(), f"{application}: COPY source {source} does not exist"
            assert not ignored_by_docker(source, patterns), (
                f"{application}: COPY source {source} is excluded by .dockerignore"
            )


@pytest.mark.parametrize("application", APPLICATIONS)
def test_dockerfile_builds_a_small_non_root_image(application: str) -> None:
    stages = docker_build({"SERVICE": application})
    names = {stage.name for stage in stages}
    bases = {stage.base for stage in stages if stage.base.lower() not in names}
    assert bases == {"python:3.11-slim"}, bases
    text = "\n".join(
        f"{keyword} {args}" for stage in stages for keyword, args in stage.instructions
    )
    assert re.search(r"pip install .*\buv\b", text)
    for last in ("--no-install-workspace", "--no-editable"):
        assert f"uv sync --frozen --no-dev --package {application} {last}" in text

    image = image_instructions(application)
    port = APPLICATION_PORTS[application]
    users = [a for k, a in image if k == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert [a for k, a in image if k == "EXPOSE"] == [str(port)]
    env = image_env(application)
    prefix = f"{application.upper()}_"
    assert env[f"{prefix}HTTP_HOST"] == "0.0.0.0"
    assert env[f"{prefix}HTTP_PORT"] == str(port)
    fields = application_settings_fields(application)
    for key in env:
        for other in APPLICATIONS:
            assert other == application or not key.startswith(f"{other.upper()}_"), key
        if key.startswith(prefix):
            assert key.removeprefix(prefix).lower() in fields, f"{key} is no settings field"
    if application == "console":
        assert env["CONSOLE_DEV_SIGN_IN"] == "false", "development sign-in stays off"
    healthchecks = [a for k, a in image if k == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    _options, separator, probe = healthchecks[0].partition(" CMD ")
    assert separator, f"HEALTHCHECK {healthchecks[0]}"
    argv = json.loads(probe)
    assert argv[:2] == ["python", "-c"], argv
    url = f"'http://127.0.0.1:' + os.environ.get('{prefix}HTTP_PORT', '{port}') + '/health/live'"
    assert url in argv[2], argv[2]
    assert "curl" not in probe and "wget" not in probe
    commands = [a for k, a in image if k == "CMD"]
    assert json.loads(commands[-1]) == ["python", "-m", application]


def test_dockerfile_needs_the_application() -> None:
    with pytest.raises(DockerfileError, match="SERVICE"):
        docker_build({})
    with pytest.raises(DockerfileError, match="SERVICE"):
        docker_build({"SERVICE": ""})
    for application in APPLICATIONS:
        built = [stage.name for stage in docker_build({"SERVICE": application})]
        own = [name for name in built if name.startswith("service-")]
        assert own == [f"service-{application}"], f"{application}'s image builds {built}"


def test_dockerignore_keeps_the_context_small() -> None:
    patterns = dockerignore_patterns()
    for path in (".venv", ".git", "bench/results", "shared/src/shared/__pycache__"):
        assert ignored_by_docker(path, patterns), f"{path} should be in .dockerignore"
    for path in ("uv.lock", "pyproject.toml", "shared/src/shared/settings.py"):
        assert not ignored_by_docker(path, patterns), f"{path} is needed by the images"


# --------------------------------------------------------------------------- sign-in, gateway


def test_console_settings_and_the_issuer_keys_it_shares() -> None:
    from console.settings import ConsoleSettings

    console = compose_services()["console"]
    env = environment(console)
    for key in env:
        if key.startswith("OTEL_"):
            continue  # OpenTelemetry's own variables (shared.observability.tracing)
        assert key.startswith("CONSOLE_"), f"console sets {key}"
        assert key.removeprefix("CONSOLE_").lower() in ConsoleSettings.model_fields, key
    assert as_argv(console["command"]) == ["python", "-m", "console"]
    assert published_ports(console) == [(8005, 8005)]
    keys = compose_services()["issuer-keys"]
    assert keys["build"] == console["build"], "the key is made with the console's own image"
    command = " ".join(as_argv(keys["command"]))
    assert "python -m shared.auth --dev-key /keys/volunteer-signing-key.pem" in command
    assert "> /keys/volunteer-signing-key.pub" in command
    assert env["CONSOLE_VOLUNTEER_SIGNING_KEY_FILE"] == "/keys/volunteer-signing-key.pem"
    assert "CONSOLE_DEV_SIGN_IN" not in env, "development sign-in never runs in the containers"
    for service in SERVICES:
        service_env = environment(compose_services()[service])
        prefix = PREFIXES[service]
        assert service_env[f"{prefix}AUTH_VOLUNTEER_PUBLIC_KEY_FILE"] == (
            "/keys/volunteer-signing-key.pub"
        )
        assert service_env[f"{prefix}AUTH_VOLUNTEER_ISSUER"] == env["CONSOLE_VOLUNTEER_ISSUER"]
        assert service_env[f"{prefix}AUTH_ISSUER"] == env["CONSOLE_OIDC_ISSUER"]
        assert "issuer-keys" in named_volumes(compose_services()[service])
    notifications = environment(compose_services()["notifications"])
    assert (
        notifications["NOTIFICATIONS_VOLUNTEER_LINK_SECRET"]
        == (env["CONSOLE_VOLUNTEER_LINK_SECRET"])
    )
    assert notifications["NOTIFICATIONS_CONSOLE_PUBLIC_URL"] == env["CONSOLE_PUBLIC_URL"]


def test_keycloak_imports_the_realm_the_services_trust() -> None:
    keycloak = compose_services()["keycloak"]
    assert "--import-realm" in as_argv(keycloak["command"])
    assert "--http-relative-path=/auth" in as_argv(keycloak["command"])
    mounted = [t for s, t in bind_mounts(keycloak) if (ROOT / s).resolve() == REALM_FILE]
    assert mounted and mounted[0].startswith("/opt/keycloak/data/import/")
    realm = json.loads(REALM_FILE.read_text(encoding="utf-8"))
    hostname = environment(keycloak)["KC_HOSTNAME"]
    issuer = f"{hostname}/realms/{realm['realm']}"
    for service in SERVICES:
        env = environment(compose_services()[service])
        assert env[f"{PREFIXES[service]}AUTH_ISSUER"] == issuer
        assert env[f"{PREFIXES[service]}AUTH_JWKS_URL"].endswith(
            f"/auth/realms/{realm['realm']}/protocol/openid-connect/certs"
        )
    assert {role["name"] for role in realm["roles"]["realm"]} == {
        "city_admin", "trainer", "coordinator", "district_admin", "volunteer",
    }  # fmt: skip
    client = next(c for c in realm["clients"] if c["clientId"] == "staff-console")
    assert client["publicClient"] and client["standardFlowEnabled"]
    assert not client["implicitFlowEnabled"] and not client["directAccessGrantsEnabled"]
    assert client["attributes"]["pkce.code.challenge.method"] == "S256"
    mappers = {
        mapper["name"]: mapper["config"]
        for scope in realm["clientScopes"]
        if scope["name"] in client["defaultClientScopes"]
        for mapper in scope["protocolMappers"]
    }
    audience = ServiceSettings.model_fields["auth_audience"].default
    assert mappers["audience"]["included.custom.audience"] == audience
    assert mappers["roles"]["claim.name"] == "roles"
    assert mappers["branches"]["claim.name"] == "branches"
    for user in realm["users"]:
        staff_roles = {"city_admin", "trainer", "coordinator", "district_admin"}
        assert set(user["realmRoles"]) <= staff_roles, user["id"]


def test_gateway_fills_every_placeholder_and_routes_to_the_containers() -> None:
    gateway = compose_services()["gateway"]
    assert str(gateway["image"]).startswith("nginx:")
    mounted = [
        t for s, t in bind_mounts(gateway) if (ROOT / s).resolve() == GATEWAY_TEMPLATE.parent
    ]
    assert mounted == ["/etc/nginx/templates"]
    env = environment(gateway)
    placeholders = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", GATEWAY_TEMPLATE.read_text()))
    assert placeholders == set(env), "the template's placeholders and the gateway's env differ"
    containers = compose_services()
    for application in APPLICATIONS:
        host, port = env[f"UPSTREAM_{application.upper()}"].split(":")
        assert host == application
        assert environment(containers[application])[f"{application.upper()}_HTTP_PORT"] == port
    assert env["UPSTREAM_AUTH"] == "keycloak:8080"
    assert published_ports(gateway) == [(8080, int(env["GATEWAY_PORT"]))]
    console = environment(containers["console"])
    assert console["CONSOLE_API_URL"] == f"http://gateway:{env['GATEWAY_PORT']}/api"


@pytest.mark.parametrize("application", APPLICATIONS)
def test_each_image_copies_every_workspace_manifest(application: str) -> None:
    # `uv sync --frozen` resolves the whole workspace: a missing member's manifest fails it.
    members = sorted(
        str(path.parent.relative_to(ROOT))
        for path in [ROOT / "shared" / "pyproject.toml", *ROOT.glob("services/*/pyproject.toml")]
    )
    copies = {
        arguments.split()[0]
        for stage in docker_build({"SERVICE": application})
        for keyword, arguments in stage.instructions
        if keyword == "COPY"
    }
    for member in members:
        assert f"{member}/pyproject.toml" in copies, f"{application}'s image misses {member}"
