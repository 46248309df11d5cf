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
import asyncio
import contextlib
import json
import os
import platform
import random
import statistics
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import numpy as np
from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped]
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, vstack

from bench.processes import ServiceProcesses
from matching.benchmark import City, synthetic_city
from matching.domain.batch_plan import Pairs, eligible_pairs, flow_graph, plan
from matching.domain.matching import VolunteerArrays, rank
from matching.domain.schedule import WARSAW, ScheduleKind, shift_interval
from shared.testing.databases import Databases
from shared.testing.infrastructure import VirtualHosts, discover
from shared.testing.platform import TestPlatform

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


# -- (d) one task's candidates through the service's HTTP API ------------------------------

_VOLUNTEER_COLUMNS = (
    "id", "portal_id", "first_name", "birth_date", "districts", "skills", "interests",
    "languages", "availability", "consent_email", "consent_sms", "registered_at",
    "profile_updated_at",
)  # fmt: skip
_TASK_COLUMNS = (
    "id", "branch_id", "branch_code", "type", "title", "schedule_kind", "first_day", "start",
    "end", "starts_at", "ends_at", "places", "min_age", "skills", "with_children", "status",
    "source_time", "created_at",
)  # fmt: skip


async def _load_city(
    admin: asyncpg.Connection, city: City, tasks: int
) -> tuple[list[uuid.UUID], float]:
    """The city's volunteers (COPY), a branch per district and ``tasks`` of its tasks moved to
    the coming weeks, straight into matching's tables: seconds the COPY took."""
    now = datetime.now(UTC)
    rng = random.Random(11)
    records = [
        (
            uuid.uuid4(), f"bench-{index:06d}", f"V{index}", person.birth_date,
            list(person.districts), sorted(person.skills), sorted(person.interests),
            sorted(person.languages),
            json.dumps([{"weekday": s.weekday, "start": s.start, "end": s.end}
                        for s in person.availability]),
            True, False, now, now,
        )
        for index, person in enumerate(city.volunteers)
    ]  # fmt: skip
    started = time.perf_counter()
    await admin.copy_records_to_table(
        "volunteers", schema_name="matching", columns=_VOLUNTEER_COLUMNS, records=records
    )
    copy_s = time.perf_counter() - started
    branches = {district: uuid.uuid4() for district in sorted({t.district for t in city.tasks})}
    await admin.executemany(
        "INSERT INTO matching.branches (id, code, name, district, institution_type, changed_at) "
        "VALUES ($1, $2, $3, $4, 'library', now())",
        [(bid, f"BENCH-{d.upper()}", f"Biblioteka {d}", d) for d, bid in branches.items()],
    )
    first_day = now.date() + timedelta(days=3)
    rows, ids = [], []
    for spec in rng.sample(city.tasks, min(tasks, len(city.tasks))):
        day = first_day + timedelta(days=(spec.day - city.tasks[0].day).days % 28)
        local = spec.shifts[0].starts_at.astimezone(WARSAW)
        hours = (spec.shifts[0].ends_at - spec.shifts[0].starts_at).seconds // 3600
        shift = shift_interval(day, local.time(), clock_time(local.hour + hours))
        task_id = uuid.uuid4()
        ids.append(task_id)
        rows.append(
            (
                task_id, branches[spec.district], f"BENCH-{spec.district.upper()}", spec.type,
                spec.title, ScheduleKind.ONE_OFF.value, day, local.time(),
                clock_time(local.hour + hours), shift.starts_at, shift.ends_at, spec.places,
                spec.min_age, sorted(spec.skills), spec.with_children, "published", now, now,
            )
        )  # fmt: skip
    await admin.copy_records_to_table(
        "tasks", schema_name="matching", columns=_TASK_COLUMNS, records=rows
    )
    await admin.execute("ANALYZE matching.volunteers; ANALYZE matching.tasks")
    return ids, copy_s


async def http_candidates(city: City, samples: int, tasks: int) -> dict[str, Any]:
    """p95 of ``GET /v1/tasks/{id}/candidates?limit=20`` (the console's call) over the city."""
    infrastructure = await discover()
    databases = Databases(infrastructure)
    vhosts = VirtualHosts(infrastructure)
    await databases.prepare_template()
    database = await databases.create()
    vhost, amqp_url = await vhosts.create()
    platform = TestPlatform(
        admin_url=infrastructure.postgres_admin_url,
        database=database,
        amqp_url=amqp_url,
        vhost=vhost,
        restart_broker=None,
    )
    services = ServiceProcesses(platform)
    try:
        admin = await asyncpg.connect(infrastructure.postgres_admin_url, database=database)
        try:
            task_ids, copy_s = await _load_city(admin, city, tasks)
        finally:
            await admin.close()
        service = await services.start("matching", log_level="WARNING")
        headers = {"Authorization": f"Bearer {platform.token('city_admin')}"}
        rng = random.Random(5)
        timings: list[float] = []
        found: list[int] = []
        async with httpx.AsyncClient(base_url=service.url, headers=headers, timeout=60) as client:
            for warm in task_ids[:5]:
                (
                    await client.get(f"/v1/tasks/{warm}/candidates", params={"limit": 20})
                ).raise_for_status()
            for task_id in (rng.choice(task_ids) for _ in range(samples)):
                started = time.perf_counter()
                response = await client.get(f"/v1/tasks/{task_id}/candidates", params={"limit": 20})
                timings.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
                found.append(len(response.json()))
    finally:
        services.stop()
        await vhosts.delete(vhost)
        await databases.drop(database)
        await databases.drop_template()
        infrastructure.close()
    timings.sort()
    return {
        "http_rank_p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 2),
        "http_rank_median_ms": round(statistics.median(timings), 2),
        "http_rank_max_ms": round(timings[-1], 2),
        "http_requests": len(timings),
        "http_tasks": len(task_ids),
        "http_candidates_median": statistics.median(found),
        "copy_volunteers_s": round(copy_s, 2),
    }


def _git_commit() -> str | None:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent.parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    return None


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matching")
    parser.add_argument("--volunteers", type=int, default=50_000)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--places", type=int, default=5)
    parser.add_argument("--rank-samples", type=int, default=200)
    parser.add_argument("--http-samples", type=int, default=300, help="requests for (d) (300)")
    parser.add_argument("--http-tasks", type=int, default=500, help="tasks stored for (d) (500)")
    parser.add_argument("--no-http", action="store_true", help="skip (d)")
    parser.add_argument("--http-only", action="store_true", help="(d) alone (matching-http-*.json)")
    parser.add_argument("--no-write", action="store_true")
    options = parser.parse_args()

    started = time.perf_counter()
    city = synthetic_city(options.volunteers, options.tasks, options.places)
    city_s = time.perf_counter() - started
    print(
        f"synthetic city: {len(city.volunteers)} volunteers, {len(city.tasks)} tasks "
        f"x {options.places} places ({city_s:.1f} s to build)"
    )

    if options.http_only:
        http = asyncio.run(http_candidates(city, options.http_samples, options.http_tasks))
        if not options.no_write:
            RESULTS.mkdir(exist_ok=True)
            record = {
                **http,
                "volunteers": len(city.volunteers),
                "measured_at": datetime.now(UTC).isoformat(),
                "machine": {
                    "cpus": os.cpu_count(),
                    "load_average_at_end": [round(load, 2) for load in os.getloadavg()],
                    "git_commit": _git_commit(),
                },
            }
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            for name in (f"matching-http-{stamp}.json", "matching-http-latest.json"):
                (RESULTS / name).write_text(json.dumps(record, indent=2) + "\n")
        print(json.dumps(http))
        return 0

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
    if not options.no_http:
        http = asyncio.run(http_candidates(city, options.http_samples, options.http_tasks))
        figures["http_rank_p95_ms"] = http["http_rank_p95_ms"]
        print(
            f"(d) the same through matching's HTTP API (GET /v1/tasks/{{id}}/candidates?limit=20, "
            f"the console's call; {len(city.volunteers):,} volunteers COPY-loaded in "
            f"{http['copy_volunteers_s']} s, {http['http_tasks']} tasks): p95 "
            f"{http['http_rank_p95_ms']:.1f} ms, median {http['http_rank_median_ms']:.1f} ms, "
            f"max {http['http_rank_max_ms']:.1f} ms over {http['http_requests']} requests, "
            f"{http['http_candidates_median']:.0f} candidates per answer (median) "
            f"(target < 50 ms: {'met' if http['http_rank_p95_ms'] < 50 else 'NOT met'})"
        )
    else:
        http = {}
    if not options.no_write:
        RESULTS.mkdir(exist_ok=True)
        record = {
            **http,
            **figures,
            "volunteers": len(city.volunteers),
            "tasks": len(city.tasks),
            "places": options.places,
            "eligible_pairs": len(pairs),
            "measured_at": datetime.now(UTC).isoformat(),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "load_average_at_end": [round(load, 2) for load in os.getloadavg()],
                "git_commit": _git_commit(),
            },
        }
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        for name in (f"matching-{stamp}.json", "matching-latest.json"):
            (RESULTS / name).write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
