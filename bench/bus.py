"""Events per second through inbox, outbox, relay and broker, against raw aio-pika.

    python -m bench.bus [--events N] [--warmup W] [--mode subprocess|inprocess] [--set K=V]

Both figures are taken on the real RabbitMQ and PostgreSQL, in a database and a vhost made
for the run exactly as the test fixtures make them, and removed afterwards:

raw       N persistent messages of a portal event's size, published with confirms the way
          the outbox relay publishes (a batch at a time on one confirm channel, the batch's
          confirms awaited together) to a durable quorum queue, and consumed with manual acks
          and the services' prefetch on a second connection: first publish to last ack.
pipeline  N ``pl.waw.portal.volunteer.registered.v1`` CloudEvents published the same way into
          city.inbound, consumed by matching (inbox, volunteer and two outbox rows in one
          transaction), relayed from matching's outbox, consumed by reporting (inbox, fact
          and totals in one transaction): first publish until reporting's
          ``volunteer_totals.registered`` reaches N.

Matching and reporting run as their own processes by default (``python -m <service>``
under uvicorn, as deployed: one process, one event loop and one core per service); with
``--mode inprocess`` they share this process's event loop with the publisher and the poller,
which measures the harness as much as the platform. See bench/README.md.

With ``BUS_CLUSTER=3`` in the environment both figures are taken on a RabbitMQ cluster of
that many nodes started for the run on this machine (as tests/cluster starts it; the local
broker is not used): the queues are quorum queues replicated on every node, and the
services are given every node's address.

The last line printed is one JSON object: pipeline_per_s, raw_per_s, ratio, lost, duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import logging
import os
import platform as host_platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aio_pika
import asyncpg
import httpx
import structlog
from aio_pika.abc import AbstractExchange, AbstractIncomingMessage

from shared.settings import ServiceSettings
from shared.testing.databases import Databases
from shared.testing.infrastructure import Infrastructure, VirtualHosts, discover, unique_name
from shared.testing.platform import TestPlatform, cloud_event
from shared.topology import INBOUND_EXCHANGE
from tests.cluster.rabbitmq import RabbitCluster

REGISTERED = "pl.waw.portal.volunteer.registered.v1"
RAW_EXCHANGE = "bench.raw"
RAW_QUEUE = "bench.raw"
SERVICES = ("matching", "reporting")
TARGET_RATIO = 0.5
POLL_INTERVAL_S = 0.05
RESULTS_DIR = Path(__file__).resolve().parent / "results"

# The services' own defaults: the raw figure uses what the platform uses.
DEFAULT_PREFETCH = int(ServiceSettings.model_fields["consumer_prefetch"].default)
DEFAULT_BATCH_SIZE = int(ServiceSettings.model_fields["relay_batch_size"].default)

Outgoing = tuple[str, bytes, str]  # routing key, body, message id


# -- the messages ------------------------------------------------------------------------


def volunteer_data(portal_id: str) -> dict[str, Any]:
    """Valid data for the portal's volunteer events (an adult: no guardian needed)."""
    return {
        "portal_id": portal_id,
        "first_name": "Zofia",
        "last_name": "Kowalska-Nowak",
        "email": f"{portal_id}@example.pl",
        "phone": "+48601234567",
        "birth_date": "1999-03-14",
        "districts": ["wola", "ochota"],
        "skills": ["Scratch", "fotografia"],
        "interests": ["komiksy"],
        "languages": ["pl", "en"],
        "availability": [{"weekday": 5, "start": "22:00", "end": "02:00"}],
        "consents": {"email": True, "sms": False},
    }


def registrations(prefix: str, count: int) -> list[Outgoing]:
    """``count`` registrations of distinct people, as the portal would send them."""
    messages: list[Outgoing] = []
    for number in range(count):
        event = cloud_event(REGISTERED, volunteer_data(f"{prefix}-{number:06d}"))
        messages.append((REGISTERED, json.dumps(event).encode(), str(event["id"])))
    return messages


async def publish_batches(
    exchange: AbstractExchange, messages: Sequence[Outgoing], batch_size: int
) -> None:
    """Publish as the outbox relay does: a batch concurrently, its confirms awaited together."""
    for start in range(0, len(messages), batch_size):
        batch = messages[start : start + batch_size]
        await asyncio.gather(
            *(
                exchange.publish(
                    aio_pika.Message(
                        body,
                        content_type="application/cloudevents+json",
                        message_id=message_id,
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    routing_key=routing_key,
                )
                for routing_key, body, message_id in batch
            )
        )


# -- quiet service logs ------------------------------------------------------------------


class QuietLogs:
    """Service log lines are counted, not printed; the first few warnings go to stderr.

    In-process services log through structlog's default (stdout, every level) because only
    the CLI calls ``configure_logging``; here everything below WARNING is dropped before it
    is rendered, as a production service at INFO drops its DEBUG lines.
    """

    def __init__(self, show: int = 5) -> None:
        self.counts: Counter[str] = Counter()
        self._show = show
        self._shown = 0

    def install(self) -> None:
        structlog.configure(
            processors=[
                self._tally,
                structlog.processors.add_log_level,
                structlog.dev.ConsoleRenderer(colors=False),
            ],
            wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
            logger_factory=structlog.PrintLoggerFactory(sys.stderr),
            cache_logger_on_first_use=False,
        )
        handler = logging.StreamHandler(sys.stderr)
        handler.addFilter(self._filter)
        root = logging.getLogger()
        root.handlers[:] = [handler]
        root.setLevel(logging.WARNING)
        for name in ("faststream", "aiormq", "aio_pika", "sqlalchemy", "asyncio"):
            logger = logging.getLogger(name)
            logger.setLevel(logging.WARNING)
            logger.handlers[:] = []
            logger.propagate = True

    def _admit(self, key: str) -> bool:
        self.counts[key] += 1
        if self._shown >= self._show:
            return False
        self._shown += 1
        return True

    def _tally(self, _: Any, method: str, event_dict: MutableMapping[str, Any]) -> Any:
        if not self._admit(f"{method}: {event_dict.get('event')}"):
            raise structlog.DropEvent
        # One line each: the exception itself, not its traceback.
        exc_info = event_dict.pop("exc_info", None)
        error = sys.exc_info()[1] if exc_info is True else exc_info
        if isinstance(error, BaseException):
            event_dict["error"] = repr(error)[:300]
        return event_dict

    def _filter(self, record: logging.LogRecord) -> bool:
        if not self._admit(f"{record.levelname.lower()}: {record.name}: {record.msg}"):
            return False
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"{record.getMessage()} ({record.exc_info[1]!r})"[:400]
            record.args, record.exc_info, record.exc_text = None, None, None
        return True


# -- raw aio-pika ----------------------------------------------------------------------------


class AckCounter:
    """Acks every delivery and says when a given number has been acked."""

    def __init__(self) -> None:
        self.acked = 0
        self._target = 0
        self._reached = asyncio.Event()

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        await message.ack()
        self.acked += 1
        if self.acked >= self._target:
            self._reached.set()

    async def round_trip(
        self, publish: Callable[[], Awaitable[None]], count: int, timeout_s: float
    ) -> Timing:
        self._target = self.acked + count
        self._reached.clear()
        meter = CpuMeter()
        cpu_before = meter.snapshot()
        started = time.perf_counter()
        await publish()
        published = time.perf_counter()
        await asyncio.wait_for(self._reached.wait(), timeout_s)
        finished = time.perf_counter()
        return Timing(
            events=count,
            seconds=finished - started,
            publish_seconds=published - started,
            completed=True,
            cpu_ms_per_event=meter.ms_per_event(cpu_before, meter.snapshot(), count),
        )


class CpuMeter:
    """CPU seconds by process group from /proc (Linux, local servers): where the time goes.

    Groups: this process (``bench``: publisher, consumer, poller, and in-process services),
    the service processes this process started (``matching``, ``reporting``), and the local
    ``postgres`` and ``rabbitmq`` (beam.smp) processes, whoever else they serve meanwhile.
    """

    def __init__(self) -> None:
        self._tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self._me = os.getpid()

    def _group(self, pid: int, stat: list[str], comm: str) -> str | None:
        if pid == self._me:
            return "bench"
        if comm == "beam.smp":
            return "rabbitmq"
        if comm.startswith("postgres"):
            return "postgres"
        if int(stat[1]) == self._me:
            with contextlib.suppress(OSError):
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                for service in SERVICES:
                    if service.encode() in argv:
                        return service
        return None

    def snapshot(self) -> dict[int, tuple[str, float]]:
        seen: dict[int, tuple[str, float]] = {}
        with contextlib.suppress(OSError):
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                with contextlib.suppress(OSError, ValueError, IndexError):
                    text = (entry / "stat").read_text()
                    comm = text[text.index("(") + 1 : text.rindex(")")]
                    stat = text[text.rindex(")") + 2 :].split()
                    group = self._group(int(entry.name), stat, comm)
                    if group is not None:
                        seen[int(entry.name)] = (
                            group,
                            (int(stat[11]) + int(stat[12])) / self._tick,
                        )
        return seen

    @staticmethod
    def ms_per_event(
        before: Mapping[int, tuple[str, float]], after: Mapping[int, tuple[str, float]], events: int
    ) -> dict[str, float]:
        spent: dict[str, float] = {}
        for pid, (group, seconds) in after.items():
            spent[group] = spent.get(group, 0.0) + seconds - before.get(pid, (group, 0.0))[1]
        return {
            group: round(1000 * cpu / max(events, 1), 3) for group, cpu in sorted(spent.items())
        }


@dataclass
class Timing:
    events: int
    seconds: float
    publish_seconds: float
    completed: bool
    stages: dict[str, float | None] = field(default_factory=dict)
    # [seconds, consumed by matching, registered events relayed, counted by reporting]
    timeline: list[list[float]] = field(default_factory=list)
    cpu_ms_per_event: dict[str, float] = field(default_factory=dict)

    @property
    def per_s(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


async def raw_round_trip(
    amqp_url: str,
    warmup: Sequence[Outgoing],
    measured: Sequence[Outgoing],
    *,
    batch_size: int,
    prefetch: int,
    timeout_s: float,
) -> Timing:
    publisher = await aio_pika.connect(amqp_url)
    consumer = await aio_pika.connect(amqp_url)
    async with publisher, consumer:
        channel = await publisher.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(
            RAW_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(
            RAW_QUEUE, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.bind(exchange, routing_key="#")
        consuming = await consumer.channel()
        await consuming.set_qos(prefetch_count=prefetch)
        counter = AckCounter()
        consumer_queue = await consuming.get_queue(RAW_QUEUE, ensure=False)
        tag = await consumer_queue.consume(counter.on_message)
        try:
            if warmup:
                await counter.round_trip(
                    lambda: publish_batches(exchange, warmup, batch_size), len(warmup), timeout_s
                )
            return await counter.round_trip(
                lambda: publish_batches(exchange, measured, batch_size), len(measured), timeout_s
            )
        finally:
            await consumer_queue.cancel(tag)


# -- the pipeline --------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def running_services(
    platform: TestPlatform, mode: str, overrides: Mapping[str, str]
) -> AsyncIterator[None]:
    if mode == "inprocess":
        async with platform.running(*SERVICES, **overrides):
            yield
        return
    # Real processes (uvicorn, their own event loop and core); platform.close() kills them.
    for service in SERVICES:
        await platform.process(service, **overrides)
    yield


_PROGRESS_SQL = """
SELECT (SELECT count(*) FROM matching.inbox) AS matched,
       coalesce((SELECT registered FROM reporting.volunteer_totals WHERE id = 1), 0) AS counted
"""
_RELAYED_SQL = """
SELECT count(*) FROM matching.outbox
WHERE published_at IS NOT NULL
  AND event_type = 'pl.waw.volunteering.matching.volunteer.registered.v1'
"""
TIMELINE_EVERY_S = 0.5


async def _pipeline_round(
    admin: Any,
    inbound: AbstractExchange,
    messages: Sequence[Outgoing],
    *,
    batch_size: int,
    expected_total: int,
    stall_timeout_s: float,
) -> Timing:
    """Publish, then poll until reporting has counted ``expected_total`` in all.

    Matching's progress is its inbox (events consumed and committed); reporting's is its
    ``volunteer_totals.registered``. Every half second the timeline also records how many
    ``volunteer.registered`` events matching's relay has published.
    """
    before = expected_total - len(messages)
    meter = CpuMeter()
    cpu_before = meter.snapshot()
    started = time.perf_counter()
    publishing = asyncio.create_task(publish_batches(inbound, messages, batch_size))
    published_at: float | None = None
    matched_at: float | None = None
    last_change = next_sample = started
    last_seen = (-1, -1)
    counted = 0
    timeline: list[list[float]] = []
    try:
        while True:
            now = time.perf_counter()
            if published_at is None and publishing.done():
                publishing.result()  # a failed publish ends the run
                published_at = now
            row = await admin.fetchrow(_PROGRESS_SQL)
            matched, counted = int(row["matched"]), int(row["counted"])
            now = time.perf_counter()
            if now >= next_sample:
                relayed = int(await admin.fetchval(_RELAYED_SQL))
                timeline.append(
                    [round(now - started, 2), matched - before, relayed - before, counted - before]
                )
                next_sample = now + TIMELINE_EVERY_S
            if matched_at is None and matched >= expected_total:
                matched_at = now
            if counted >= expected_total:
                finished = now
                cpu_after = meter.snapshot()
                break
            if (matched, counted) != last_seen:
                last_seen, last_change = (matched, counted), now
            elif now - last_change > stall_timeout_s:
                finished = last_change
                cpu_after = meter.snapshot()
                break
            await asyncio.sleep(POLL_INTERVAL_S)
    finally:
        if not publishing.done():
            publishing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await publishing
    if published_at is None:
        published_at = time.perf_counter()
    arrived = max(0, min(counted, expected_total) - before)
    return Timing(
        events=arrived,
        seconds=finished - started,
        publish_seconds=published_at - started,
        completed=counted >= expected_total,
        stages={
            "published_s": published_at - started,
            "matching_done_s": None if matched_at is None else matched_at - started,
            "reporting_done_s": finished - started,
        },
        timeline=timeline,
        cpu_ms_per_event=meter.ms_per_event(cpu_before, cpu_after, max(arrived, 1)),
    )


async def _wait_for_outbox(admin: Any, timeout_s: float) -> int:
    """Matching's contact events may still be relaying when reporting is done: wait a little."""
    deadline = time.monotonic() + timeout_s
    while True:
        pending = int(
            await admin.fetchval("SELECT count(*) FROM matching.outbox WHERE published_at IS NULL")
        )
        if pending == 0 or time.monotonic() > deadline:
            return pending
        await asyncio.sleep(POLL_INTERVAL_S)


async def _dead_letters(channel: aio_pika.abc.AbstractChannel) -> dict[str, int]:
    counts: dict[str, int] = {}
    for service in SERVICES:
        queue = await channel.declare_queue(f"{service}.dead-letters", passive=True)
        counts[service] = int(queue.declaration_result.message_count or 0)
    return counts


async def pipeline_round_trip(
    platform: TestPlatform,
    warmup: Sequence[Outgoing],
    measured: Sequence[Outgoing],
    *,
    mode: str,
    batch_size: int,
    overrides: Mapping[str, str],
    stall_timeout_s: float,
) -> tuple[Timing, dict[str, Any]]:
    admin = await asyncpg.connect(platform.admin_url, database=platform.database)
    connection = await aio_pika.connect(platform.amqp_url)
    try:
        async with running_services(platform, mode, overrides):
            channel = await connection.channel(publisher_confirms=True)
            inbound = await channel.get_exchange(INBOUND_EXCHANGE, ensure=False)
            if warmup:
                await _pipeline_round(
                    admin,
                    inbound,
                    warmup,
                    batch_size=batch_size,
                    expected_total=len(warmup),
                    stall_timeout_s=stall_timeout_s,
                )
            expected = len(warmup) + len(measured)
            timing = await _pipeline_round(
                admin,
                inbound,
                measured,
                batch_size=batch_size,
                expected_total=expected,
                stall_timeout_s=stall_timeout_s,
            )
            pending = await _wait_for_outbox(admin, timeout_s=10.0)
            dead_letters = await _dead_letters(channel)
        checks = await admin.fetchrow(
            """
            SELECT (SELECT count(*) FROM matching.volunteers) AS matching_volunteers,
                   (SELECT count(*) FROM matching.inbox) AS matching_inbox,
                   (SELECT count(*) FROM matching.outbox) AS matching_outbox,
                   coalesce((SELECT registered FROM reporting.volunteer_totals WHERE id = 1), 0)
                       AS reporting_registered,
                   (SELECT count(DISTINCT volunteer_id) FROM reporting.volunteers)
                       AS reporting_distinct,
                   (SELECT count(*) FROM reporting.inbox) AS reporting_inbox
            """
        )
    finally:
        await connection.close()
        await admin.close()
    facts: dict[str, Any] = {key: int(value) for key, value in dict(checks).items()}
    facts["expected"] = expected
    facts["matching_outbox_pending"] = pending
    facts["dead_letters"] = dead_letters
    facts["lost"] = expected - facts["reporting_distinct"]
    facts["duplicated"] = facts["reporting_registered"] - facts["reporting_distinct"]
    return timing, facts


# -- the run -------------------------------------------------------------------------------


def _package_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for package in ("aio-pika", "aiormq", "faststream", "asyncpg", "sqlalchemy", "uvloop"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[package] = importlib.metadata.version(package)
    return versions


def _git_revision() -> dict[str, Any]:
    """Which code was measured: the commit, and whether the work tree differed from it."""
    root = Path(__file__).resolve().parent.parent
    revision: dict[str, Any] = {}
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        revision["commit"] = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "shared", "services"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        revision["uncommitted_changes_in_shared_or_services"] = bool(changed.strip())
    return revision


def _cpu_model() -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return None


async def machine_info(infrastructure: Infrastructure, admin_url: str) -> dict[str, Any]:
    info: dict[str, Any] = {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "load_average_at_start": [round(load, 2) for load in os.getloadavg()],
        "python": sys.version.split()[0],
        "platform": host_platform.platform(),
        "packages": _package_versions(),
        "git": _git_revision(),
    }
    with contextlib.suppress(Exception):
        parts = urlsplit(infrastructure.management_url)
        auth = (parts.username or "guest", parts.password or "guest")
        api = f"{parts.scheme}://{parts.hostname}:{parts.port}/api/overview"
        async with httpx.AsyncClient(auth=auth, timeout=5) as client:
            overview = (await client.get(api)).json()
        info["rabbitmq"] = overview.get("rabbitmq_version")
        info["erlang"] = overview.get("erlang_version")
    with contextlib.suppress(Exception):
        connection = await asyncpg.connect(admin_url)
        try:
            info["postgres"] = await connection.fetchval("SHOW server_version")
            info["postgres_synchronous_commit"] = await connection.fetchval(
                "SHOW synchronous_commit"
            )
        finally:
            await connection.close()
    return info


@dataclass
class Options:
    events: int
    warmup: int
    mode: str
    loop: str
    batch_size: int
    prefetch: int
    overrides: dict[str, str]
    stall_timeout_s: float
    results_dir: Path | None
    # BUS_CLUSTER: RabbitMQ nodes of a cluster started for the run; 0: the local broker.
    cluster_size: int = 0


async def _cleanly(what: str, action: Awaitable[object]) -> None:
    """A clean-up step that fails says so and lets the others run (and the real error show)."""
    try:
        await action
    except Exception as error:
        print(f"bench.bus: could not {what}: {error!r}", file=sys.stderr)


async def start_cluster(size: int, cleanup: contextlib.AsyncExitStack) -> RabbitCluster:
    """A RabbitMQ cluster of ``size`` nodes for the run, stopped when it ends."""
    cluster = RabbitCluster(Path(tempfile.mkdtemp(prefix="bench-bus-cluster-")), size=size)
    cleanup.push_async_callback(lambda: asyncio.to_thread(cluster.close))
    await asyncio.to_thread(cluster.start)
    return cluster


async def measure(options: Options, logs: QuietLogs) -> dict[str, Any]:
    infrastructure = await discover()
    async with contextlib.AsyncExitStack() as cleanup:
        cleanup.callback(infrastructure.close)
        databases = Databases(infrastructure)
        vhosts = VirtualHosts(infrastructure)
        await vhosts.delete_stale()
        await databases.prepare_template()
        cleanup.push_async_callback(
            lambda: _cleanly("drop the template database", databases.drop_template())
        )
        database = await databases.create()
        cleanup.push_async_callback(
            lambda: _cleanly(f"drop database {database}", databases.drop(database))
        )
        overrides = dict(options.overrides)
        if options.cluster_size:
            cluster = await start_cluster(options.cluster_size, cleanup)
            vhost = unique_name("vt_")
            await cluster.create_vhost(vhost)
            amqp_url = cluster.amqp_url(vhost)
            overrides["amqp_addresses"] = ",".join(cluster.addresses)
        else:
            vhost, amqp_url = await vhosts.create()
            cleanup.push_async_callback(
                lambda: _cleanly(f"delete vhost {vhost}", vhosts.delete(vhost))
            )
        platform = TestPlatform(
            admin_url=infrastructure.postgres_admin_url,
            database=database,
            amqp_url=amqp_url,
            vhost=vhost,
            restart_broker=infrastructure.restart_broker,
        )
        cleanup.push_async_callback(lambda: _cleanly("stop the services", platform.close()))
        machine = await machine_info(infrastructure, infrastructure.postgres_admin_url)

        raw = await raw_round_trip(
            amqp_url,
            registrations("raw-warmup", options.warmup),
            registrations("raw", options.events),
            batch_size=options.batch_size,
            prefetch=options.prefetch,
            timeout_s=max(60.0, options.events / 50),
        )
        pipeline, checks = await pipeline_round_trip(
            platform,
            registrations("warmup", options.warmup),
            registrations("bench", options.events),
            mode=options.mode,
            batch_size=options.batch_size,
            overrides=overrides,
            stall_timeout_s=options.stall_timeout_s,
        )
    machine["load_average_at_end"] = [round(load, 2) for load in os.getloadavg()]
    ratio = pipeline.per_s / raw.per_s if raw.per_s else 0.0
    budget = cpu_budget(pipeline.cpu_ms_per_event, raw.per_s, os.cpu_count() or 1)
    return {
        "started_at": None,
        "events": options.events,
        "warmup": options.warmup,
        "mode": options.mode,
        "loop": options.loop,
        "publish_batch_size": options.batch_size,
        "consumer_prefetch": options.prefetch,
        "service_overrides": overrides,
        "broker_nodes": options.cluster_size or 1,
        "raw": {**asdict(raw), "per_s": raw.per_s},
        "pipeline": {**asdict(pipeline), "per_s": pipeline.per_s},
        "checks": checks,
        "raw_per_s": round(raw.per_s, 1),
        "pipeline_per_s": round(pipeline.per_s, 1),
        "ratio": round(ratio, 4),
        "target_ratio": TARGET_RATIO,
        "target_met": ratio >= TARGET_RATIO and checks["lost"] == 0,
        "lost": checks["lost"],
        "duplicated": checks["duplicated"],
        "service_log_lines": dict(logs.counts),
        "cpu_budget": budget,
        "machine": machine,
    }


def cpu_budget(cpu_ms: Mapping[str, float], raw_per_s: float, cores: int) -> dict[str, Any]:
    """What the measured CPU costs allow on this machine, next to what the target needs.

    All cores busy for a second give ``cores * 1000`` ms: at the pipeline's cost per event
    that is the most it can carry; at the broker's and the database's cost alone (as if
    both services cost nothing) it is the most any service code could reach.
    """
    if not cpu_ms or not raw_per_s:
        return {}
    total = sum(cpu_ms.values())
    servers = cpu_ms.get("rabbitmq", 0.0) + cpu_ms.get("postgres", 0.0)
    capacity_ms = cores * 1000.0
    return {
        "cores": cores,
        "pipeline_ms_per_event": round(total, 3),
        "servers_ms_per_event": round(servers, 3),
        "target_ms_per_event": round(capacity_ms / (TARGET_RATIO * raw_per_s), 3),
        "cpu_bound_per_s": round(capacity_ms / total, 1) if total else None,
        "servers_only_ratio_ceiling": (
            round(capacity_ms / servers / raw_per_s, 3) if servers else None
        ),
    }


def _timeline_rows(timeline: Sequence[Sequence[float]], rows: int = 8) -> list[str]:
    if not timeline:
        return []
    step = max(1, len(timeline) // rows)
    picked = list(timeline[::step])
    if picked[-1] is not timeline[-1]:
        picked.append(timeline[-1])
    lines = [f"  {'s':>7}{'matching consumed':>19}{'relayed':>9}{'reporting counted':>19}"]
    lines += [f"  {t:>7.2f}{m:>19.0f}{r:>9.0f}{c:>19.0f}" for t, m, r, c in picked]
    return lines


def _cpu_text(cpu: Mapping[str, float]) -> str:
    if not cpu:
        return "not measured (no /proc)"
    return ", ".join(f"{group} {ms:.2f}" for group, ms in cpu.items())


def _budget_lines(budget: Mapping[str, Any]) -> list[str]:
    if not budget:
        return []
    return [
        f"  on {budget['cores']} cores the target needs <= {budget['target_ms_per_event']:.2f} "
        f"ms per event in all; the pipeline spends {budget['pipeline_ms_per_event']:.2f} "
        f"(CPU-bound at {budget['cpu_bound_per_s']}/s), of which the broker and the "
        f"database {budget['servers_ms_per_event']:.2f} (ratio ceiling with services at "
        f"no cost: {budget['servers_only_ratio_ceiling']})",
    ]


def report(result: Mapping[str, Any]) -> str:
    raw, pipeline, checks = result["raw"], result["pipeline"], result["checks"]
    stages = pipeline["stages"]
    events = result["events"]

    def at(name: str) -> str:
        value = stages.get(name)
        if value is None:
            return "-"
        return f"{value:.2f}s ({events / value:.0f}/s)" if value > 0 else f"{value:.2f}s"

    verdict = "met" if result["target_met"] else "NOT met"
    lines = [
        f"bench.bus: {events} events (+{result['warmup']} warm-up); services {result['mode']}; "
        f"{result['loop']} loop; publish batches of {result['publish_batch_size']}; "
        f"prefetch {result['consumer_prefetch']}; "
        + (
            f"RabbitMQ cluster of {result['broker_nodes']} nodes"
            if result["broker_nodes"] > 1
            else "one RabbitMQ node"
        ),
        "",
        f"{'':<16}{'events':>8}{'publish s':>11}{'total s':>10}{'events/s':>11}",
        f"{'raw aio-pika':<16}{raw['events']:>8}{raw['publish_seconds']:>11.3f}"
        f"{raw['seconds']:>10.3f}{raw['per_s']:>11.1f}",
        f"{'pipeline':<16}{pipeline['events']:>8}{pipeline['publish_seconds']:>11.3f}"
        f"{pipeline['seconds']:>10.3f}{pipeline['per_s']:>11.1f}",
        "",
        f"ratio pipeline/raw: {result['ratio']:.3f}   target >= {result['target_ratio']}: "
        f"{verdict}",
        "",
        f"pipeline, from the first publish: all published {at('published_s')}; "
        f"matching consumed all {at('matching_done_s')}; "
        f"reporting counted all {at('reporting_done_s')}"
        + ("" if pipeline["completed"] else "  STALLED: reporting stopped counting"),
        *_timeline_rows(pipeline["timeline"]),
        "",
        "CPU ms per event (this process, service processes, local servers):",
        f"  raw       {_cpu_text(raw['cpu_ms_per_event'])}",
        f"  pipeline  {_cpu_text(pipeline['cpu_ms_per_event'])}",
        *_budget_lines(result["cpu_budget"]),
        "",
        f"lost {checks['lost']}, duplicated {checks['duplicated']} "
        f"(of {checks['expected']}, warm-up included); matching volunteers "
        f"{checks['matching_volunteers']}/{checks['expected']}; matching outbox unpublished "
        f"{checks['matching_outbox_pending']} of {checks['matching_outbox']}; dead letters "
        + ", ".join(f"{name} {count}" for name, count in checks["dead_letters"].items()),
    ]
    if result["service_log_lines"]:
        lines.append(f"service warnings/errors (counted): {result['service_log_lines']}")
    return "\n".join(lines)


def write_results(result: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(result, indent=2, sort_keys=True) + "\n"
    path = directory / f"bus-{stamp}.json"
    path.write_text(text)
    (directory / "bus-latest.json").write_text(text)
    return path


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.bus", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2000, help="events per figure (2000)")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up events first (200)")
    parser.add_argument(
        "--mode",
        choices=("subprocess", "inprocess"),
        default="subprocess",
        help="matching and reporting as their own processes (default) or in this one",
    )
    parser.add_argument(
        "--loop",
        choices=("uvloop", "asyncio"),
        default="uvloop",
        help="event loop of this process; uvicorn picks uvloop for the services (uvloop)",
    )
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a service setting for both services, e.g. consumer_prefetch=16 (repeatable); "
        "consumer_prefetch and relay_batch_size apply to the raw figure too",
    )
    parser.add_argument("--stall-timeout", type=float, default=60.0, help="seconds (60)")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results")
    args = parser.parse_args(argv)
    if args.events < 1 or args.warmup < 0:
        parser.error("--events must be at least 1 and --warmup at least 0")
    overrides: dict[str, str] = {}
    for setting in args.settings:
        key, sep, value = setting.partition("=")
        if not sep:
            parser.error(f"--set wants KEY=VALUE, not {setting!r}")
        overrides[key.strip().lower()] = value.strip()
    return Options(
        events=args.events,
        warmup=args.warmup,
        mode=args.mode,
        loop=args.loop,
        batch_size=int(overrides.get("relay_batch_size", DEFAULT_BATCH_SIZE)),
        prefetch=int(overrides.get("consumer_prefetch", DEFAULT_PREFETCH)),
        overrides=overrides,
        stall_timeout_s=args.stall_timeout,
        results_dir=None if args.no_write else RESULTS_DIR,
        cluster_size=int(os.environ.get("BUS_CLUSTER") or 0),
    )


def _loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    if name == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return None


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    logs = QuietLogs()
    logs.install()
    started_at = datetime.now(UTC).isoformat()
    with asyncio.Runner(loop_factory=_loop_factory(options.loop)) as runner:
        result = runner.run(measure(options, logs))
    result["started_at"] = started_at
    print(report(result))
    if options.results_dir is not None:
        path = write_results(result, options.results_dir)
        print(
            f"results: {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}"
        )
    summary = {
        key: result[key] for key in ("pipeline_per_s", "raw_per_s", "ratio", "lost", "duplicated")
    }
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
