"""``make bench-http``: the busiest list endpoints through the gateway, against a bare endpoint.

    python -m bench.http_api [--duration 5] [--connections 16] [--runs 3] [--volunteers 200]

Sets up its own database and vhost (as the tests do) and starts, each as its own process on
a free port: registry, matching and reporting (``python -m <service>``, as deployed), the
programme's demo data loaded through their own seed commands, and the nginx gateway rendered
from the template ``make run`` uses (``scripts/gateway.py``). Through the gateway it loads

  matching tasks      GET /api/matching/v1/tasks?limit=50       (the console's task list)
  reporting summary   GET /api/reporting/v1/reports/summary     (the dashboard's figures)
  registry branches   GET /api/registry/v1/branches?limit=50    (the branch list)

each with a development token of a city administrator, and, as the anchor in the same run,
``bench.bare_api``: FastAPI + asyncpg reading one row, behind the same gateway (where the
console would be) and directly. The load is ``wrk`` (closed loop: ``--connections``
connections, one thread, ``--duration`` seconds per endpoint and run); without wrk, the same
loop in Python with httpx (``--client python``), which itself costs more CPU.

The gateway's rate limit (30 requests/s per client address in ``make run``) would answer
most of one client's load with 429: here it is raised so that the figure is the services'.
Every response that is not a 2xx is counted and shown.

The last printed line is one JSON object: requests/s and p99 per endpoint, the ratio of
each to the bare endpoint behind the gateway; the figures also go to
``bench/results/http-*.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench.processes import ServiceProcesses
from shared.testing.databases import Databases
from shared.testing.infrastructure import VirtualHosts, discover
from shared.testing.platform import TestPlatform, eventually, free_port

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
SERVICES = ("registry", "matching", "reporting")
TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str
    path: str
    via_gateway: bool = True
    authorised: bool = True


ENDPOINTS = (
    Endpoint("bare", "bare FastAPI+asyncpg", "/one", authorised=False),
    Endpoint("matching_tasks", "matching tasks", "/api/matching/v1/tasks?limit=50"),
    Endpoint("reporting_summary", "reporting summary", "/api/reporting/v1/reports/summary"),
    Endpoint("registry_branches", "registry branches", "/api/registry/v1/branches?limit=50"),
    Endpoint("bare_direct", "bare, no gateway", "/one", via_gateway=False, authorised=False),
)


@dataclass
class Load:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    errors: int


@dataclass
class Figures:
    endpoint: Endpoint
    runs: list[Load] = field(default_factory=list)

    def median(self, attribute: str) -> float:
        return float(statistics.median(getattr(load, attribute) for load in self.runs))


# -- load generators ----------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS_MS[unit]


def parse_wrk(output: str) -> Load:
    def find(pattern: str, default: str = "0") -> str:
        match = re.search(pattern, output)
        return match.group(1) if match else default

    errors = sum(
        int(n)
        for n in re.findall(
            r"(?:connect|read|write|timeout) (\d+)", find(r"Socket errors: (.*)", "")
        )
    )
    return Load(
        requests_per_s=float(find(r"Requests/sec:\s+([\d.]+)")),
        p50_ms=_ms(find(r"\n\s+50%\s+(\S+)", "0ms")),
        p99_ms=_ms(find(r"\n\s+99%\s+(\S+)", "0ms")),
        requests=int(find(r"(\d+) requests in")),
        non_2xx=int(find(r"Non-2xx or 3xx responses: (\d+)")),
        errors=errors,
    )


def wrk_load(url: str, headers: dict[str, str], connections: int, duration_s: float) -> Load:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration_s))}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    return parse_wrk(done.stdout)


async def python_load(
    url: str, headers: dict[str, str], connections: int, duration_s: float
) -> Load:
    """The same closed loop with httpx: each connection sends its next request on an answer."""
    latencies: list[float] = []
    non_2xx = errors = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:
        end = time.perf_counter() + duration_s

        async def worker() -> None:
            nonlocal non_2xx, errors
            while time.perf_counter() < end:
                started = time.perf_counter()
                try:
                    response = await client.get(url)
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append((time.perf_counter() - started) * 1000)
                if not 200 <= response.status_code < 300:
                    non_2xx += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()

    def at(share: float) -> float:
        return latencies[int(share * (len(latencies) - 1))] if latencies else 0.0

    return Load(
        requests_per_s=len(latencies) / elapsed,
        p50_ms=at(0.5),
        p99_ms=at(0.99),
        requests=len(latencies),
        non_2xx=non_2xx,
        errors=errors,
    )


# -- the processes -------------------------------------------------------------------------


class Processes:
    """Child processes, stopped together at the end."""

    def __init__(self) -> None:
        self._started: list[subprocess.Popen[bytes]] = []

    def start(self, command: Sequence[str], env: dict[str, str], log: Path) -> None:
        with log.open("ab") as output:
            self._started.append(
                subprocess.Popen(
                    list(command), cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
                )
            )

    def stop(self) -> None:
        for process in reversed(self._started):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)


async def _answers(url: str, timeout: float = 60.0) -> None:
    async with httpx.AsyncClient(timeout=5) as client:

        async def ok() -> bool:
            try:
                return (await client.get(url)).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(ok, timeout=timeout, interval=0.2, message=f"{url} did not answer")


def _seed(command: list[str], env: dict[str, str], log: Path, timeout_s: float) -> None:
    with log.open("ab") as output:
        done = subprocess.run(
            [sys.executable, "-m", *command],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            timeout=timeout_s,
            check=False,
        )
    if done.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise RuntimeError(
            f"{' '.join(command)} failed (exit {done.returncode}):\n" + "\n".join(tail)
        )


@dataclass
class Options:
    duration_s: float
    connections: int
    runs: int
    volunteers: int
    client: str
    results_dir: Path | None


async def measure(options: Options) -> dict[str, Any]:
    infrastructure = await discover()
    databases = Databases(infrastructure)
    vhosts = VirtualHosts(infrastructure)
    processes = Processes()
    workdir = Path(tempfile.mkdtemp(prefix="bench-http-"))
    log = workdir / "processes.log"
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
    figures = {endpoint.key: Figures(endpoint) for endpoint in ENDPOINTS}
    seeded: dict[str, float] = {}
    try:
        ports = {}
        for service in SERVICES:
            ports[service] = (await services.start(service, log_level="WARNING")).port
        base_env = {**os.environ, "ENVIRONMENT": "development"}
        for service, command in (
            ("registry", ["registry", "seed"]),
            ("matching", ["matching", "seed", f"--volunteers={options.volunteers}"]),
        ):
            started = time.perf_counter()
            # Seeds may be run again (they change nothing twice): a shared Postgres out of
            # connections for a moment is no reason to give up.
            for attempt in range(3):
                try:
                    _seed(command, {**base_env, **platform.env(service)}, log, timeout_s=900)
                    break
                except RuntimeError as error:
                    if attempt == 2:
                        raise
                    print(f"bench.http_api: seed failed, again in 5 s: {error}", file=sys.stderr)
                    await asyncio.sleep(5)
            seeded[service] = round(time.perf_counter() - started, 1)

        bare_port = free_port()
        dsn = urlsplit(infrastructure.postgres_admin_url)._replace(path=f"/{database}").geturl()
        processes.start(
            [sys.executable, "-m", "bench.bare_api", f"--port={bare_port}", f"--dsn={dsn}"],
            base_env,
            log,
        )
        await _answers(f"http://127.0.0.1:{bare_port}/health/ready")

        gateway_port = free_port()
        gateway_env = {
            **base_env,
            "GATEWAY_PORT": str(gateway_port),
            # High enough that no request of the load is refused: the figure is the services'.
            "GATEWAY_RATE_PER_S": "1000000",
            "GATEWAY_BURST": "1000000",
            "GATEWAY_ACCESS_LOG": str(workdir / "gateway-access.log"),
            "UPSTREAM_REGISTRY": f"127.0.0.1:{ports['registry']}",
            "UPSTREAM_MATCHING": f"127.0.0.1:{ports['matching']}",
            "UPSTREAM_REPORTING": f"127.0.0.1:{ports['reporting']}",
            "UPSTREAM_NOTIFICATIONS": f"127.0.0.1:{free_port()}",
            # The anchor stands where the console would: the same location rules and headers.
            "UPSTREAM_CONSOLE": f"127.0.0.1:{bare_port}",
            "UPSTREAM_AUTH": f"127.0.0.1:{bare_port}",
        }
        processes.start(
            [sys.executable, "scripts/gateway.py", "--prefix", str(workdir / "gateway")],
            gateway_env,
            log,
        )
        gateway = f"http://127.0.0.1:{gateway_port}"
        await _answers(f"{gateway}/gateway/health")

        token = platform.token("city_admin")
        rows: dict[str, int] = {}
        async with httpx.AsyncClient(timeout=30) as client:
            for endpoint in ENDPOINTS:
                url = _url(endpoint, gateway, bare_port)
                response = await client.get(url, headers=_headers(endpoint, token))
                if response.status_code != 200:
                    raise RuntimeError(f"{url}: {response.status_code} {response.text[:300]}")
                body = response.json()
                items = body.get("items", body) if isinstance(body, dict) else body
                rows[endpoint.key] = len(items) if isinstance(items, list) else 1
        load_at_start = [round(load, 2) for load in os.getloadavg()]
        # Endpoints take turns, run after run: a noisy stretch of the machine falls on all.
        for _ in range(options.runs):
            for endpoint in ENDPOINTS:
                url = _url(endpoint, gateway, bare_port)
                headers = _headers(endpoint, token)
                if options.client == "wrk":
                    load = await asyncio.to_thread(
                        wrk_load, url, headers, options.connections, options.duration_s
                    )
                else:
                    load = await python_load(url, headers, options.connections, options.duration_s)
                figures[endpoint.key].runs.append(load)
        load_at_end = [round(load, 2) for load in os.getloadavg()]
        statuses = gateway_statuses(workdir / "gateway-access.log")
    finally:
        processes.stop()
        services.stop()
        await vhosts.delete(vhost)
        await databases.drop(database)
        await databases.drop_template()
        infrastructure.close()
        shutil.rmtree(workdir, ignore_errors=True)
    result = summarise(options, figures, rows, seeded, load_at_start, load_at_end)
    result["gateway_answers_not_200"] = statuses
    return result


def gateway_statuses(access_log: Path) -> dict[str, dict[str, int]]:
    """Answers other than 200 by path and status, from the gateway's JSON access log (499:
    the load generator closed its connections at the end of a load)."""
    found: dict[str, dict[str, int]] = {}
    with contextlib.suppress(OSError):
        for line in access_log.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError, KeyError):
                entry = json.loads(line)
                if entry["status"] != 200:
                    by_status = found.setdefault(entry["path"], {})
                    by_status[str(entry["status"])] = by_status.get(str(entry["status"]), 0) + 1
    return found


def _url(endpoint: Endpoint, gateway: str, bare_port: int) -> str:
    return (
        f"{gateway}{endpoint.path}"
        if endpoint.via_gateway
        else (f"http://127.0.0.1:{bare_port}{endpoint.path}")
    )


def _headers(endpoint: Endpoint, token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if endpoint.authorised else {}


def summarise(
    options: Options,
    figures: dict[str, Figures],
    rows: dict[str, int],
    seeded: dict[str, float],
    load_at_start: list[float],
    load_at_end: list[float],
) -> dict[str, Any]:
    bare = figures["bare"].median("requests_per_s")
    endpoints: dict[str, Any] = {}
    for key, figure in figures.items():
        per_s = figure.median("requests_per_s")
        p99 = figure.median("p99_ms")
        endpoints[key] = {
            "label": figure.endpoint.label,
            "path": figure.endpoint.path,
            "through_gateway": figure.endpoint.via_gateway,
            "rows_per_response": rows.get(key),
            "requests_per_s": round(per_s, 1),
            "requests_per_s_min": round(min(r.requests_per_s for r in figure.runs), 1),
            "requests_per_s_max": round(max(r.requests_per_s for r in figure.runs), 1),
            "p50_ms": round(figure.median("p50_ms"), 2),
            "p99_ms": round(p99, 2),
            "ratio_to_bare": round(per_s / bare, 3) if bare else None,
            "non_2xx": sum(r.non_2xx for r in figure.runs),
            "errors": sum(r.errors for r in figure.runs),
            "runs": [vars(r) for r in figure.runs],
        }
    services = [k for k in endpoints if k not in ("bare", "bare_direct")]
    return {
        "endpoints": endpoints,
        "client": options.client,
        "connections": options.connections,
        "duration_s": options.duration_s,
        "runs": options.runs,
        "demo_volunteers": options.volunteers,
        "seed_seconds": seeded,
        "target_ratio": TARGET_RATIO,
        "target_p99_ms": TARGET_P99_MS,
        "targets_met": {
            key: endpoints[key]["ratio_to_bare"] >= TARGET_RATIO
            and endpoints[key]["p99_ms"] < TARGET_P99_MS
            and endpoints[key]["non_2xx"] == 0
            for key in services
        },
        "load_average_at_start": load_at_start,
        "load_average_at_end": load_at_end,
    }


def report(result: dict[str, Any]) -> str:
    lines = [
        f"bench.http: {result['client']}, {result['connections']} connections, "
        f"{result['duration_s']} s per endpoint and run, {result['runs']} runs (medians); "
        f"load average {result['load_average_at_start']} -> {result['load_average_at_end']}",
        "",
        f"{'':<24}{'rows':>6}{'req/s':>10}{'min-max':>16}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'x bare':>8}{'failed':>9}",
    ]
    for e in result["endpoints"].values():
        spread = f"{e['requests_per_s_min']:.0f}-{e['requests_per_s_max']:.0f}"
        lines.append(
            f"{e['label']:<24}{e['rows_per_response']:>6}{e['requests_per_s']:>10.1f}"
            f"{spread:>16}{e['p50_ms']:>9.2f}{e['p99_ms']:>9.2f}{e['ratio_to_bare']:>8.3f}"
            f"{e['non_2xx'] + e['errors']:>9}"
        )
    lines.append("")
    if result.get("gateway_answers_not_200"):
        lines.append(f"gateway answers other than 200: {result['gateway_answers_not_200']}")
    for key, met in result["targets_met"].items():
        lines.append(
            f"{result['endpoints'][key]['label']}: target >= {TARGET_RATIO}x bare and p99 < "
            f"{TARGET_P99_MS:.0f} ms: {'met' if met else 'NOT met'}"
        )
    return "\n".join(lines)


def _git_commit() -> str | None:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.http_api", description=__doc__)
    parser.add_argument("--duration", type=int, default=5, help="seconds per load (5)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent (16)")
    parser.add_argument("--runs", type=int, default=3, help="runs of every endpoint (3)")
    parser.add_argument("--volunteers", type=int, default=200, help="demo volunteers (200)")
    parser.add_argument(
        "--client",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="the load generator (wrk when installed)",
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    options = Options(
        duration_s=args.duration,
        connections=args.connections,
        runs=args.runs,
        volunteers=args.volunteers,
        client=args.client,
        results_dir=None if args.no_write else RESULTS,
    )
    result = asyncio.run(measure(options))
    result["measured_at"] = datetime.now(UTC).isoformat()
    result["machine"] = {"cpus": os.cpu_count(), "git_commit": _git_commit()}
    print(report(result))
    if options.results_dir is not None:
        options.results_dir.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        for name in (f"http-{stamp}.json", "http-latest.json"):
            (options.results_dir / name).write_text(json.dumps(result, indent=2) + "\n")
    summary: dict[str, Any] = {}
    for key, e in result["endpoints"].items():
        summary[f"{key}_per_s"] = e["requests_per_s"]
        summary[f"{key}_p99_ms"] = e["p99_ms"]
        if key != "bare":
            summary[f"{key}_ratio"] = e["ratio_to_bare"]
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
