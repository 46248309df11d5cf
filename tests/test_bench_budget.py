"""The bus benchmark's CPU budget: the machine's capacity set against measured costs."""

from __future__ import annotations

import pytest

from bench.bus import TARGET_RATIO, cpu_budget


def test_the_budget_follows_from_the_measured_costs_and_the_cores() -> None:
    costs = {"bench": 0.1, "matching": 4.5, "reporting": 4.4, "postgres": 1.0, "rabbitmq": 1.5}
    budget = cpu_budget(costs, raw_per_s=4000.0, cores=2)

    assert budget["pipeline_ms_per_event"] == pytest.approx(11.5)
    assert budget["servers_ms_per_event"] == pytest.approx(2.5)
    # 2,000 ms of CPU a second; the target is 0.5 × 4,000 = 2,000 events a second.
    assert budget["target_ms_per_event"] == pytest.approx(2000 / (TARGET_RATIO * 4000))
    assert budget["cpu_bound_per_s"] == pytest.approx(2000 / 11.5, abs=0.1)
    # Broker and database alone: 2,000 / 2.5 = 800 events a second, 0.2 of raw.
    assert budget["servers_only_ratio_ceiling"] == pytest.approx(0.2)


def test_no_budget_without_measured_costs() -> None:
    assert cpu_budget({}, raw_per_s=4000.0, cores=2) == {}
    assert cpu_budget({"matching": 1.0}, raw_per_s=0.0, cores=2) == {}
    assert (
        cpu_budget({"matching": 1.0}, raw_per_s=100.0, cores=2)["servers_only_ratio_ceiling"]
        is None
    )
