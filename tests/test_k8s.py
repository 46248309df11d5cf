"""Static checks of the Kubernetes manifests in deploy/k8s/base (no cluster needed).

The four services, the staff console and the gateway: every variable a manifest sets is a
field of the settings it configures, ports and probes meet the code's own, images and
commands exist, the gateway's template is the repository's, and the console and the
services agree on issuers, keys and link secrets.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from fastapi import FastAPI
from pydantic_settings import BaseSettings
from starlette.routing import Match

from scripts.k8s import render
from tests.test_compose import image_instructions

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s" / "base"
COMPOSE_FILE = ROOT / "docker-compose.yml"
GATEWAY_TEMPLATE = ROOT / "deploy" / "gateway" / "templates" / "default.conf.template"
SERVICE_PORTS = {"registry": 8001, "matching": 8002, "notifications": 8003, "reporting": 8004}
SERVICES = tuple(SERVICE_PORTS)
# Python programs of this repository: an image volunteering/<name>, `python -m <name>`.
APPLICATION_PORTS = {**SERVICE_PORTS, "console": 8005}
APPLICATIONS = tuple(APPLICATION_PORTS)
NAMESPACE = "volunteering"
PLACEHOLDER = "CHANGE-ME"
# The volunteer-session key: made by operations, never in git (see console.yaml).
SIGNING_KEY_SECRET = "volunteer-issuer-signing-key"
PUBLIC_KEY_SECRET = "volunteer-issuer-public-key"
EXTERNAL_SECRETS = {SIGNING_KEY_SECRET, PUBLIC_KEY_SECRET}
# The official nginx image renders templates from here into conf.d at start.
NGINX_TEMPLATES = "/etc/nginx/templates"
NGINX_WRITABLE = ("/etc/nginx/conf.d", "/var/cache/nginx", "/var/run")
PLACEHOLDER_PATTERN = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


# --------------------------------------------------------------------------- helpers


def manifest_files() -> list[Path]:
    return sorted([*K8S.glob("*.yaml"), *K8S.glob("*.yml")])


@cache
def documents() -> list[dict[str, Any]]:
    """The base as Kustomize renders it."""
    return render(K8S)


def find(kind: str, name: str) -> dict[str, Any]:
    matches = [d for d in documents() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name!r}, found {len(matches)}"
    return matches[0]


def names_of(kind: str) -> set[str]:
    return {d["metadata"]["name"] for d in documents() if d["kind"] == kind}


def settings_class(application: str) -> type[BaseSettings]:
    """The settings class ``<application>.settings`` defines for the prefix ``<APPLICATION>_``."""
    module = importlib.import_module(f"{application}.settings")
    prefix = f"{application.upper()}_"
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, BaseSettings)
        and value.__module__ == module.__name__
        and value.model_config.get("env_prefix") == prefix
    ]
    assert len(classes) == 1, f"{module.__name__} needs one settings class reading {prefix}"
    return classes[0]


def settings_fields(application: str) -> set[str]:
    return set(settings_class(application).model_fields)


def pod_spec(deployment: str) -> dict[str, Any]:
    spec: dict[str, Any] = find("Deployment", deployment)["spec"]["template"]["spec"]
    return spec


def only_container(pod_spec: dict[str, Any]) -> dict[str, Any]:
    containers = pod_spec["containers"]
    assert len(containers) == 1
    container: dict[str, Any] = containers[0]
    return container


def env_of(container: dict[str, Any]) -> dict[str, str]:
    env: dict[str, str] = {}
    for item in container.get("env", []):
        assert isinstance(item.get("value"), str), f"{item['name']}: give a string value"
        env[item["name"]] = item["value"]
    return env


def secret_data(name: str) -> dict[str, str]:
    secret = find("Secret", name)
    return {**secret.get("data", {}), **secret.get("stringData", {})}


def resolve_port(port: int | str, container: dict[str, Any]) -> int:
    if isinstance(port, int):
        return port
    named = [p["containerPort"] for p in container.get("ports", []) if p.get("name") == port]
    assert named, f"no container port named {port!r}"
    return int(named[0])


def mounted_secret_file(pod: dict[str, Any], path: str) -> tuple[str, str, dict[str, Any]]:
    """(Secret, key, volume's secret source) of the file at ``path`` in the pod's container."""
    container = only_container(pod)
    wanted = PurePosixPath(path)
    for mount in container.get("volumeMounts", []):
        directory = PurePosixPath(mount["mountPath"])
        if directory not in wanted.parents:
            continue
        assert mount.get("readOnly") is True, f"mount {directory} read-only"
        (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
        source: dict[str, Any] = volume["secret"]
        relative = str(wanted.relative_to(directory))
        items = source.get("items")
        if items is None:
            return source["secretName"], relative, source
        keys = [item["key"] for item in items if item["path"] == relative]
        assert keys, f"{source['secretName']} puts no key at {path}"
        return source["secretName"], keys[0], source
    raise AssertionError(f"nothing is mounted at {path}")


def matches_a_route(app: FastAPI, path: str) -> bool:
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "root_path": "",
        "query_string": b"",
        "headers": [],
    }
    return any(route.matches(scope)[0] is Match.FULL for route in app.router.routes)


def http_app(application: str) -> FastAPI:
    """The application's HTTP app, built without connecting anywhere."""
    if application == "console":
        from console.app import build_app
        from console.settings import ConsoleSettings

        return build_app(ConsoleSettings(session_secret="test", volunteer_link_secret="test"))
    module = importlib.import_module(f"{application}.app")
    http: FastAPI = module.build_service().http
    return http


def image_last(application: str, instruction: str) -> str:
    """The image's last ``instruction``: the root Dockerfile built with SERVICE=<application>."""
    values = [args for keyword, args in image_instructions(application) if keyword == instruction]
    assert values, f"the image of {application} has no {instruction}"
    return values[-1]


def template_text() -> str:
    return GATEWAY_TEMPLATE.read_text(encoding="utf-8")


def template_placeholders() -> set[str]:
    return set(PLACEHOLDER_PATTERN.findall(template_text()))


def compose_gateway() -> dict[str, Any]:
    gateway: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["services"][
        "gateway"
    ]
    return gateway


# --------------------------------------------------------------------------- all manifests


def test_every_manifest_parses_and_is_a_kubernetes_object() -> None:
    assert manifest_files(), "deploy/k8s has no manifests"
    for doc in documents():
        assert doc.get("apiVersion") and doc.get("kind"), doc
        assert doc.get("metadata", {}).get("name"), doc
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == NAMESPACE, doc["metadata"]
    find("Namespace", NAMESPACE)
    deployments = names_of("Deployment")
    api_only = {f"{service}-api" for service in SERVICES}
    assert deployments == {*APPLICATIONS, "gateway", *api_only}, deployments


def test_secrets_in_git_hold_placeholders_only() -> None:
    for name in names_of("Secret"):
        for key, value in secret_data(name).items():
            assert PLACEHOLDER in str(value), f"Secret {name}: {key} looks like a real secret"
    assert not EXTERNAL_SECRETS & names_of("Secret"), "the issuer's key is never in git"


@pytest.mark.parametrize("deployment", sorted([*APPLICATIONS, "gateway"]))
def test_deployment_is_hardened_and_sized(deployment: str) -> None:
    spec = find("Deployment", deployment)["spec"]
    assert spec["replicas"] == 2
    labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= labels.items()
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0
    container = only_container(pod)
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"]["drop"] == ["ALL"]
    resources = container["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"])
    assert "memory" in resources["limits"]
    assert container["readinessProbe"]["httpGet"] and container["livenessProbe"]["httpGet"]
    env_of(container)  # every value a string
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        assert mount["name"] in volumes, f"{deployment} mounts an undeclared {mount['name']}"
    for volume in volumes.values():
        if "configMap" in volume:
            assert volume["configMap"]["name"] in names_of("ConfigMap")
        if "secret" in volume:
            name = volume["secret"]["secretName"]
            assert name in names_of("Secret") | EXTERNAL_SECRETS, f"no Secret {name}"
    for source in container.get("envFrom", []):
        assert source["secretRef"]["name"] in names_of("Secret")


# --------------------------------------------------------------------------- services, console


@pytest.mark.parametrize("application", APPLICATIONS)
def test_deployment_probes_hit_the_health_routes_on_the_service_port(application: str) -> None:
    container = only_container(pod_spec(application))
    port = APPLICATION_PORTS[application]
    assert settings_class(application).model_fields["http_port"].default == port
    assert [p["containerPort"] for p in container["ports"]] == [port]
    readiness = container["readinessProbe"]["httpGet"]
    liveness = container["livenessProbe"]["httpGet"]
    assert readiness["path"] == "/health/ready"
    assert liveness["path"] == "/health/live"
    assert resolve_port(readiness["port"], container) == port
    assert resolve_port(liveness["port"], container) == port
    app = http_app(application)
    for path in (readiness["path"], liveness["path"]):
        assert matches_a_route(app, path), f"{application} serves no {path}"
    assert not matches_a_route(app, "/health/no-such-route")


@pytest.mark.parametrize("application", APPLICATIONS)
def test_image_and_command_are_the_applications(application: str) -> None:
    pod = pod_spec(application)
    container = only_container(pod)
    assert container["command"] == ["python", "-m", application]
    assert importlib.util.find_spec(f"{application}.__main__") is not None
    image, _, tag = container["image"].partition(":")
    assert image == f"volunteering/{application}" and tag
    assert json.loads(image_last(application, "CMD")) == container["command"]
    user, _, group = image_last(application, "USER").partition(":")
    assert pod["securityContext"]["runAsUser"] == int(user)
    assert pod["securityContext"]["runAsGroup"] == int(group or user)


@pytest.mark.parametrize("application", APPLICATIONS)
def test_settings_come_from_env_and_a_secret_of_the_application(
    application: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = f"{application.upper()}_"
    fields = settings_fields(application)
    secret = secret_data(application)
    container = only_container(pod_spec(application))
    env = env_of(container)
    assert env[f"{prefix}HTTP_HOST"] == "0.0.0.0"
    assert env[f"{prefix}HTTP_PORT"] == str(APPLICATION_PORTS[application])
    assert not set(secret) & set(env), "a setting given twice"
    for key in {*secret, *env}:
        assert key.startswith(prefix), f"{application} is given {key}"
        assert key.removeprefix(prefix).lower() in fields, f"{key} is no settings field"
    refs = [source["secretRef"]["name"] for source in container.get("envFrom", [])]
    assert refs == [application]
    # The settings load from exactly these values (types, validators, required secrets).
    for name in [key for key in os.environ if key.startswith(prefix)]:
        monkeypatch.delenv(name)
    for key, value in {**secret, **env}.items():
        monkeypatch.setenv(key, str(value))
    settings_class(application)()


@pytest.mark.parametrize("service", SERVICES)
def test_service_secret_has_its_database_and_broker(service: str) -> None:
    prefix = f"{service.upper()}_"
    assert {f"{prefix}DATABASE_URL", f"{prefix}AMQP_URL"} <= set(secret_data(service))


# The console keeps its sessions and used links in its own schema: it migrates too.
@pytest.mark.parametrize("service", [*SERVICES, "console"])
def test_migration_job_runs_migrate_with_the_same_secret(service: str) -> None:
    job = find("Job", f"{service}-migrate")
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] in ("OnFailure", "Never")
    container = only_container(pod)
    assert container["command"] == ["python", "-m", service, "migrate"]
    assert [s["secretRef"]["name"] for s in container["envFrom"]] == [service]
    deployment = only_container(pod_spec(service))
    assert container["image"] == deployment["image"], "migrations must match the image"


@pytest.mark.parametrize("application", APPLICATIONS)
def test_service_routes_to_the_deployment_port(application: str) -> None:
    svc = find("Service", application)
    assert svc["spec"].get("type", "ClusterIP") == "ClusterIP"
    deployment = find("Deployment", application)
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["selector"].items() <= pod_labels.items()
    if application in SERVICES:
        job_labels = find("Job", f"{application}-migrate")["spec"]["template"]["metadata"]
        assert not svc["spec"]["selector"].items() <= job_labels["labels"].items(), "a Job"
    container = only_container(deployment["spec"]["template"]["spec"])
    (port,) = svc["spec"]["ports"]
    assert port["port"] == APPLICATION_PORTS[application]
    assert resolve_port(port.get("targetPort", port["port"]), container) == port["port"]


# --------------------------------------------------------------------------- sign-in, keys


def test_console_and_services_agree_on_issuers_and_links() -> None:
    console = env_of(only_container(pod_spec("console")))
    assert console.get("CONSOLE_DEV_SIGN_IN", "false") == "false", "no development sign-in"
    for service in SERVICES:
        prefix = f"{service.upper()}_"
        env = env_of(only_container(pod_spec(service)))
        assert env[f"{prefix}AUTH_ISSUER"] == console["CONSOLE_OIDC_ISSUER"]
        assert env[f"{prefix}AUTH_VOLUNTEER_ISSUER"] == console["CONSOLE_VOLUNTEER_ISSUER"]
    notifications = env_of(only_container(pod_spec("notifications")))
    assert notifications["NOTIFICATIONS_CONSOLE_PUBLIC_URL"] == console["CONSOLE_PUBLIC_URL"]
    # Link secrets: notifications signs, the console (volunteer) and matching (proposal) check.
    assert {"CONSOLE_SESSION_SECRET", "CONSOLE_VOLUNTEER_LINK_SECRET"} <= set(
        secret_data("console")
    )
    assert {"NOTIFICATIONS_VOLUNTEER_LINK_SECRET", "NOTIFICATIONS_PROPOSAL_LINK_SECRET"} <= set(
        secret_data("notifications")
    )
    assert "MATCHING_PROPOSAL_LINK_SECRET" in secret_data("matching")


def test_volunteer_key_halves_come_from_their_secrets() -> None:
    pod = pod_spec("console")
    path = env_of(only_container(pod))["CONSOLE_VOLUNTEER_SIGNING_KEY_FILE"]
    secret, key, source = mounted_secret_file(pod, path)
    assert (secret, key) == (SIGNING_KEY_SECRET, "volunteer-signing-key.pem")
    # Secret files belong to root: the console reads its key through the pod's group.
    mode = next(
        (item["mode"] for item in source.get("items", []) if "mode" in item),
        source.get("defaultMode", 0o644),
    )
    assert mode & 0o007 == 0, "the private key is not for everyone"
    assert mode & 0o040, "the console reads it as the file's group"
    assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsGroup"]
    for service in SERVICES:
        pod = pod_spec(service)
        env = env_of(only_container(pod))
        path = env[f"{service.upper()}_AUTH_VOLUNTEER_PUBLIC_KEY_FILE"]
        secret, key, _ = mounted_secret_file(pod, path)
        assert (secret, key) == (PUBLIC_KEY_SECRET, "volunteer-signing-key.pub")
        secrets = {v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
        assert SIGNING_KEY_SECRET not in secrets, f"{service} gets the console's private key"


def test_key_secrets_are_documented_with_real_commands() -> None:
    text = (K8S / "console.yaml").read_text(encoding="utf-8")
    comments = " ".join(
        line.lstrip("# ").rstrip("\\").strip() for line in text.splitlines() if line.startswith("#")
    )
    for secret in EXTERNAL_SECRETS:
        assert f"create secret generic {secret}" in comments, f"how is {secret} made?"
    commands = re.findall(r"python -m shared\.auth ([^>]*)", comments)
    assert commands, "console.yaml shows how the key is made"
    result = subprocess.run(
        [sys.executable, "-m", "shared.auth", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    for command in commands:
        for option in (word for word in shlex.split(command) if word.startswith("--")):
            assert option in result.stdout, f"python -m shared.auth has no {option}"


# --------------------------------------------------------------------------- gateway


def test_gateway_configmap_is_the_template_file() -> None:
    config = find("ConfigMap", "gateway-templates")
    assert set(config["data"]) == {GATEWAY_TEMPLATE.name}
    difference = "".join(
        difflib.unified_diff(
            template_text().splitlines(keepends=True),
            config["data"][GATEWAY_TEMPLATE.name].splitlines(keepends=True),
            fromfile="deploy/gateway/templates/default.conf.template",
            tofile="deploy/k8s/gateway.yaml (ConfigMap gateway-templates)",
        )
    )
    assert not difference, f"copy the template into the ConfigMap:\n{difference}"
    pod = pod_spec("gateway")
    (volume,) = [
        v
        for v in pod["volumes"]
        if v.get("configMap", {}).get("name") == config["metadata"]["name"]
    ]
    mounts = [m for m in only_container(pod)["volumeMounts"] if m["name"] == volume["name"]]
    assert [(m["mountPath"], m.get("readOnly")) for m in mounts] == [(NGINX_TEMPLATES, True)]


def test_gateway_runs_the_official_image_with_its_entrypoint() -> None:
    pod = pod_spec("gateway")
    container = only_container(pod)
    assert container["image"] == compose_gateway()["image"]
    assert str(container["image"]).startswith("nginx:")
    # The image's entrypoint renders the templates; a command of our own would skip it.
    assert "command" not in container and "args" not in container
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    for path in NGINX_WRITABLE:
        assert path in mounts, f"nginx writes to {path}: mount an emptyDir there"
        assert "emptyDir" in volumes[mounts[path]]


def test_gateway_env_fills_every_placeholder_of_the_template() -> None:
    env = env_of(only_container(pod_spec("gateway")))
    assert set(env) == template_placeholders(), "the template's placeholders and the env differ"
    assert set(env) == set(compose_gateway()["environment"]), "compose and k8s differ"
    rendered = PLACEHOLDER_PATTERN.sub(lambda match: env[match.group(1)], template_text())
    assert not PLACEHOLDER_PATTERN.search(rendered)
    for number in ("GATEWAY_PORT", "GATEWAY_RATE_PER_S", "GATEWAY_BURST"):
        assert env[number].isdigit() and int(env[number]) > 0, number


def test_gateway_upstreams_are_the_in_cluster_services() -> None:
    env = env_of(only_container(pod_spec("gateway")))
    upstreams = {name for name in template_placeholders() if name.startswith("UPSTREAM_")}
    assert upstreams == {f"UPSTREAM_{a.upper()}" for a in APPLICATIONS} | {"UPSTREAM_AUTH"}
    for application in APPLICATIONS:
        host, port = env[f"UPSTREAM_{application.upper()}"].split(":")
        assert host == application
        (service_port,) = find("Service", application)["spec"]["ports"]
        assert int(port) == service_port["port"] == APPLICATION_PORTS[application]
    host, _, port = env["UPSTREAM_AUTH"].rpartition(":")
    assert host and port.isdigit(), "UPSTREAM_AUTH is host:port"


def test_gateway_probes_and_port_are_the_templates() -> None:
    container = only_container(pod_spec("gateway"))
    env = env_of(container)
    port = int(env["GATEWAY_PORT"])
    assert "listen ${GATEWAY_PORT};" in template_text()
    assert [p["containerPort"] for p in container["ports"]] == [port]
    exact_locations = set(re.findall(r"location = (\S+)", template_text()))
    for probe in ("readinessProbe", "livenessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] in exact_locations, f"the template answers no {get['path']}"
        assert resolve_port(get["port"], container) == port


def test_gateway_service_is_in_cluster_behind_its_ingress_and_the_consoles_api() -> None:
    svc = find("Service", "gateway")
    pod_labels = find("Deployment", "gateway")["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["selector"].items() <= pod_labels.items()
    # People come through the Ingress (TLS, per-client limits): no address of its own.
    assert svc["spec"]["type"] == "ClusterIP"
    assert "externalTrafficPolicy" not in svc["spec"]
    container = only_container(pod_spec("gateway"))
    (port,) = svc["spec"]["ports"]
    assert resolve_port(port["targetPort"], container) == int(env_of(container)["GATEWAY_PORT"])
    api = urlsplit(env_of(only_container(pod_spec("console")))["CONSOLE_API_URL"])
    assert (api.scheme, api.hostname, api.path) == ("http", "gateway", "/api")
    assert (api.port or 80) == port["port"]
