"""Events per second through inbox, outbox, relay and broker, against a lean pipeline and raw
aio-pika.

    python -m bench.bus [--events N] [--warmup W] [--runs R] [--mode subprocess|inprocess]
                        [--set K=V] [--cluster 3]

Every figure is taken on the real RabbitMQ and PostgreSQL, in a database and vhosts made for
the run exactly as the test fixtures make them, and removed afterwards:

raw           N persistent messages of a portal event's size, published with confirms the way
              the outbox relay publishes (a batch at a time on one confirm channel, the
              batch's confirms awaited together) to a durable quorum queue, and consumed with
              manual acks and the services' prefetch on a second connection.
pipeline      N ``pl.waw.portal.volunteer.registered.v1`` CloudEvents published the same way
              into city.inbound, consumed by matching (inbox, volunteer and two outbox rows in
              one transaction), relayed from matching's outbox, consumed by reporting (inbox,
              fact and totals in one transaction): first publish until reporting's
              ``volunteer_totals.registered`` has counted them. The contact event goes to a
              notifications-like queue the benchmark consumes.
lean          the same hops and guarantees written directly on aio-pika and asyncpg
              (``bench.lean``), in a schema and a vhost of its own: one transaction per
              delivery.
lean_batched  the same, applying the deliveries at hand in one transaction.

The figures take turns, ``--runs`` times (3); medians and spreads are printed. Matching and
reporting run as their own processes by default (``python -m <service>`` under uvicorn, as
deployed), like the lean consumers; with ``--mode inprocess`` they share this process's event
loop with the publisher and the poller. See bench/README.md.

With ``--cluster 3`` every figure runs on a RabbitMQ cluster of three nodes started for the
run (``bench.cluster``) instead of the machine's broker: the services are given every node's
address, and the results go to ``bench/results/bus-cluster-*.json``.

The last line printed is one JSON object: the median rates, ratios, lost and duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import importlib.metadata
import json
import logging
import os
import platform as host_platform
import statistics
import subprocess
import sys
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
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bench import lean as lean_pipeline
from bench.cluster import cluster_broker
from bench.lean import EventTypes, LeanPipeline
from bench.processes import ServiceProcesses
from matching.events import VolunteerContactChanged, VolunteerRegistered
from shared.settings import ServiceSettings
from shared.testing.databases import Databases
from shared.testing.infrastructure import Infrastructure, VirtualHosts, discover
from shared.testing.platform import TestPlatform, cloud_event
from shared.topology import INBOUND_EXCHANGE, exchange_for

REGISTERED = "pl.waw.portal.volunteer.registered.v1"
RAW_EXCHANGE = "bench.raw"
RAW_QUEUE = "bench.raw"
SERVICES = ("matching", "reporting")
TARGET_RATIO = 0.5
POLL_INTERVAL_S = 0.05
RESULTS_DIR = Path(__file__).resolve().parent / "results"
FIGURES = ("raw", "pipeline", "lean", "lean_batched")
# The events matching publishes for a registration: the lean pipeline uses the same types.
REGISTERED_OUT = VolunteerRegistered.event_type("matching")
CONTACT_OUT = VolunteerContactChanged.event_type("matching")
NOTIFICATIONS_QUEUE = "bench.notifications"
# Connections of each lean process: the services' pool_size (10; they may overflow to 20),
# and for the batched variant what one consumer and one relay use at a time. The Postgres of
# a shared machine has few connections to spare.
LEAN_POOL_SIZE = 10
LEAN_BATCHED_POOL_SIZE = 3

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


# -- CPU and load --------------------------------------------------------------------------


def _listening_pid(port: int) -> int | None:
    """The process listening on ``port`` of this machine (/proc, Linux; root sees them all)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    if not inodes:
        return None
    targets = {f"socket:[{inode}]" for inode in inodes}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in targets:
                        return int(entry.name)
    return None


MACHINE = "machine"  # every process of the machine, from /proc/stat


class CpuMeter:
    """CPU seconds by process group from /proc (Linux, local servers): where the time goes.

    Groups: this process (``bench``: publishers, pollers, the notifications-like tallies and
    in-process services), the service processes and lean processes it started (``matching``,
    ``reporting``, ``lean-first``, ``lean-second``), the RabbitMQ node and the PostgreSQL
    server that listen on the ports the benchmark uses (with their child processes), whoever
    else they serve meanwhile; and ``machine``: every process of the machine (/proc/stat),
    other people's work included.
    """

    def __init__(self, broker_ports: Sequence[int] = (5672,), postgres_port: int = 5432) -> None:
        self._tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self._me = os.getpid()
        # A cluster's nodes count together as the broker.
        listening = [(port, "rabbitmq") for port in broker_ports] + [(postgres_port, "postgres")]
        self._servers = {
            pid: name
            for pid, name in ((_listening_pid(port), name) for port, name in listening)
            if pid is not None
        }

    def _group(self, pid: int, stat: list[str], comm: str) -> str | None:
        if pid == self._me:
            return "bench"
        parent = int(stat[1])
        for server_pid, name in self._servers.items():
            if server_pid in (pid, parent):
                return name
        if not self._servers:  # no /proc/net: by name, as a fallback
            if comm == "beam.smp":
                return "rabbitmq"
            if comm.startswith("postgres"):
                return "postgres"
        if parent == self._me:
            with contextlib.suppress(OSError):
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                if b"bench.lean" in argv:
                    return "lean-first" if b"first" in argv else "lean-second"
                for service in SERVICES:
                    if service.encode() in argv:
                        return service
        return None

    def _machine_seconds(self) -> float:
        with contextlib.suppress(OSError, ValueError):
            fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:9]
            user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields)
            return (user + nice + system + irq + softirq + steal) / self._tick
        return 0.0

    def snapshot(self) -> dict[int, tuple[str, float]]:
        seen: dict[int, tuple[str, float]] = {-1: (MACHINE, self._machine_seconds())}
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
    # [seconds, consumed by the first consumer, registered events relayed, counted by the second]
    timeline: list[list[float]] = field(default_factory=list)
    cpu_ms_per_event: dict[str, float] = field(default_factory=dict)
    load_average: list[float] = field(default_factory=list)

    @property
    def per_s(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def _load() -> list[float]:
    return [round(load, 2) for load in os.getloadavg()]


# -- raw aio-pika ----------------------------------------------------------------------------


class RawBus:
    """Publish with confirms to a quorum queue, consume with manual acks: the broker alone."""

    def __init__(self, amqp_url: str, *, prefetch: int, meter: CpuMeter) -> None:
        self._amqp_url = amqp_url
        self._prefetch = prefetch
        self._meter = meter
        self._stack = contextlib.AsyncExitStack()
        self._exchange: AbstractExchange | None = None
        self.acked = 0
        self._target = 0
        self._reached = asyncio.Event()

    async def open(self) -> None:
        publisher = await self._stack.enter_async_context(await aio_pika.connect(self._amqp_url))
        consumer = await self._stack.enter_async_context(await aio_pika.connect(self._amqp_url))
        channel = await publisher.channel(publisher_confirms=True)
        self._exchange = await channel.declare_exchange(
            RAW_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(
            RAW_QUEUE, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.bind(self._exchange, routing_key="#")
        consuming = await consumer.channel()
        await consuming.set_qos(prefetch_count=self._prefetch)
        await (await consuming.get_queue(RAW_QUEUE, ensure=False)).consume(self._on_message)

    async def close(self) -> None:
        await self._stack.aclose()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        await message.ack()
        self.acked += 1
        if self.acked >= self._target:
            self._reached.set()

    async def round(
        self, messages: Sequence[Outgoing], batch_size: int, timeout_s: float
    ) -> Timing:
        assert self._exchange is not None
        self._target = self.acked + len(messages)
        self._reached.clear()
        load = _load()
        cpu_before = self._meter.snapshot()
        started = time.perf_counter()
        await publish_batches(self._exchange, messages, batch_size)
        published = time.perf_counter()
        await asyncio.wait_for(self._reached.wait(), timeout_s)
        finished = time.perf_counter()
        return Timing(
            events=len(messages),
            seconds=finished - started,
            publish_seconds=published - started,
            completed=True,
            cpu_ms_per_event=self._meter.ms_per_event(
                cpu_before, self._meter.snapshot(), len(messages)
            ),
            load_average=load,
        )


# -- the notifications-like queue ------------------------------------------------------------


class Tally:
    """A queue the benchmark consumes itself (manual acks): every delivery's message id counted.

    Bound to the contact event, it stands where notifications would: the registration's
    third message is enqueued and consumed like the others, and a message the relay sent
    twice shows as an id delivered twice.
    """

    def __init__(self, amqp_url: str, exchange: str, routing_key: str, queue: str) -> None:
        self._amqp_url = amqp_url
        self._exchange = exchange
        self._routing_key = routing_key
        self._queue = queue
        self.ids: Counter[str] = Counter()
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None

    async def start(self, prefetch: int) -> None:
        self._connection = await aio_pika.connect_robust(self._amqp_url)
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        queue = await channel.declare_queue(
            self._queue, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.bind(self._exchange, routing_key=self._routing_key)
        await queue.consume(self._on_message)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self.ids[message.message_id or ""] += 1
        await message.ack()

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    def facts(self, expected: int) -> dict[str, int]:
        return {
            "contact_received": sum(self.ids.values()),
            "contact_distinct": len(self.ids),
            "contact_lost": expected - len(self.ids),
            "contact_delivered_again": sum(count - 1 for count in self.ids.values()),
        }


# -- watching a pipeline ------------------------------------------------------------------


@dataclass(frozen=True)
class Watch:
    """How the benchmark sees one pipeline's progress from the database."""

    progress_sql: str  # columns: matched (first consumer), counted (second consumer)
    relayed_sql: str  # registered events the relay has marked published
    pending_sql: str  # outbox rows not yet published


PLATFORM_WATCH = Watch(
    progress_sql="""
        SELECT (SELECT count(*) FROM matching.inbox) AS matched,
               coalesce((SELECT registered FROM reporting.volunteer_totals WHERE id = 1), 0)
                   AS counted
    """,
    relayed_sql=f"""
        SELECT count(*) FROM matching.outbox
        WHERE published_at IS NOT NULL AND event_type = '{REGISTERED_OUT}'
    """,
    pending_sql="SELECT count(*) FROM matching.outbox WHERE published_at IS NULL",
)
TIMELINE_EVERY_S = 0.5


async def pipeline_round(
    admin: Any,
    inbound: AbstractExchange,
    messages: Sequence[Outgoing],
    *,
    watch: Watch,
    meter: CpuMeter,
    batch_size: int,
    expected_total: int,
    stall_timeout_s: float,
) -> Timing:
    """Publish, then poll until the second consumer has counted ``expected_total`` in all.

    The first consumer's progress is its inbox (events consumed and committed); the
    second's is its totals row. Every half second the timeline also records how many
    registered events the relay has published.
    """
    before = expected_total - len(messages)
    load = _load()
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
            row = await admin.fetchrow(watch.progress_sql)
            matched, counted = int(row["matched"]), int(row["counted"])
            now = time.perf_counter()
            if now >= next_sample:
                relayed = int(await admin.fetchval(watch.relayed_sql))
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
            "first_done_s": None if matched_at is None else matched_at - started,
            "second_done_s": finished - started,
        },
        timeline=timeline,
        cpu_ms_per_event=meter.ms_per_event(cpu_before, cpu_after, max(arrived, 1)),
        load_average=load,
    )


async def wait_for_outbox(admin: Any, watch: Watch, timeout_s: float) -> int:
    """Contact events may still be relaying when the second consumer is done: wait a little."""
    deadline = time.monotonic() + timeout_s
    while True:
        pending = int(await admin.fetchval(watch.pending_sql))
        if pending == 0 or time.monotonic() > deadline:
            return pending
        await asyncio.sleep(POLL_INTERVAL_S)


async def wait_for_tally(tally: Tally, expected: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while len(tally.ids) < expected and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(POLL_INTERVAL_S)


async def _dead_letters(amqp_url: str, queues: Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for name in queues:
            queue = await channel.declare_queue(name, passive=True)
            counts[name] = int(queue.declaration_result.message_count or 0)
    return counts


def consumer_outcomes(metrics_text: str) -> dict[str, dict[str, float]]:
    """``consumer_messages_total`` by service and outcome, from Prometheus' text format,
    and the transactions the consumer applied them in (``transactions``)."""
    outcomes: dict[str, dict[str, float]] = {}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            service = sample.labels.get("service", "?")
            if sample.name == "consumer_messages_total":
                outcome = sample.labels.get("outcome", "?")
                outcomes.setdefault(service, {})[outcome] = sample.value
            elif sample.name == "consumer_batch_deliveries_count":
                outcomes.setdefault(service, {})["transactions"] = sample.value
    return outcomes


@contextlib.asynccontextmanager
async def running_services(
    platform: TestPlatform, mode: str, overrides: Mapping[str, str]
) -> AsyncIterator[Callable[[], Awaitable[dict[str, dict[str, float]]]]]:
    """Matching and reporting running; yields how to read their consumers' outcomes."""
    if mode == "inprocess":
        async with platform.running(*SERVICES, **overrides):

            async def local() -> dict[str, dict[str, float]]:
                return consumer_outcomes(generate_latest().decode())

            yield local
        return
    # Real processes (uvicorn, their own event loop and core), killed at the end.
    started = ServiceProcesses(platform)
    try:
        processes = [await started.start(service, **overrides) for service in SERVICES]
    except BaseException:
        started.stop()
        raise

    async def scraped() -> dict[str, dict[str, float]]:
        outcomes: dict[str, dict[str, float]] = {}
        async with httpx.AsyncClient(timeout=10) as client:
            for process in processes:
                with contextlib.suppress(httpx.HTTPError):
                    text = (await client.get(f"{process.url}/metrics")).text
                    outcomes.update(consumer_outcomes(text))
        return outcomes

    try:
        yield scraped
    finally:
        started.stop()


async def platform_checks(
    admin: Any, expected: int, outcomes: Mapping[str, Mapping[str, float]]
) -> dict[str, Any]:
    row = await admin.fetchrow(
        """
        SELECT (SELECT count(*) FROM matching.volunteers) AS first_effects,
               (SELECT count(*) FROM matching.inbox) AS first_inbox,
               (SELECT count(*) FROM matching.outbox) AS outbox,
               (SELECT count(*) FROM matching.outbox WHERE published_at IS NULL)
                   AS outbox_pending,
               (SELECT count(*) FROM matching.outbox WHERE attempts > 1) AS outbox_sent_again,
               (SELECT count(*) FROM reporting.inbox) AS second_inbox,
               (SELECT count(*) FROM reporting.volunteers) AS second_effects,
               (SELECT count(DISTINCT volunteer_id) FROM reporting.volunteers)
                   AS second_distinct,
               coalesce((SELECT registered FROM reporting.volunteer_totals WHERE id = 1), 0)
                   AS second_counted
        """
    )
    facts: dict[str, Any] = {key: int(value) for key, value in dict(row).items()}

    def duplicates(service: str) -> int | None:
        if service not in outcomes:
            return None  # the service does not expose its consumers' outcomes
        return int(outcomes[service].get("duplicate", 0))

    facts["first_duplicate_deliveries"] = duplicates("matching")
    facts["second_duplicate_deliveries"] = duplicates("reporting")
    facts["consumer_outcomes"] = {k: dict(v) for k, v in outcomes.items()}
    return facts


def settle_checks(facts: dict[str, Any], expected: int) -> dict[str, Any]:
    """Lost and duplicated, counted where each would show (the same for every pipeline)."""
    facts["expected"] = expected
    facts["lost"] = expected - facts["second_distinct"]
    facts["duplicates"] = {
        # a delivery whose inbox claim found the event already applied
        "first_duplicate_deliveries": facts.get("first_duplicate_deliveries"),
        "second_duplicate_deliveries": facts.get("second_duplicate_deliveries"),
        # an outbox row published more than once (attempts > 1), and a contact event
        # delivered more than once at the notifications-like queue
        "outbox_sent_again": facts["outbox_sent_again"],
        "contact_delivered_again": facts["contact_delivered_again"],
        # an effect applied twice: more volunteers than events, more counted than facts,
        # more facts than volunteers
        "first_effects_applied_again": max(0, facts["first_effects"] - expected),
        "second_counted_again": max(0, facts["second_counted"] - facts["second_distinct"]),
        "second_effects_applied_again": facts["second_effects"] - facts["second_distinct"],
    }
    # Duplicate deliveries that the inbox caught are harmless; effects applied twice are not.
    facts["duplicated"] = sum(
        facts["duplicates"][key]
        for key in (
            "first_effects_applied_again",
            "second_counted_again",
            "second_effects_applied_again",
        )
    )
    facts["duplicate_deliveries"] = sum(
        facts["duplicates"][key] or 0
        for key in (
            "first_duplicate_deliveries",
            "second_duplicate_deliveries",
            "outbox_sent_again",
            "contact_delivered_again",
        )
    )
    return facts


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


def _loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    if name == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return None


@dataclass
class Options:
    events: int
    warmup: int
    runs: int
    mode: str
    loop: str
    batch_size: int
    prefetch: int
    lean_max_batch: int
    lean_batched_prefetch: int
    overrides: dict[str, str]
    stall_timeout_s: float
    results_dir: Path | None
    cluster: int = 0  # nodes of a RabbitMQ cluster started for the run; 0: the machine's broker


async def _cleanly(what: str, action: Awaitable[object]) -> None:
    """A clean-up step that fails says so and lets the others run (and the real error show)."""
    try:
        await action
    except Exception as error:
        print(f"bench.bus: could not {what}: {error!r}", file=sys.stderr)


@dataclass
class Contender:
    """A pipeline under measurement: where to publish, how to watch it, what it delivered."""

    inbound: AbstractExchange
    watch: Watch
    tally: Tally
    amqp_url: str
    dead_letter_queues: tuple[str, ...]
    checks: Callable[[], Awaitable[dict[str, Any]]]
    done: int = 0


def _with_database(admin_url: str, database: str) -> str:
    parts = urlsplit(admin_url)
    return parts._replace(path=f"/{database}").geturl()


def spread(values: Sequence[float], digits: int = 1) -> dict[str, Any]:
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "runs": [round(value, digits) for value in values],
    }


def mean_cpu(timings: Sequence[Timing]) -> dict[str, float]:
    """CPU ms per event over all runs of a figure (weighted by the events of each run)."""
    events = sum(t.events for t in timings)
    groups = sorted({group for t in timings for group in t.cpu_ms_per_event})
    return {
        group: round(
            sum(t.cpu_ms_per_event.get(group, 0.0) * t.events for t in timings) / max(events, 1),
            3,
        )
        for group in groups
    }


async def measure(options: Options, logs: QuietLogs) -> dict[str, Any]:
    infrastructure = await discover()
    timings: dict[str, list[Timing]] = {name: [] for name in FIGURES}
    service_settings = dict(options.overrides)
    async with contextlib.AsyncExitStack() as cleanup:
        cleanup.callback(infrastructure.close)
        broker_ports = [urlsplit(infrastructure.amqp_url).port or 5672]
        if options.cluster:
            cluster = await cleanup.enter_async_context(
                cluster_broker(infrastructure, options.cluster)
            )
            infrastructure = cluster.infrastructure
            broker_ports = list(cluster.amqp_ports)
            # Raw, lean and the publisher connect to the first node; the services may fail
            # over to any of them, as deployed (``<SERVICE>_AMQP_ADDRESSES``).
            service_settings["amqp_addresses"] = ",".join(cluster.addresses)
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
        amqp_urls: dict[str, str] = {}
        for name in ("pipeline", "lean", "lean_batched"):
            vhost, amqp_urls[name] = await vhosts.create()
            cleanup.push_async_callback(_cleanly, f"delete vhost {vhost}", vhosts.delete(vhost))
        platform = TestPlatform(
            admin_url=infrastructure.postgres_admin_url,
            database=database,
            amqp_url=amqp_urls["pipeline"],
            vhost="",
            restart_broker=infrastructure.restart_broker,
        )
        cleanup.push_async_callback(lambda: _cleanly("stop the services", platform.close()))
        machine = await machine_info(infrastructure, infrastructure.postgres_admin_url)
        machine["rabbitmq_nodes"] = max(options.cluster, 1)
        meter = CpuMeter(
            broker_ports=broker_ports,
            postgres_port=urlsplit(infrastructure.postgres_admin_url).port or 5432,
        )
        dsn = _with_database(infrastructure.postgres_admin_url, database)
        admin = await asyncpg.connect(dsn)
        cleanup.push_async_callback(admin.close)

        raw = RawBus(amqp_urls["pipeline"], prefetch=options.prefetch, meter=meter)
        await raw.open()
        cleanup.push_async_callback(raw.close)

        contenders: dict[str, Contender] = {}
        outcomes = await cleanup.enter_async_context(
            running_services(platform, options.mode, service_settings)
        )

        async def publishing_exchange(amqp_url: str, name: str) -> AbstractExchange:
            connection = await aio_pika.connect(amqp_url)
            cleanup.push_async_callback(connection.close)
            channel = await connection.channel(publisher_confirms=True)
            return await channel.get_exchange(name, ensure=False)

        async def started_tally(amqp_url: str, exchange: str) -> Tally:
            tally = Tally(amqp_url, exchange, CONTACT_OUT, NOTIFICATIONS_QUEUE)
            await tally.start(options.prefetch)
            cleanup.push_async_callback(tally.stop)
            return tally

        async def platform_facts() -> dict[str, Any]:
            return await platform_checks(admin, 0, await outcomes())

        contenders["pipeline"] = Contender(
            inbound=await publishing_exchange(amqp_urls["pipeline"], INBOUND_EXCHANGE),
            watch=PLATFORM_WATCH,
            tally=await started_tally(amqp_urls["pipeline"], exchange_for(CONTACT_OUT)),
            amqp_url=amqp_urls["pipeline"],
            dead_letter_queues=tuple(f"{service}.dead-letters" for service in SERVICES),
            checks=platform_facts,
        )
        types = EventTypes(
            inbound=REGISTERED, registered=REGISTERED_OUT, contact_changed=CONTACT_OUT
        )
        for name, batched in (("lean", False), ("lean_batched", True)):
            lean = LeanPipeline(
                name=name,
                dsn=dsn,
                schema=f"bench_{name}",
                amqp_url=amqp_urls[name],
                types=types,
                batched=batched,
                prefetch=options.lean_batched_prefetch if batched else options.prefetch,
                max_batch=options.lean_max_batch,
                relay_batch_size=options.batch_size,
                pool_size=LEAN_BATCHED_POOL_SIZE if batched else LEAN_POOL_SIZE,
            )
            await lean.prepare()
            cleanup.callback(lean.stop)
            await lean.start()
            contenders[name] = Contender(
                inbound=await publishing_exchange(amqp_urls[name], lean_pipeline.INBOUND),
                watch=Watch(lean.progress_sql, lean.relayed_sql, lean.pending_sql),
                tally=await started_tally(amqp_urls[name], lean_pipeline.EVENTS),
                amqp_url=amqp_urls[name],
                dead_letter_queues=(
                    f"{lean_pipeline.FIRST_QUEUE}.dead-letters",
                    f"{lean_pipeline.SECOND_QUEUE}.dead-letters",
                ),
                checks=functools.partial(lean.checks, admin),
            )

        timeout_s = max(60.0, options.events / 50)

        async def round_of(name: str, prefix: str, count: int) -> Timing:
            contender = contenders[name]
            contender.done += count
            return await pipeline_round(
                admin,
                contender.inbound,
                registrations(f"{name}-{prefix}", count),
                watch=contender.watch,
                meter=meter,
                batch_size=options.batch_size,
                expected_total=contender.done,
                stall_timeout_s=options.stall_timeout_s,
            )

        if options.warmup:
            await raw.round(
                registrations("raw-warmup", options.warmup), options.batch_size, timeout_s
            )
            for name in contenders:
                await round_of(name, "warmup", options.warmup)
        # The figures take turns, run after run: a noisy minute on the machine falls on all.
        for run in range(options.runs):
            timings["raw"].append(
                await raw.round(
                    registrations(f"raw-{run}", options.events), options.batch_size, timeout_s
                )
            )
            for name in contenders:
                timings[name].append(await round_of(name, f"run{run}", options.events))

        checks: dict[str, dict[str, Any]] = {}
        for name, contender in contenders.items():
            pending = await wait_for_outbox(admin, contender.watch, timeout_s=10.0)
            await wait_for_tally(contender.tally, contender.done, timeout_s=10.0)
            facts = await contender.checks()
            facts["outbox_pending"] = pending
            facts.update(contender.tally.facts(contender.done))
            facts["dead_letters"] = await _dead_letters(
                contender.amqp_url, contender.dead_letter_queues
            )
            checks[name] = settle_checks(facts, contender.done)
    machine["load_average_at_end"] = _load()
    return summarise(options, timings, checks, machine, logs)


def summarise(
    options: Options,
    timings: Mapping[str, Sequence[Timing]],
    checks: Mapping[str, Mapping[str, Any]],
    machine: dict[str, Any],
    logs: QuietLogs,
) -> dict[str, Any]:
    rates = {f"{name}_per_s": spread([t.per_s for t in timings[name]]) for name in FIGURES}

    def ratios(anchor: str) -> dict[str, Any]:
        return spread(
            [
                p.per_s / a.per_s if a.per_s else 0.0
                for p, a in zip(timings["pipeline"], timings[anchor], strict=True)
            ],
            digits=4,
        )

    rates["ratio_to_lean"] = ratios("lean")
    rates["ratio_to_lean_batched"] = ratios("lean_batched")
    rates["ratio_to_raw"] = ratios("raw")
    cpu = {name: mean_cpu(timings[name]) for name in FIGURES}
    lost = sum(c["lost"] + c["contact_lost"] for c in checks.values())
    pipeline = checks["pipeline"]
    ratio_to_lean = rates["ratio_to_lean"]["median"]
    return {
        "started_at": None,
        "events": options.events,
        "warmup": options.warmup,
        "runs": options.runs,
        "mode": options.mode,
        "loop": options.loop,
        "publish_batch_size": options.batch_size,
        "consumer_prefetch": options.prefetch,
        "lean_batched_prefetch": options.lean_batched_prefetch,
        "lean_max_batch": options.lean_max_batch,
        "service_overrides": options.overrides,
        "rabbitmq_nodes": max(options.cluster, 1),
        "figures": {
            name: [{**asdict(t), "per_s": t.per_s} for t in timings[name]] for name in FIGURES
        },
        "rates": rates,
        "cpu_ms_per_event": cpu,
        "checks": checks,
        "raw_per_s": rates["raw_per_s"]["median"],
        "pipeline_per_s": rates["pipeline_per_s"]["median"],
        "lean_per_s": rates["lean_per_s"]["median"],
        "lean_batched_per_s": rates["lean_batched_per_s"]["median"],
        "ratio_to_lean": ratio_to_lean,
        "ratio_to_lean_batched": rates["ratio_to_lean_batched"]["median"],
        "ratio": rates["ratio_to_raw"]["median"],
        "target_ratio_to_lean": TARGET_RATIO,
        "target_met": ratio_to_lean >= TARGET_RATIO and pipeline["lost"] == 0,
        "lost": pipeline["lost"] + pipeline["contact_lost"],
        "duplicated": pipeline["duplicated"],
        "duplicate_deliveries": pipeline["duplicate_deliveries"],
        "lost_all_pipelines": lost,
        "service_log_lines": dict(logs.counts),
        "cpu_budget": cpu_budget(
            cpu["pipeline"], rates["lean_per_s"]["median"], os.cpu_count() or 1
        ),
        "machine": machine,
    }


def cpu_budget(cpu_ms: Mapping[str, float], anchor_per_s: float, cores: int) -> dict[str, Any]:
    """What the measured CPU costs allow on this machine, next to what the target needs.

    All cores busy for a second give ``cores * 1000`` ms: at the pipeline's cost per event
    that is the most it can carry; at the broker's and the database's cost alone (as if
    both services cost nothing) it is the most any service code could reach.
    """
    groups = {k: v for k, v in cpu_ms.items() if k != MACHINE}
    if not groups or not anchor_per_s:
        return {}
    total = sum(groups.values())
    servers = groups.get("rabbitmq", 0.0) + groups.get("postgres", 0.0)
    capacity_ms = cores * 1000.0
    return {
        "cores": cores,
        "pipeline_ms_per_event": round(total, 3),
        "machine_ms_per_event": cpu_ms.get(MACHINE),
        "servers_ms_per_event": round(servers, 3),
        "target_ms_per_event": round(capacity_ms / (TARGET_RATIO * anchor_per_s), 3),
        "cpu_bound_per_s": round(capacity_ms / total, 1) if total else None,
        # The ratio to the anchor if both services cost nothing: the broker's and the
        # database's measured work alone.
        "servers_only_ratio_ceiling": (
            round(capacity_ms / servers / anchor_per_s, 3) if servers else None
        ),
    }


def _timeline_rows(timeline: Sequence[Sequence[float]], rows: int = 6) -> list[str]:
    if not timeline:
        return []
    step = max(1, len(timeline) // rows)
    picked = list(timeline[::step])
    if picked[-1] is not timeline[-1]:
        picked.append(timeline[-1])
    lines = [f"  {'s':>7}{'first consumed':>16}{'relayed':>9}{'second counted':>16}"]
    lines += [f"  {t:>7.2f}{m:>16.0f}{r:>9.0f}{c:>16.0f}" for t, m, r, c in picked]
    return lines


def _cpu_text(cpu: Mapping[str, float]) -> str:
    if not cpu:
        return "not measured (no /proc)"
    groups = {k: v for k, v in cpu.items() if k != MACHINE}
    text = ", ".join(f"{group} {ms:.2f}" for group, ms in groups.items())
    return f"{text}; sum {sum(groups.values()):.2f}; whole machine {cpu.get(MACHINE, 0.0):.2f}"


def _budget_lines(budget: Mapping[str, Any]) -> list[str]:
    if not budget:
        return []
    return [
        f"  on {budget['cores']} cores the target (0.5x lean) needs <= "
        f"{budget['target_ms_per_event']:.2f} ms per event in all; the pipeline spends "
        f"{budget['pipeline_ms_per_event']:.2f} (CPU-bound at {budget['cpu_bound_per_s']}/s), "
        f"of which the broker and the database {budget['servers_ms_per_event']:.2f}",
    ]


LABELS = {
    "raw": "raw aio-pika",
    "pipeline": "pipeline",
    "lean": "lean per delivery",
    "lean_batched": "lean batched",
}


def _checks_line(name: str, c: Mapping[str, Any]) -> str:
    d = c["duplicates"]
    return (
        f"  {LABELS[name]:<18} lost {c['lost']} (contact {c['contact_lost']}) of {c['expected']}; "
        f"effects applied twice {c['duplicated']}; duplicate deliveries: first "
        f"{_or_dash(d['first_duplicate_deliveries'])}, second "
        f"{_or_dash(d['second_duplicate_deliveries'])}, outbox rows sent again "
        f"{d['outbox_sent_again']}, contact events delivered again "
        f"{d['contact_delivered_again']}; outbox unpublished {c['outbox_pending']}; dead letters "
        + ", ".join(f"{queue} {count}" for queue, count in c["dead_letters"].items())
    )


def _transactions_line(outcomes: Mapping[str, Mapping[str, float]]) -> list[str]:
    """How many deliveries the services' consumers applied per transaction, on average."""
    per_transaction = {
        service: counts.get("applied", 0) / counts["transactions"]
        for service, counts in outcomes.items()
        if counts.get("transactions")
    }
    if not per_transaction:
        return []
    return [
        "  pipeline deliveries per consumer transaction (mean): "
        + ", ".join(f"{service} {mean:.1f}" for service, mean in sorted(per_transaction.items()))
    ]


def _or_dash(value: Any) -> str:
    return "-" if value is None else str(value)


def report(result: Mapping[str, Any]) -> str:
    rates = result["rates"]
    verdict = "met" if result["target_met"] else "NOT met"
    runs = result["runs"]
    header = "".join(f"{f'run {n + 1}':>10}" for n in range(runs))
    nodes = result.get("rabbitmq_nodes", 1)
    broker = f"a RabbitMQ cluster of {nodes} nodes" if nodes > 1 else "one RabbitMQ node"
    lines = [
        f"bench.bus on {broker}: {result['events']} events per run (+{result['warmup']} "
        f"warm-up), {runs} runs; "
        f"services {result['mode']}; {result['loop']} loop; publish batches of "
        f"{result['publish_batch_size']}; prefetch {result['consumer_prefetch']} "
        f"(lean batched: {result['lean_batched_prefetch']}, batches up to "
        f"{result['lean_max_batch']})",
        "",
        f"{'events/s':<28}{header}{'median':>10}   min-max",
    ]
    for name in FIGURES:
        rate = rates[f"{name}_per_s"]
        lines.append(
            f"{LABELS[name]:<28}"
            + "".join(f"{value:>10.1f}" for value in rate["runs"])
            + f"{rate['median']:>10.1f}   {rate['min']:.1f}-{rate['max']:.1f}"
        )
    for key, label in (
        ("ratio_to_lean", "pipeline / lean"),
        ("ratio_to_lean_batched", "pipeline / lean batched"),
        ("ratio_to_raw", "pipeline / raw"),
    ):
        rate = rates[key]
        lines.append(
            f"{label:<28}"
            + "".join(f"{value:>10.3f}" for value in rate["runs"])
            + f"{rate['median']:>10.3f}   {rate['min']:.3f}-{rate['max']:.3f}"
        )
    lines += [
        "",
        f"ratio pipeline/lean (median): {result['ratio_to_lean']:.3f}   target >= "
        f"{result['target_ratio_to_lean']}: {verdict}",
        "",
        "last run, from the first publish (first = matching or lean first consumer, "
        "second = reporting or lean second consumer):",
    ]
    for name in ("pipeline", "lean", "lean_batched"):
        last = result["figures"][name][-1]
        stages = last["stages"]
        lines.append(
            f" {LABELS[name]}: all published {stages['published_s']:.2f}s; first consumed all "
            f"{_or_dash(stages['first_done_s'] and round(stages['first_done_s'], 2))}s; second "
            f"counted all {stages['second_done_s']:.2f}s"
            + ("" if last["completed"] else "  STALLED")
        )
        lines += _timeline_rows(last["timeline"])
    lines += ["", "CPU ms per event (mean over the runs):"]
    for name in FIGURES:
        lines.append(f"  {LABELS[name]:<18} {_cpu_text(result['cpu_ms_per_event'][name])}")
    lines += _budget_lines(result["cpu_budget"])
    lines += [
        "",
        f"load average at start {result['machine']['load_average_at_start']}, at end "
        f"{result['machine']['load_average_at_end']}, per run "
        + "; ".join(str(t["load_average"]) for t in result["figures"]["pipeline"]),
        "",
        "lost and duplicated (warm-up included):",
    ]
    lines += [_checks_line(name, c) for name, c in result["checks"].items()]
    lines += _transactions_line(result["checks"]["pipeline"].get("consumer_outcomes", {}))
    if result["service_log_lines"]:
        lines.append(f"service warnings/errors (counted): {result['service_log_lines']}")
    return "\n".join(lines)


def write_results(result: dict[str, Any], directory: Path) -> Path:
    """``bus-<time>.json`` and ``bus-latest.json``; a cluster's figures under ``bus-cluster-``,
    so that they never stand in for the single node's."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = "bus-cluster" if result.get("rabbitmq_nodes", 1) > 1 else "bus"
    text = json.dumps(result, indent=2, sort_keys=True) + "\n"
    path = directory / f"{name}-{stamp}.json"
    path.write_text(text)
    (directory / f"{name}-latest.json").write_text(text)
    return path


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.bus", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2000, help="events per figure and run (2000)")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up events first (200)")
    parser.add_argument("--runs", type=int, default=3, help="runs of every figure (3)")
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
        "--lean-max-batch",
        type=int,
        default=200,
        help="most deliveries the batched lean consumers apply in one transaction (200)",
    )
    parser.add_argument(
        "--lean-batched-prefetch",
        type=int,
        default=400,
        help="prefetch of the batched lean consumers: a batch in flight, the next arriving (400)",
    )
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a service setting for both services, e.g. consumer_prefetch=16 (repeatable); "
        "consumer_prefetch and relay_batch_size apply to raw and lean too",
    )
    parser.add_argument(
        "--cluster",
        type=int,
        default=0,
        metavar="NODES",
        help="start a RabbitMQ cluster of NODES (3) on this machine and measure on it",
    )
    parser.add_argument("--stall-timeout", type=float, default=60.0, help="seconds (60)")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results")
    args = parser.parse_args(argv)
    if args.events < 1 or args.warmup < 0 or args.runs < 1:
        parser.error("--events and --runs must be at least 1 and --warmup at least 0")
    if args.cluster not in (0, *range(2, 8)):
        parser.error(f"--cluster wants 2 to 7 nodes, not {args.cluster}")
    overrides: dict[str, str] = {}
    for setting in args.settings:
        key, sep, value = setting.partition("=")
        if not sep:
            parser.error(f"--set wants KEY=VALUE, not {setting!r}")
        overrides[key.strip().lower()] = value.strip()
    return Options(
        events=args.events,
        warmup=args.warmup,
        runs=args.runs,
        mode=args.mode,
        loop=args.loop,
        batch_size=int(overrides.get("relay_batch_size", DEFAULT_BATCH_SIZE)),
        prefetch=int(overrides.get("consumer_prefetch", DEFAULT_PREFETCH)),
        lean_max_batch=args.lean_max_batch,
        lean_batched_prefetch=args.lean_batched_prefetch,
        overrides=overrides,
        stall_timeout_s=args.stall_timeout,
        results_dir=None if args.no_write else RESULTS_DIR,
        cluster=args.cluster,
    )


SUMMARY_KEYS = (
    "pipeline_per_s",
    "lean_per_s",
    "lean_batched_per_s",
    "raw_per_s",
    "ratio_to_lean",
    "ratio_to_lean_batched",
    "ratio",
    "lost",
    "duplicated",
    "duplicate_deliveries",
    "rabbitmq_nodes",
)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    # The services run with the test platform's development secrets, which they refuse
    # outside development: as under `make` (and the tests' plugin), without it too.
    os.environ.setdefault("ENVIRONMENT", "development")
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
    print(json.dumps({key: result[key] for key in SUMMARY_KEYS}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
