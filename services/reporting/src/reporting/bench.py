"""Reporting's benchmark: catch-up of the projections and the dashboard's latency.

    python -m reporting.bench [--facts 1000000] [--branches 200] [--queries 200] [--no-write]

On the real PostgreSQL, in a database made for the run as the test fixtures make them and
dropped afterwards:

1. the fact log is filled with the agreed events of 3 editions and ``--branches``
   branches (18 districts), then ``--facts`` ``matching.hours.approved.v1`` facts;
2. catch-up: ``python -m reporting rebuild``'s projection of the whole log into the
   snapshots and the totals (facts per second), and the live consumer's path (one
   transaction per fact: snapshot, contribution and totals by delta, without the broker)
   over a sample;
3. the dashboard (the edition summary and the breakdown by district, through the HTTP
   API: token check, one query of the totals) p95 over ``--queries`` requests while
   ``--writers`` tasks in the same process keep recording new facts as the consumer does
   (the live stream), and again with no stream; under the same stream, the read of the
   totals and the answer alone (without the HTTP stack), to tell them apart; then, with no
   stream, questions the cells do not answer (a month of an edition, a trainer's eight
   branches), read from a selection of the contributions; then the dashboard again from
   an API replica of its own (``python -m reporting`` with its consumer off, over HTTP)
   while this process records the same kind of stream, as the consumer replica would;
4. the same question answered by a plain GROUP BY over the raw facts, p95; at the end the
   dashboard's figures are checked against the plain query's;
5. the fair baseline: the same questions on a typed, indexed table of the same facts (no
   JSON extraction, edition and district resolved when written), counted at read time with
   plain SQL, p95, checked against the plain query (``bench_baseline``).

The last line printed is one JSON object: catchup_per_s, dashboard_p95_ms (under the live
stream), plain_p95_ms, speedup, typed_p95_ms, speedup_vs_typed, and the other figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from reporting import bench_baseline, totals_queries
from reporting.app import build_service
from reporting.domain import facts as f
from reporting.domain import totals
from reporting.domain.views import Filters, State
from reporting.projections import apply_fact, bump_log_version, rebuild
from reporting.settings import ReportingSettings
from reporting.tables import Fact
from shared.auth import mint_token
from shared.db import Database
from shared.errors import is_transient
from shared.logging import configure_logging
from shared.testing.databases import Databases, service_database_url
from shared.testing.infrastructure import Infrastructure, VirtualHosts, discover
from shared.testing.platform import ServiceProcess, free_port

SECRET = "bench-secret-for-development-tokens-only"
DISTRICTS = 18
YEARS = (2024, 2025, 2026)
TASKS_PER_BRANCH_EDITION = 20
VOLUNTEERS = 30_000


def uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def structure(branches: int, rng: random.Random) -> tuple[list[tuple[str, dict[str, Any]]], Any]:
    """Editions, branches and enrolments; returns the facts and what hours need."""
    out: list[tuple[str, dict[str, Any]]] = []
    editions = {}
    for year in YEARS:
        edition_id = uid(rng)
        editions[year] = edition_id
        out.append(
            (
                f.EDITION_OPENED,
                {
                    "edition_id": edition_id,
                    "year": year,
                    "name": f"Edycja {year}",
                    "institution_type": "library_branch",
                    "starts_on": f"{year}-01-01",
                    "ends_on": f"{year}-12-31",
                },
            )
        )
    branch_ids = []
    for n in range(branches):
        branch_id = uid(rng)
        code = f"b-{n}"
        branch_ids.append((branch_id, code))
        out.append(
            (
                f.BRANCH_REGISTERED,
                {
                    "branch_id": branch_id,
                    "code": code,
                    "district": f"district-{n % DISTRICTS}",
                    "institution_type": "library_branch",
                    "district_library": None,
                },
            )
        )
        for year in YEARS:
            out.append(
                (
                    f.BRANCH_ENROLLED,
                    {
                        "branch_id": branch_id,
                        "code": code,
                        "edition_id": editions[year],
                        "funding_pln": "5000",
                    },
                )
            )
    tasks = {
        (branch_id, year): [uid(rng) for _ in range(TASKS_PER_BRANCH_EDITION)]
        for branch_id, _ in branch_ids
        for year in YEARS
    }
    return out, (editions, branch_ids, tasks)


def hours(count: int, shape: Any, rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    _, branch_ids, tasks = shape
    volunteers = [uid(rng) for _ in range(VOLUNTEERS)]
    out = []
    for _ in range(count):
        branch_id, code = rng.choice(branch_ids)
        year = rng.choice(YEARS)
        out.append(
            (
                f.matching("hours.approved.v1"),
                {
                    "entry_id": uid(rng),
                    "assignment_id": uid(rng),
                    "task_id": rng.choice(tasks[(branch_id, year)]),
                    "branch_id": branch_id,
                    "branch_code": code,
                    "volunteer_id": rng.choice(volunteers),
                    "hours": str(rng.choice((1, 1.5, 2, 2.5, 3, 4))),
                    "worked_on": (
                        date(year, 1, 1) + timedelta(days=rng.randrange(365))
                    ).isoformat(),
                },
            )
        )
    return out


async def fill_log(url: str, facts: list[tuple[str, dict[str, Any]]]) -> None:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        now = datetime.now(UTC)
        records = [
            (str(uuid.uuid4()), "/bench", event_type, now, now, json.dumps(data))
            for event_type, data in facts
        ]
        await connection.copy_records_to_table(
            "facts",
            schema_name="reporting",
            columns=[
                "event_id",
                "event_source",
                "event_type",
                "occurred_at",
                "recorded_at",
                "data",
            ],
            records=records,
        )
    finally:
        await connection.close()


async def p95(run: Callable[[], Awaitable[Any]], times: int) -> tuple[float, list[float]]:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        await run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.quantiles(samples, n=20)[-1], samples


class Stream:
    """``writers`` tasks recording new facts as the consumer does, until stopped."""

    def __init__(self, database: Database, writers: int) -> None:
        self._database = database
        self._writers = writers
        self._tasks: list[asyncio.Task[None]] = []
        self._running = False
        self.recorded = 0

    def start(self, facts: list[tuple[str, dict[str, Any]]]) -> None:
        self._running = True
        self._tasks = [
            asyncio.create_task(self._write(facts[n :: self._writers]))
            for n in range(self._writers)
        ]

    async def stop(self) -> None:
        self._running = False
        await asyncio.gather(*self._tasks)

    async def _write(self, mine: list[tuple[str, dict[str, Any]]]) -> None:
        for event_type, data in mine:
            if not self._running:
                return
            await record(self._database, event_type, data)
            self.recorded += 1


@asynccontextmanager
async def api_replica(infrastructure: Infrastructure, database_url: str) -> AsyncIterator[str]:
    """``python -m reporting`` with its consumer off, in a vhost of its own; its base URL."""
    vhosts = VirtualHosts(infrastructure)
    vhost, amqp_url = await vhosts.create()
    port = free_port()
    settings = {
        "DATABASE_URL": database_url,
        "AMQP_URL": amqp_url,
        "HTTP_PORT": str(port),
        "CONSUMER_ENABLED": "false",
        "RELAY_ENABLED": "false",
        "AUTH_SHARED_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
    }
    process = ServiceProcess(
        "reporting", port, {**os.environ, **{f"REPORTING_{k}": v for k, v in settings.items()}}
    )
    try:
        await process.start(timeout=60)
        yield process.url
    finally:
        process.kill()
        await vhosts.delete(vhost)


async def selection(
    client: httpx.AsyncClient,
    rng: random.Random,
    editions: dict[int, str],
    branch_ids: list[tuple[str, str]],
    token_for: Callable[[list[str], list[str]], str],
) -> None:
    """A question the cells do not answer: a month of an edition for the city office, or
    an edition's figures for a trainer's eight branches."""
    year = rng.choice(YEARS)
    edition = f"edition_id={editions[year]}"
    headers = {}
    if rng.random() < 0.5:
        month = rng.randrange(1, 13)
        last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
        dates = f"date_from={year}-{month:02d}-01&date_to={year}-{month:02d}-{last}"
        path = rng.choice(
            (
                f"/v1/reports/summary?{edition}&{dates}",
                f"/v1/reports/breakdown?by=district&{edition}&{dates}",
            )
        )
    else:
        codes = [code for _, code in rng.sample(branch_ids, 8)]
        headers["authorization"] = f"Bearer {token_for(['trainer'], codes)}"
        path = rng.choice(
            (f"/v1/reports/summary?{edition}", f"/v1/reports/breakdown?by=branch&{edition}")
        )
    response = await client.get(path, headers=headers)
    response.raise_for_status()


async def record(database: Database, event_type: str, data: dict[str, Any]) -> None:
    """What the consumer does with one event, in one transaction (without the broker)."""
    for attempt in range(20):
        try:
            async with database.transaction() as session:
                fact = Fact(
                    event_id=str(uuid.uuid4()),
                    event_source="/bench",
                    event_type=event_type,
                    occurred_at=datetime.now(UTC),
                    recorded_at=datetime.now(UTC),
                    data=data,
                )
                session.add(fact)
                await session.flush()
                await apply_fact(session, fact)
                await bump_log_version(session)
            return
        except Exception as error:  # retried as the consumer retries a deadlock
            if not is_transient(error) or attempt == 19:
                raise
            await asyncio.sleep(0.01 * attempt)


async def measure(options: argparse.Namespace) -> dict[str, Any]:
    load_at_start = os.getloadavg()[0]
    rng = random.Random(2026)
    infrastructure = await discover()
    databases = Databases(infrastructure)
    await databases.prepare_template()
    database = await databases.create()
    try:
        url = service_database_url(infrastructure.postgres_admin_url, database, "reporting")
        shape_facts, shape = structure(options.branches, rng)
        hour_facts = hours(options.facts, shape, rng)
        started = time.perf_counter()
        await fill_log(url, shape_facts + hour_facts)
        print(
            f"log filled: {len(shape_facts) + len(hour_facts)} facts "
            f"in {time.perf_counter() - started:.1f}s",
            file=sys.stderr,
        )

        database_ = Database(url, "reporting")
        started = time.perf_counter()
        async with database_.transaction() as session:
            replayed = await rebuild(session)
        rebuild_s = time.perf_counter() - started
        print(f"rebuilt from {replayed} facts in {rebuild_s:.1f}s", file=sys.stderr)

        # The live consumer's path: one transaction per fact (no broker), on a sample.
        sample = hours(options.live_sample, shape, rng)
        started = time.perf_counter()
        for event_type, data in sample:
            await record(database_, event_type, data)
        live_per_s = len(sample) / (time.perf_counter() - started)

        service = build_service(
            ReportingSettings(database_url=url, auth_shared_secret=SECRET, log_json=True)
        )
        defaults = ReportingSettings.model_fields

        def token_for(roles: list[str], branches: list[str]) -> str:
            return mint_token(
                SECRET,
                subject="bench",
                roles=roles,
                branches=branches,
                issuer=str(defaults["auth_issuer"].default),
                audience=str(defaults["auth_audience"].default),
            )

        token = token_for(["city_admin"], [])
        editions = shape[0]
        paths = [
            path
            for edition_id in editions.values()
            for path in (
                f"/v1/reports/summary?edition_id={edition_id}",
                f"/v1/reports/breakdown?by=district&edition_id={edition_id}",
            )
        ]
        stream = Stream(database_, options.writers)

        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=service.http),
            base_url="http://reporting",
            headers={"authorization": f"Bearer {token}"},
            timeout=600,
        ) as client:

            async def dashboard() -> None:
                (await client.get(rng.choice(paths))).raise_for_status()

            await p95(dashboard, 20)  # connections opened, code paths warm
            stream.start(hours(options.stream_facts, shape, rng))
            await asyncio.sleep(1)
            before, started = stream.recorded, time.perf_counter()
            live_p95, _ = await p95(dashboard, options.queries)
            edition_ids = list(editions.values())

            async def totals_read() -> None:
                filters = Filters(edition_id=uuid.UUID(rng.choice(edition_ids)))
                question = totals.breakdown_question(filters, "district")
                assert question is not None
                async with service.database.engine.connect() as connection:
                    cells = await totals_queries.read_cells(connection, question)
                totals.answer_breakdown(question, cells, "district", State(), filters)

            read_p95, _ = await p95(totals_read, options.queries)
            stream_per_s = (stream.recorded - before) / (time.perf_counter() - started)
            await stream.stop()
            idle_p95, _ = await p95(dashboard, options.queries)
            selection_p95, _ = await p95(
                lambda: selection(client, rng, editions, shape[1], token_for), options.queries
            )
        await service.database.dispose()

        # The same dashboard from an API replica of its own (consumer off), over HTTP,
        # while this process records the stream as the consumer replica would.
        async with (
            api_replica(infrastructure, url) as base_url,
            httpx.AsyncClient(
                base_url=base_url, headers={"authorization": f"Bearer {token}"}, timeout=600
            ) as remote,
        ):

            async def remote_dashboard() -> None:
                (await remote.get(rng.choice(paths))).raise_for_status()

            await p95(remote_dashboard, 20)
            stream.start(hours(options.stream_facts, shape, rng))
            await asyncio.sleep(1)
            before, started = stream.recorded, time.perf_counter()
            apart_p95, _ = await p95(remote_dashboard, options.queries)
            apart_stream_per_s = (stream.recorded - before) / (time.perf_counter() - started)
            await stream.stop()
            # Every fact recorded: the dashboard's answer, to compare with the plain query's.
            by_district = {
                edition_id: (
                    await remote.get(f"/v1/reports/breakdown?by=district&edition_id={edition_id}")
                ).json()["items"]
                for edition_id in edition_ids
            }
        await database_.dispose()

        connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        try:

            async def plain() -> None:
                await connection.fetch(
                    bench_baseline.PLAIN, *bench_baseline.plain_arguments(rng.choice(edition_ids))
                )

            plain_p95, _ = await p95(plain, options.plain_queries)
            matches = True
            for edition_id, rows in by_district.items():
                expected = {
                    row["district"]: (Decimal(row["hours"]), row["active"])
                    for row in await connection.fetch(
                        bench_baseline.PLAIN, *bench_baseline.plain_arguments(edition_id)
                    )
                }
                answered = {
                    row["key"]: (Decimal(row["approved_hours"]), row["volunteers_active"])
                    for row in rows
                }
                matches = matches and answered == expected
            await bench_baseline.fill_typed(connection)
            typed_p95, _ = await p95(
                lambda: bench_baseline.typed_question(
                    connection, rng.choice(edition_ids), rng.random() < 0.5
                ),
                options.queries,
            )
            typed_matches = await bench_baseline.typed_matches_plain(connection, edition_ids)
        finally:
            await connection.close()
        return {
            "facts": replayed,
            "branches": options.branches,
            "editions": len(YEARS),
            "catchup_per_s": round(replayed / rebuild_s),
            "live_consumer_path_per_s": round(live_per_s),
            "dashboard_p95_ms": round(live_p95, 2),
            "dashboard_stream_facts_per_s": round(stream_per_s),
            "dashboard_api_replica_p95_ms": round(apart_p95, 2),
            "dashboard_api_replica_stream_facts_per_s": round(apart_stream_per_s),
            "dashboard_stream_writers": options.writers,
            "dashboard_idle_p95_ms": round(idle_p95, 2),
            "totals_read_under_stream_p95_ms": round(read_p95, 2),
            "selection_p95_ms": round(selection_p95, 2),
            "plain_p95_ms": round(plain_p95, 2),
            "speedup": round(plain_p95 / live_p95, 1),
            "typed_p95_ms": round(typed_p95, 2),
            "speedup_vs_typed": round(typed_p95 / live_p95, 1),
            "typed_matches_plain": typed_matches,
            "dashboard_matches_plain": matches,
            "load_average_1m": [round(load_at_start, 2), round(os.getloadavg()[0], 2)],
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    finally:
        await databases.drop(database)
        await databases.drop_template()
        infrastructure.close()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m reporting.bench")
    parser.add_argument("--facts", type=int, default=1_000_000)
    parser.add_argument("--branches", type=int, default=200)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--plain-queries", type=int, default=20)
    parser.add_argument("--live-sample", type=int, default=1000)
    parser.add_argument("--stream-facts", type=int, default=100_000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--results-dir", type=Path, default=Path("bench/results"))
    parser.add_argument("--no-write", action="store_true")
    options = parser.parse_args()
    configure_logging("reporting", "WARNING", json=True)
    result = asyncio.run(measure(options))
    if not options.no_write and options.results_dir.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        for name in (f"reporting-{stamp}.json", "reporting-latest.json"):
            target = options.results_dir / name
            target.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
            print(f"written to {target}", file=sys.stderr)
    print(
        f"dashboard p95 under the stream {result['dashboard_p95_ms']} ms: "
        f"{result['speedup']}x the plain query over the JSON facts "
        f"({result['plain_p95_ms']} ms), {result['speedup_vs_typed']}x the typed, indexed "
        f"table of the same facts ({result['typed_p95_ms']} ms)",
        file=sys.stderr,
    )
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
