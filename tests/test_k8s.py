"""Static checks of the Kubernetes manifests in deploy/k8s (no cluster needed)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
SERVICE_PORTS = {"registry": 8001, "matching": 8002, "notifications": 8003, "reporting": 8004}
SERVICES = tuple(SERVICE_PORTS)
NAMESPACE = "volunteering"


def manifest_files() -> list[Path]:
    return sorted([*K8S.glob("*.yaml"), *K8S.glob("*.yml")])


def documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in manifest_files():
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc is not None:
                assert isinstance(doc, dict), f"{path.name}: a document is not a mapping"
                docs.append(doc)
    return docs


def find(kind: str, name: str) -> dict[str, Any]:
    matches = [d for d in documents() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name!r}, found {len(matches)}"
    return matches[0]


def settings_fields(service: str) -> set[str]:
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
            fields |= set(value.model_fields)
    return fields


def only_container(pod_spec: dict[str, Any]) -> dict[str, Any]:
    containers = pod_spec["containers"]
    assert len(containers) == 1
    container: dict[str, Any] = containers[0]
    return container


def resolve_port(port: int | str, container: dict[str, Any]) -> int:
    if isinstance(port, int):
        return port
    named = [p["containerPort"] for p in container.get("ports", []) if p.get("name") == port]
    assert named, f"no container port named {port!r}"
    return int(named[0])


def test_every_manifest_parses_and_is_a_kubernetes_object() -> None:
    assert manifest_files(), "deploy/k8s has no manifests"
    for doc in documents():
        assert doc.get("apiVersion") and doc.get("kind"), doc
        assert doc.get("metadata", {}).get("name"), doc
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == NAMESPACE, doc["metadata"]
    find("Namespace", NAMESPACE)


@pytest.mark.parametrize("service", SERVICES)
def test_deployment_probes_hit_the_health_routes_on_the_service_port(service: str) -> None:
    deployment = find("Deployment", service)
    spec = deployment["spec"]
    assert spec["replicas"] == 2
    labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= labels.items()
    container = only_container(spec["template"]["spec"])
    assert container["command"] == ["python", "-m", service]
    port = SERVICE_PORTS[service]
    assert [p["containerPort"] for p in container["ports"]] == [port]
    readiness = container["readinessProbe"]["httpGet"]
    liveness = container["livenessProbe"]["httpGet"]
    assert readiness["path"] == "/health/ready"
    assert liveness["path"] == "/health/live"
    assert resolve_port(readiness["port"], container) == port
    assert resolve_port(liveness["port"], container) == port


@pytest.mark.parametrize("service", SERVICES)
def test_settings_come_from_env_and_a_secret_of_the_service(service: str) -> None:
    prefix = f"{service.upper()}_"
    fields = settings_fields(service)
    secret = find("Secret", service)
    secret_keys = set(secret.get("stringData", {})) | set(secret.get("data", {}))
    assert {f"{prefix}DATABASE_URL", f"{prefix}AMQP_URL"} <= secret_keys
    container = only_container(find("Deployment", service)["spec"]["template"]["spec"])
    env = {item["name"]: item.get("value") for item in container.get("env", [])}
    assert env[f"{prefix}HTTP_HOST"] == "0.0.0.0"
    assert env[f"{prefix}HTTP_PORT"] == str(SERVICE_PORTS[service])
    for key in secret_keys | set(env):
        assert key.startswith(prefix), f"{service} is given {key}"
        assert key.removeprefix(prefix).lower() in fields, f"{key} is no settings field"
    refs = [source["secretRef"]["name"] for source in container.get("envFrom", [])]
    assert refs == [service]


@pytest.mark.parametrize("service", SERVICES)
def test_migration_job_runs_migrate_with_the_same_secret(service: str) -> None:
    job = find("Job", f"{service}-migrate")
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] in ("OnFailure", "Never")
    container = only_container(pod)
    assert container["command"] == ["python", "-m", service, "migrate"]
    assert [s["secretRef"]["name"] for s in container["envFrom"]] == [service]
    deployment = only_container(find("Deployment", service)["spec"]["template"]["spec"])
    assert container["image"] == deployment["image"], "migrations must match the image"


@pytest.mark.parametrize("service", SERVICES)
def test_service_routes_to_the_deployment_port(service: str) -> None:
    svc = find("Service", service)
    deployment = find("Deployment", service)
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["selector"].items() <= pod_labels.items()
    job_labels = find("Job", f"{service}-migrate")["spec"]["template"]["metadata"]["labels"]
    assert not svc["spec"]["selector"].items() <= job_labels.items(), "selects the Job's pod"
    container = only_container(deployment["spec"]["template"]["spec"])
    (port,) = svc["spec"]["ports"]
    assert port["port"] == SERVICE_PORTS[service]
    assert resolve_port(port.get("targetPort", port["port"]), container) == SERVICE_PORTS[service]
