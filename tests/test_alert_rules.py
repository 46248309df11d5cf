"""The alert rules and dashboards: promtool's unit tests pass, and every metric they name is
one the code exports or RabbitMQ's exporter serves."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

ROOT = Path(__file__).resolve().parents[1]
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
RULES_FILE = PROMETHEUS_DIR / "alerts.yml"
RULE_TESTS_FILE = PROMETHEUS_DIR / "alerts.test.yml"
DASHBOARDS_DIR = ROOT / "deploy" / "grafana" / "dashboards"
SOURCE_DIRS = [ROOT / "shared" / "src", *sorted((ROOT / "services").glob("*/src"))]

# What rabbitmq_prometheus serves (RabbitMQ 3.13; /metrics and /metrics/detailed with the
# queue_coarse_metrics and queue_consumer_count families, as deploy/prometheus scrapes it).
RABBITMQ_METRICS = {
    "rabbitmq_detailed_queue_messages",
    "rabbitmq_detailed_queue_messages_ready",
    "rabbitmq_detailed_queue_messages_unacked",
    "rabbitmq_detailed_queue_consumers",
    "rabbitmq_queue_messages",
    "rabbitmq_queue_messages_ready",
    "rabbitmq_queue_messages_unacked",
    "rabbitmq_connections",
    "rabbitmq_channels",
    "rabbitmq_queues",
    "rabbitmq_consumers",
    "rabbitmq_global_messages_received_total",
    "rabbitmq_global_messages_delivered_total",
    "rabbitmq_global_messages_confirmed_total",
    "rabbitmq_global_messages_dead_lettered_confirmed_total",
    "rabbitmq_global_messages_unroutable_dropped_total",
    "rabbitmq_global_messages_unroutable_returned_total",
}
# Prometheus' own series for every target.
PROMETHEUS_METRICS = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}

PROMQL_WORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "offset", "bool", "inf", "nan",
}  # fmt: skip


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail(
            "promtool is missing: `make tools` installs it (Debian: apt-get install prometheus;"
            " macOS: brew install prometheus)"
        )
    return found


def test_every_alert_rule_passes_its_promtool_unit_tests() -> None:
    result = subprocess.run(
        [promtool(), "test", "rules", RULE_TESTS_FILE.name],
        cwd=PROMETHEUS_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_the_prometheus_configuration_and_rules_are_valid() -> None:
    result = subprocess.run(
        [promtool(), "check", "config", "prometheus.yml"],
        cwd=PROMETHEUS_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"] if "alert" in rule]


def test_every_alert_has_a_test_that_sees_it_fire_and_stay_silent() -> None:
    tests = yaml.safe_load(RULE_TESTS_FILE.read_text(encoding="utf-8"))["tests"]
    cases = [case for test in tests for case in test.get("alert_rule_test", [])]
    for rule in alert_rules():
        own = [case for case in cases if case["alertname"] == rule["alert"]]
        assert any(case.get("exp_alerts") for case in own), f"{rule['alert']} never fires"
        assert any(not case.get("exp_alerts") for case in own), f"{rule['alert']} never silent"


def exported_metric_names() -> set[str]:
    """The sample names of every metric defined at module level in the code."""
    names: set[str] = set()
    for source_dir in SOURCE_DIRS:
        for path in source_dir.rglob("*.py"):
            if path.name == "__main__.py" or "prometheus_client" not in path.read_text("utf-8"):
                continue
            module_name = ".".join(path.relative_to(source_dir).with_suffix("").parts)
            module = importlib.import_module(module_name.removesuffix(".__init__"))
            for value in vars(module).values():
                if isinstance(value, MetricWrapperBase):
                    names.update(sample_names(value))
    return names


def sample_names(metric: MetricWrapperBase) -> set[str]:
    described = next(iter(metric.describe()))
    name, kind = described.name, described.type
    if kind == "counter":
        return {f"{name}_total"}
    if kind == "histogram":
        return {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    if kind == "summary":
        return {name, f"{name}_sum", f"{name}_count"}
    return {name}


def metric_names_in(expression: str) -> set[str]:
    """The metric names a PromQL expression reads: identifiers outside label matchers,
    strings and grouping clauses that are neither functions nor keywords."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', " ", expression)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?", text):
        word, call = match.group(1), match.group(2)
        if call or word.lower() in PROMQL_WORDS or word.startswith("$"):
            continue
        names.add(word)
    return names


def dashboard_expressions() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(DASHBOARDS_DIR.glob("*.json")):
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        expressions = [
            target["expr"]
            for panel in dashboard.get("panels", [])
            for target in panel.get("targets", [])
            if target.get("expr")
        ]
        expressions += [
            variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
            for variable in dashboard.get("templating", {}).get("list", [])
            if variable.get("type") == "query"
        ]
        found[path.name] = expressions
    return found


def test_the_name_parser_finds_metrics_and_skips_functions_labels_and_keywords() -> None:
    expression = (
        'sum by (service) (rate(consumer_messages_total{outcome=~"a|b"}[5m])) / '
        "histogram_quantile(0.95, sum by (le) (rate(x_seconds_bucket[5m]))) > 0.1 or up == 0"
    )
    assert metric_names_in(expression) == {"consumer_messages_total", "x_seconds_bucket", "up"}


def test_every_metric_a_rule_or_dashboard_names_is_exported() -> None:
    known = exported_metric_names() | RABBITMQ_METRICS | PROMETHEUS_METRICS
    assert {"http_requests_total", "outbox_oldest_pending_age_seconds"} <= known
    assert "notifications_messages_sent_total" in known
    named: dict[str, set[str]] = {}
    for rule in alert_rules():
        named[f"alert {rule['alert']}"] = metric_names_in(rule["expr"])
    for dashboard, expressions in dashboard_expressions().items():
        for expression in expressions:
            named.setdefault(dashboard, set()).update(metric_names_in(expression))
    unknown = {where: names - known for where, names in named.items() if names - known}
    assert not unknown, f"metrics nobody exports: {unknown}"


def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    """promtool parses each panel's query as a recording rule would be."""
    expressions = [expr for exprs in dashboard_expressions().values() for expr in exprs]
    assert len(expressions) > 20, "the dashboards should have their panels"
    rules = [{"record": f"dashboard:query:{n}", "expr": expr} for n, expr in enumerate(expressions)]
    rules_file = tmp_path / "dashboards.rules.yml"
    rules_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = subprocess.run(
        [promtool(), "check", "rules", str(rules_file)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_there_is_an_overview_and_a_dashboard_per_application() -> None:
    names = {path.stem for path in DASHBOARDS_DIR.glob("*.json")}
    assert names == {"overview", "registry", "matching", "notifications", "reporting", "console"}
    uids = [json.loads(path.read_text("utf-8"))["uid"] for path in DASHBOARDS_DIR.glob("*.json")]
    assert len(set(uids)) == len(uids)
