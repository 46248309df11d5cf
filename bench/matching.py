"""``make bench-matching``: the batch plan over a synthetic city, against a bare solve and an
independent optimum, and one task's ranking over the whole city.

    python -m bench.matching [--volunteers 50000] [--tasks 10000] [--places 5] [--rank-samples 200]

(a) ``plan_s``: profiles → eligible pairs → min-cost flow → plan; ``solver_s``: the bare
    OR-Tools min-cost-flow solve of the same graph, built beforehand; target ratio ≤ 2.
(b) ``plan_score`` against ``optimum_score`` from an independent solve: the same problem
    as a linear programme (HiGHS through SciPy; bipartite b-matching is totally unimodular,
    so the LP optimum is the integer optimum); must be equal.
(c) ``rank_p95_ms``: one task's ranked candidates over every volunteer; target < 50 ms.
The last printed line is one JSON object of the figures; they are also written to
``bench/results/matching-<UTC time>.json`` and ``bench/results/matching-latest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped]
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, vstack

from matching.benchmark import City, synthetic_city
from matching.domain.batch_plan import Pairs, eligible_pairs, flow_graph, plan
from matching.domain.matching import VolunteerArrays, rank

RESULTS = Path(__file__).resolve().parent / "results"


def bare_solve_seconds(city: City, pairs: Pairs) -> tuple[float, int]:
    """Time only what OR-Tools does with the graph: load the arcs and solve."""
    graph = flow_graph(city.tasks, city.volunteers, pairs)
    started = time.perf_counter()
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(*graph.arcs)
    flow.set_node_supply(graph.source, graph.supply)
    flow.set_node_supply(graph.sink, -graph.supply)
    status = flow.solve()
    elapsed = time.perf_counter() - started
    if status != flow.OPTIMAL:
        raise RuntimeError(f"bare solve did not reach an optimum (status {status})")
    return elapsed, -int(flow.optimal_cost())


def independent_optimum(city: City, pairs: Pairs) -> int:
    """Maximise the total points under every task's places and every volunteer's limit."""
    edges = len(pairs)
    columns = np.arange(edges)
    per_task = coo_matrix((np.ones(edges), (pairs.tasks, columns)), shape=(len(city.tasks), edges))
    per_volunteer = coo_matrix(
        (np.ones(edges), (pairs.volunteers, columns)), shape=(len(city.volunteers), edges)
    )
    limits = np.concatenate(
        [[max(0, t.places) for t in city.tasks], [max(0, v.limit) for v in city.volunteers]]
    )
    result = linprog(
        -pairs.points.astype(float),
        A_ub=vstack([per_task, per_volunteer]).tocsr(),
        b_ub=limits,
        bounds=(0, 1),
        method="highs",
    )
    if result.status != 0:
        raise RuntimeError(f"the LP did not solve: {result.message}")
    optimum: int = round(-result.fun)
    return optimum


def rank_p95_ms(city: City, samples: int) -> tuple[float, float]:
    arrays = VolunteerArrays(city.volunteers, city.now)
    rng = random.Random(7)
    timings = []
    for task in rng.sample(city.tasks, min(samples, len(city.tasks))):
        started = time.perf_counter()
        rank(task, arrays, city.now, limit=20)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return timings[int(0.95 * (len(timings) - 1))], statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matching")
    parser.add_argument("--volunteers", type=int, default=50_000)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--places", type=int, default=5)
    parser.add_argument("--rank-samples", type=int, default=200)
    parser.add_argument("--no-write", action="store_true")
    options = parser.parse_args()

    started = time.perf_counter()
    city = synthetic_city(options.volunteers, options.tasks, options.places)
    city_s = time.perf_counter() - started
    print(
        f"synthetic city: {len(city.volunteers)} volunteers, {len(city.tasks)} tasks "
        f"x {options.places} places ({city_s:.1f} s to build)"
    )

    started = time.perf_counter()
    result = plan(city.tasks, city.volunteers, city.now)
    plan_s = time.perf_counter() - started

    pairs = eligible_pairs(city.tasks, city.volunteers, city.now)
    solver_s, solver_score = bare_solve_seconds(city, pairs)
    started = time.perf_counter()
    optimum = independent_optimum(city, pairs)
    lp_s = time.perf_counter() - started
    p95, median = rank_p95_ms(city, options.rank_samples)

    figures: dict[str, Any] = {
        "plan_s": round(plan_s, 3),
        "solver_s": round(solver_s, 3),
        "ratio": round(plan_s / solver_s, 3),
        "plan_score": result.total_points,
        "optimum_score": optimum,
        "rank_p95_ms": round(p95, 2),
    }
    print(f"eligible pairs: {len(pairs):,}; assigned: {len(result.pairings):,}")
    print(
        f"(a) plan from profiles {plan_s:.2f} s, bare OR-Tools solve {solver_s:.2f} s, "
        f"ratio {figures['ratio']} (target <= 2: {'met' if figures['ratio'] <= 2 else 'NOT met'})"
    )
    print(
        f"(b) plan score {figures['plan_score']:,}, bare solve {solver_score:,}, "
        f"independent LP optimum {optimum:,} ({lp_s:.1f} s): "
        f"{'equal' if figures['plan_score'] == optimum else 'DIFFERENT'}"
    )
    print(
        f"(c) one task's ranking over {len(city.volunteers):,} volunteers: p95 {p95:.2f} ms, "
        f"median {median:.2f} ms (target < 50 ms: {'met' if p95 < 50 else 'NOT met'})"
    )
    if not options.no_write:
        RESULTS.mkdir(exist_ok=True)
        record = {
            **figures,
            "volunteers": len(city.volunteers),
            "tasks": len(city.tasks),
            "places": options.places,
            "eligible_pairs": len(pairs),
            "measured_at": datetime.now(UTC).isoformat(),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        }
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        for name in (f"matching-{stamp}.json", "matching-latest.json"):
            (RESULTS / name).write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
