"""Static checks of docker-compose.yml's observability: Prometheus scrapes every application
and RabbitMQ where they listen, Grafana is provisioned with the data sources and dashboards
its mounts hold, and every application's spans reach Jaeger through the OpenTelemetry
Collector. No container engine needed: `make test-containers` runs Prometheus itself."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
APPLICATION_PORTS = {
    "registry": 8001,
    "matching": 8002,
    "notifications": 8003,
    "reporting": 8004,
    "console": 8005,
}
RABBITMQ_PROMETHEUS_PORT = 15692


@cache
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return document


def service(name: str) -> dict[str, Any]:
    found: dict[str, Any] = compose()["services"][name]
    return found


def mounts(name: str) -> dict[str, Path]:
    """A service's bind mounts of this repository: the path inside the container -> the
    host path."""
    found = {}
    for entry in service(name).get("volumes", []):
        source, target = str(entry).split(":")[:2]
        if source.startswith("./"):
            found[target] = ROOT / source
    return found


def mounted(name: str, container_path: str) -> Path:
    """The repository file a container sees at ``container_path`` (through a mounted file or
    a mounted folder); fails when nothing of the repository is mounted there."""
    for target, source in mounts(name).items():
        if container_path == target:
            return source
        if container_path.startswith(target.rstrip("/") + "/"):
            return source / container_path[len(target.rstrip("/")) + 1 :]
    raise AssertionError(f"{name} has nothing of the repository at {container_path}")


def option(name: str, flag: str) -> str:
    """A ``--flag=value`` of a service's command."""
    for argument in service(name).get("command", []):
        if str(argument).startswith(f"{flag}="):
            return str(argument).split("=", 1)[1]
    raise AssertionError(f"{name} is started without {flag}")


@cache
def prometheus_config() -> dict[str, Any]:
    path = mounted("prometheus", option("prometheus", "--config.file"))
    config: dict[str, Any] = yaml.safe_load(path.read_text())
    return config


def scraped() -> set[tuple[str, str]]:
    """(target, metrics path) of every static target of Prometheus's configuration."""
    found = set()
    for job in prometheus_config()["scrape_configs"]:
        for group in job.get("static_configs", []):
            for target in group["targets"]:
                found.add((str(target), str(job.get("metrics_path", "/metrics"))))
    return found


def test_prometheus_reads_its_configuration_and_rules_from_the_mounted_folder() -> None:
    config_path = mounted("prometheus", option("prometheus", "--config.file"))
    assert config_path.is_file()
    for rule_file in prometheus_config()["rule_files"]:
        assert (config_path.parent / rule_file).is_file(), rule_file


@pytest.mark.parametrize("application", sorted(APPLICATION_PORTS))
def test_prometheus_scrapes_each_application_where_its_container_listens(
    application: str,
) -> None:
    port = APPLICATION_PORTS[application]
    assert (f"{application}:{port}", "/metrics") in scraped()
    environment = service(application)["environment"]
    prefix = application.upper()
    # The container listens on every interface at that port, not only its loopback.
    assert environment[f"{prefix}_HTTP_HOST"] == "0.0.0.0"
    assert str(environment.get(f"{prefix}_HTTP_PORT", port)) == str(port)


def test_prometheus_scrapes_rabbitmqs_own_exporter_which_the_broker_enables() -> None:
    target = f"rabbitmq:{RABBITMQ_PROMETHEUS_PORT}"
    assert (target, "/metrics") in scraped()
    # Dead-letter depth per queue needs the per-queue endpoint.
    assert (target, "/metrics/detailed") in scraped()
    plugins = mounted("rabbitmq", "/etc/rabbitmq/enabled_plugins").read_text()
    assert "rabbitmq_prometheus" in re.findall(r"\w+", plugins)


def test_every_scraped_host_is_a_service_of_the_stack() -> None:
    for target, _ in scraped():
        host = target.split(":")[0]
        assert host in compose()["services"], f"Prometheus scrapes {target}: no such service"


@cache
def datasources() -> list[dict[str, Any]]:
    path = mounted("grafana", "/etc/grafana/provisioning/datasources/datasources.yml")
    found: list[dict[str, Any]] = yaml.safe_load(path.read_text())["datasources"]
    return found


def test_grafanas_data_sources_are_the_stacks_prometheus_and_jaeger() -> None:
    urls = {source["type"]: urlsplit(source["url"]) for source in datasources()}
    assert urls["prometheus"].netloc == "prometheus:9090"
    assert any(str(port).endswith(":9090") for port in service("prometheus")["ports"]), (
        "Prometheus's own port is 9090"
    )
    assert urls["jaeger"].netloc == "jaeger:16686"
    assert "16686:16686" in service("jaeger")["ports"]


def test_grafana_loads_every_dashboard_from_the_mounted_folder() -> None:
    providers = yaml.safe_load(
        mounted("grafana", "/etc/grafana/provisioning/dashboards/dashboards.yml").read_text()
    )["providers"]
    [provider] = providers
    folder = mounted("grafana", provider["options"]["path"])
    dashboards = sorted(path.stem for path in folder.glob("*.json"))
    assert dashboards == sorted(["overview", *APPLICATION_PORTS])
    home = service("grafana")["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert mounted("grafana", home).is_file()


def panel_datasources(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        own = [node["datasource"]] if isinstance(node.get("datasource"), dict) else []
        return own + [found for value in node.values() for found in panel_datasources(value)]
    if isinstance(node, list):
        return [found for value in node for found in panel_datasources(value)]
    return []


@pytest.mark.parametrize("dashboard", sorted(["overview", *APPLICATION_PORTS]))
def test_each_dashboard_queries_a_provisioned_data_source(dashboard: str) -> None:
    document = json.loads(
        (ROOT / "deploy" / "grafana" / "dashboards" / f"{dashboard}.json").read_text()
    )
    provisioned = {(source["type"], source["uid"]) for source in datasources()}
    used = panel_datasources(document)
    assert used, f"{dashboard} has no panel with a data source"
    for source in used:
        assert (source["type"], source["uid"]) in provisioned, source


@cache
def collector_config() -> dict[str, Any]:
    path = mounted("otel-collector", option("otel-collector", "--config"))
    config: dict[str, Any] = yaml.safe_load(path.read_text())
    return config


@pytest.mark.parametrize("application", sorted(APPLICATION_PORTS))
def test_each_application_sends_its_spans_to_the_collectors_otlp_http_receiver(
    application: str,
) -> None:
    endpoint = urlsplit(service(application)["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"])
    receiver = collector_config()["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    assert endpoint.hostname == "otel-collector"
    assert endpoint.port == int(receiver.rsplit(":", 1)[1])
    assert receiver.startswith("0.0.0.0:"), "the receiver answers other containers"


def test_the_collectors_pipeline_ends_in_jaeger_over_otlp() -> None:
    config = collector_config()
    [pipeline] = config["service"]["pipelines"].values()
    for kind in ("receivers", "processors", "exporters"):
        for name in pipeline[kind]:
            assert name in config[kind], f"the pipeline names an undefined {kind[:-1]} {name}"
    [exporter] = [config["exporters"][name] for name in pipeline["exporters"]]
    assert exporter["endpoint"] == "jaeger:4317"
    assert service("jaeger")["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"
    assert "jaeger" in service("otel-collector")["depends_on"]


def test_prometheus_scrapes_the_collectors_own_metrics() -> None:
    reader = collector_config()["service"]["telemetry"]["metrics"]["readers"][0]
    port = reader["pull"]["exporter"]["prometheus"]["port"]
    assert (f"otel-collector:{port}", "/metrics") in scraped()
