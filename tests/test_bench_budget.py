"""The bus benchmark's arithmetic: the CPU budget, and duplicates counted where they show."""

from __future__ import annotations

from typing import Any

import pytest

from bench.bus import MACHINE, TARGET_RATIO, cpu_budget, settle_checks
from bench.http_api import parse_wrk


def test_the_budget_follows_from_the_measured_costs_and_the_cores() -> None:
    costs = {"bench": 0.1, "matching": 4.5, "reporting": 4.4, "postgres": 1.0, "rabbitmq": 1.5}
    # The whole machine's CPU (other people's work included) is shown, not budgeted.
    budget = cpu_budget({**costs, MACHINE: 40.0}, anchor_per_s=4000.0, cores=2)

    assert budget["pipeline_ms_per_event"] == pytest.approx(11.5)
    assert budget["servers_ms_per_event"] == pytest.approx(2.5)
    assert budget["machine_ms_per_event"] == pytest.approx(40.0)
    # 2,000 ms of CPU a second; the target is 0.5 × 4,000 = 2,000 events a second.
    assert budget["target_ms_per_event"] == pytest.approx(2000 / (TARGET_RATIO * 4000))
    assert budget["cpu_bound_per_s"] == pytest.approx(2000 / 11.5, abs=0.1)
    # Broker and database alone: 2,000 / 2.5 = 800 events a second, 0.2 of the anchor.
    assert budget["servers_only_ratio_ceiling"] == pytest.approx(0.2)


def test_no_budget_without_measured_costs() -> None:
    assert cpu_budget({}, anchor_per_s=4000.0, cores=2) == {}
    assert cpu_budget({"matching": 1.0}, anchor_per_s=0.0, cores=2) == {}
    assert (
        cpu_budget({"matching": 1.0}, anchor_per_s=100.0, cores=2)["servers_only_ratio_ceiling"]
        is None
    )


def _facts(**changes: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "first_effects": 100,
        "second_effects": 100,
        "second_distinct": 100,
        "second_counted": 100,
        "outbox_sent_again": 0,
        "first_duplicate_deliveries": 0,
        "second_duplicate_deliveries": 0,
        "contact_delivered_again": 0,
    }
    return {**facts, **changes}


def test_a_batch_published_twice_shows_as_duplicate_deliveries_not_as_damage() -> None:
    checks = settle_checks(
        _facts(second_duplicate_deliveries=97, contact_delivered_again=99), expected=100
    )

    assert checks["lost"] == 0
    assert checks["duplicated"] == 0
    assert checks["duplicate_deliveries"] == 196


def test_effects_applied_twice_and_lost_events_are_counted() -> None:
    checks = settle_checks(
        _facts(first_effects=101, second_counted=99, second_distinct=98, second_effects=99),
        expected=100,
    )

    assert checks["lost"] == 2
    # One volunteer too many in the first consumer, one fact twice in the second.
    assert checks["duplicates"]["first_effects_applied_again"] == 1
    assert checks["duplicates"]["second_effects_applied_again"] == 1
    assert checks["duplicates"]["second_counted_again"] == 1
    assert checks["duplicated"] == 3


def test_a_consumer_without_outcomes_is_not_counted_as_clean() -> None:
    checks = settle_checks(_facts(first_duplicate_deliveries=None), expected=100)

    assert checks["duplicates"]["first_duplicate_deliveries"] is None


def test_wrk_output_is_read_with_its_units_and_its_errors() -> None:
    output = """Running 5s test @ http://127.0.0.1:8080/one
  1 threads and 16 connections
  Latency Distribution
     50%  812.00us
     75%    1.20ms
     90%    3.10ms
     99%    1.05s
  4020 requests in 5.01s, 1.2MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:    802.40
"""
    load = parse_wrk(output)

    assert load.requests_per_s == pytest.approx(802.4)
    assert load.p50_ms == pytest.approx(0.812)
    assert load.p99_ms == pytest.approx(1050.0)
    assert load.requests == 4020
    assert load.non_2xx == 7
    assert load.errors == 5
