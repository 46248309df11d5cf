"""A lean event pipeline written directly on aio-pika and asyncpg: the anchor of ``bench.bus``.

    python -m bench.lean first|second --dsn URL --schema NAME --amqp URL [--batched]

The same hops and guarantees as the platform's registration path, without its framework:

    lean.inbound ──▶ lean.first ──▶ first consumer ── one transaction: inbox claim (INSERT ...
    (topic)          (quorum)       ON CONFLICT DO NOTHING on the message id), the volunteer,
                                    two outbox rows; ack after commit
                                    relay ── claims outbox rows FOR UPDATE SKIP LOCKED, publishes
                                    them with confirms, marks them published in the same
                                    transaction
    lean.events ──▶ lean.second ──▶ second consumer ── inbox claim, a fact, the totals row
    (topic)    └──▶ the contact event: a notifications-like queue the benchmark declares and
                    consumes itself, for the platform and the lean pipelines alike

Quorum queues with a dead-letter exchange and a delivery limit, persistent messages,
publisher confirms: as the services declare and publish. ``--batched`` applies the deliveries
at hand in one transaction (multi-row statements, one multiple ack after commit; a batch that
fails is applied again one delivery at a time, so a bad message is dead-lettered alone).

Each consumer runs in its own process (one event loop, uvloop), as each service does; the
relay runs in the first consumer's process, as matching's relay runs in matching.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractIncomingMessage

INBOUND = "lean.inbound"
EVENTS = "lean.events"
DEAD_LETTERS = "lean.dead-letters"
FIRST_QUEUE = "lean.first"
SECOND_QUEUE = "lean.second"
DELIVERY_LIMIT = 20
RELAY_POLL_S = 2.0
RETRY_FIRST_S = 0.05
RETRY_MAX_S = 1.0
RETRY_WINDOW_S = 30.0
READY = "ready"
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class EventTypes:
    """The routing keys: the platform's own event types, so the messages are alike."""

    inbound: str
    registered: str
    contact_changed: str


def schema_sql(schema: str) -> list[str]:
    s = f'"{schema}"'
    return [
        f"CREATE SCHEMA {s}",
        f"""CREATE TABLE {s}.first_inbox (
                source text NOT NULL, message_id text NOT NULL, event_type text NOT NULL,
                received_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (source, message_id))""",
        f"""CREATE TABLE {s}.volunteers (
                id uuid PRIMARY KEY, portal_id text NOT NULL UNIQUE, email text, phone text,
                birth_date date, districts text[] NOT NULL, skills text[] NOT NULL,
                profile jsonb NOT NULL, registered_at timestamptz NOT NULL DEFAULT now())""",
        f"""CREATE TABLE {s}.outbox (
                seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                event_id text NOT NULL UNIQUE, event_type text NOT NULL, routing_key text NOT NULL,
                body bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
                published_at timestamptz, attempts integer NOT NULL DEFAULT 0)""",
        f"CREATE INDEX ON {s}.outbox (seq) WHERE published_at IS NULL",
        f"""CREATE TABLE {s}.second_inbox (
                source text NOT NULL, message_id text NOT NULL, event_type text NOT NULL,
                received_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (source, message_id))""",
        # Facts keep their own key: a second application of one event would show as a second
        # row for the same volunteer, not vanish in a primary-key conflict.
        f"""CREATE TABLE {s}.facts (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, volunteer_id uuid NOT NULL,
                districts text[] NOT NULL, registered_at timestamptz NOT NULL)""",
        f"CREATE TABLE {s}.totals (id integer PRIMARY KEY, registered bigint NOT NULL)",
        f"INSERT INTO {s}.totals VALUES (1, 0)",
        # A delivery whose inbox claim found the message already there: the duplicate outcome.
        f"""CREATE TABLE {s}.duplicates (
                consumer text NOT NULL, message_id text NOT NULL,
                seen_at timestamptz NOT NULL DEFAULT now())""",
    ]


async def declare_topology(channel: AbstractChannel, types: EventTypes) -> None:
    """Exchanges and quorum queues as the services declare theirs (dead letters included)."""
    inbound = await channel.declare_exchange(INBOUND, aio_pika.ExchangeType.TOPIC, durable=True)
    events = await channel.declare_exchange(EVENTS, aio_pika.ExchangeType.TOPIC, durable=True)
    dead = await channel.declare_exchange(DEAD_LETTERS, aio_pika.ExchangeType.DIRECT, durable=True)
    for name, exchange, key in (
        (FIRST_QUEUE, inbound, types.inbound),
        (SECOND_QUEUE, events, types.registered),
    ):
        dead_queue = await channel.declare_queue(
            f"{name}.dead-letters", durable=True, arguments={"x-queue-type": "quorum"}
        )
        await dead_queue.bind(dead, routing_key=name)
        queue = await channel.declare_queue(
            name,
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-dead-letter-exchange": DEAD_LETTERS,
                "x-dead-letter-routing-key": name,
                "x-delivery-limit": DELIVERY_LIMIT,
            },
        )
        await queue.bind(exchange, routing_key=key)


def _event(type_: str, data: dict[str, Any]) -> tuple[str, bytes]:
    event_id = str(uuid.uuid4())
    body = {
        "specversion": "1.0",
        "id": event_id,
        "source": "/lean/first",
        "type": type_,
        "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json",
        "data": data,
    }
    return event_id, json.dumps(body).encode()


class Invalid(ValueError):
    """A message that can never be applied: dead-lettered at once."""


def _parse(message: AbstractIncomingMessage) -> dict[str, Any]:
    try:
        event = json.loads(message.body)
        if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
            raise Invalid("not a CloudEvent with data")
        for key in ("id", "source", "type"):
            if not isinstance(event.get(key), str):
                raise Invalid(f"no {key}")
    except (ValueError, UnicodeDecodeError) as error:
        raise Invalid(str(error)) from error
    return event


# -- the first consumer: inbox, volunteer, two outbox rows ----------------------------------


class InboxStep:
    """One consumer's inbox in plain SQL: claims the deliveries at hand in one statement and
    records the ones seen before as duplicates."""

    def __init__(self, schema: str, inbox: str, consumer: str) -> None:
        s = f'"{schema}"'
        self.claim = (
            f"INSERT INTO {s}.{inbox} (source, message_id, event_type) "
            "SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) "
            "ON CONFLICT DO NOTHING RETURNING message_id"
        )
        self.duplicate = (
            f"INSERT INTO {s}.duplicates (consumer, message_id) "
            f"SELECT '{consumer}', unnest($1::text[])"
        )

    async def claim_fresh(
        self, connection: asyncpg.Connection, events: Sequence[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The events not applied before (their inbox rows are now written)."""
        claimed = {
            row["message_id"]
            for row in await connection.fetch(
                self.claim,
                [e["source"] for e in events],
                [e["id"] for e in events],
                [e["type"] for e in events],
            )
        }
        duplicates = [e["id"] for e in events if e["id"] not in claimed]
        if duplicates:
            await connection.execute(self.duplicate, duplicates)
        return [e for e in events if e["id"] in claimed]


class FirstStep(InboxStep):
    """What matching does with a registration, in plain SQL."""

    def __init__(self, schema: str, types: EventTypes) -> None:
        super().__init__(schema, "first_inbox", "first")
        s = f'"{schema}"'
        self.types = types
        self.volunteers = (
            f"INSERT INTO {s}.volunteers "
            "(id, portal_id, email, phone, birth_date, districts, skills, profile) "
            "SELECT id, portal_id, email, phone, birth_date, "
            "ARRAY(SELECT jsonb_array_elements_text(profile->'districts')), "
            "ARRAY(SELECT jsonb_array_elements_text(profile->'skills')), profile "
            "FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::date[], "
            "$6::jsonb[]) AS v(id, portal_id, email, phone, birth_date, profile)"
        )
        self.outbox = (
            f"INSERT INTO {s}.outbox (event_id, event_type, routing_key, body) "
            "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[])"
        )

    async def apply(self, connection: asyncpg.Connection, events: Sequence[dict[str, Any]]) -> None:
        fresh = await self.claim_fresh(connection, events)
        if not fresh:
            return
        ids, portal_ids, emails, phones, births, profiles = [], [], [], [], [], []
        event_ids, event_types, bodies = [], [], []
        for event in fresh:
            data = event["data"]
            try:
                volunteer_id = uuid.uuid4()
                portal_ids.append(str(data["portal_id"]))
                emails.append(data.get("email"))
                phones.append(data.get("phone"))
                births.append(datetime.strptime(str(data["birth_date"]), "%Y-%m-%d").date())
                profiles.append(json.dumps(data))
            except (KeyError, ValueError) as error:
                raise Invalid(f"volunteer data: {error!r}") from error
            ids.append(volunteer_id)
            for type_, payload in (
                (
                    self.types.registered,
                    {
                        "volunteer_id": str(volunteer_id),
                        "districts": data.get("districts", []),
                        "skills": data.get("skills", []),
                        "birth_year": births[-1].year,
                        "languages": data.get("languages", []),
                    },
                ),
                (
                    self.types.contact_changed,
                    {
                        "volunteer_id": str(volunteer_id),
                        "first_name": data.get("first_name"),
                        "email": data.get("email"),
                        "phone": data.get("phone"),
                        "consents": data.get("consents", {}),
                        "language": "pl",
                        "guardian": None,
                    },
                ),
            ):
                event_id, body = _event(type_, payload)
                event_ids.append(event_id)
                event_types.append(type_)
                bodies.append(body)
        await connection.execute(self.volunteers, ids, portal_ids, emails, phones, births, profiles)
        await connection.execute(self.outbox, event_ids, event_types, event_types, bodies)


# -- the second consumer: inbox, fact, totals ----------------------------------------------


class SecondStep(InboxStep):
    """What reporting does with ``volunteer.registered``, in plain SQL."""

    def __init__(self, schema: str) -> None:
        super().__init__(schema, "second_inbox", "second")
        s = f'"{schema}"'
        self.facts = (
            f"INSERT INTO {s}.facts (volunteer_id, districts, registered_at) "
            "SELECT id, ARRAY(SELECT jsonb_array_elements_text(d)), at "
            "FROM unnest($1::uuid[], $2::jsonb[], $3::timestamptz[]) AS f(id, d, at)"
        )
        self.totals = f"UPDATE {s}.totals SET registered = registered + $1 WHERE id = 1"

    async def apply(self, connection: asyncpg.Connection, events: Sequence[dict[str, Any]]) -> None:
        fresh = await self.claim_fresh(connection, events)
        if not fresh:
            return
        try:
            ids = [uuid.UUID(e["data"]["volunteer_id"]) for e in fresh]
            districts = [json.dumps(e["data"].get("districts", [])) for e in fresh]
            times = [datetime.fromisoformat(e.get("time") or "") for e in fresh]
        except (KeyError, ValueError) as error:
            raise Invalid(f"registered data: {error!r}") from error
        await connection.execute(self.facts, ids, districts, times)
        await connection.execute(self.totals, len(fresh))


# -- consuming ------------------------------------------------------------------------------

Apply = Callable[[asyncpg.Connection, Sequence[dict[str, Any]]], Awaitable[None]]


class Consumer:
    """Per delivery (a task each, up to the prefetch) or the deliveries at hand at once."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        apply: Apply,
        *,
        batched: bool,
        max_batch: int,
        committed: Callable[[], None] = lambda: None,
    ) -> None:
        self._pool = pool
        self._apply = apply
        self._batched = batched
        self._max_batch = max_batch
        self._committed = committed
        self._pending: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self.retries = 0

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        if self._batched:
            self._pending.put_nowait(message)
            if self._worker is None:
                self._worker = asyncio.create_task(self._work())
            return
        await self._one(message)

    async def _one(self, message: AbstractIncomingMessage) -> None:
        # A failure that may pass (the database away, out of connections) is tried again
        # in place with a growing pause, as the services' consumer does; past the window
        # the delivery goes back to the queue.
        delay, deadline = RETRY_FIRST_S, asyncio.get_running_loop().time() + RETRY_WINDOW_S
        while True:
            try:
                event = _parse(message)
                async with self._pool.acquire() as connection, connection.transaction():
                    await self._apply(connection, [event])
            except Invalid:
                await message.reject(requeue=False)
                return
            except Exception as error:
                self.retries += 1
                if asyncio.get_running_loop().time() + delay > deadline:
                    print(f"lean: delivery failed: {error!r}", file=sys.stderr)
                    await message.nack(requeue=True)
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
                continue
            self._committed()
            await message.ack()
            return

    async def _work(self) -> None:
        while True:
            batch = [await self._pending.get()]
            while len(batch) < self._max_batch and not self._pending.empty():
                batch.append(self._pending.get_nowait())
            try:
                events = [_parse(message) for message in batch]
                async with self._pool.acquire() as connection, connection.transaction():
                    await self._apply(connection, events)
            except Exception:
                # One at a time: a bad message is dead-lettered alone, the rest applied.
                for message in batch:
                    await self._one(message)
                continue
            self._committed()
            # Deliveries come in order on one channel: acking the last acks them all.
            await batch[-1].ack(multiple=True)


class Relay:
    """Claims pending outbox rows, publishes them with confirms, marks them published."""

    def __init__(
        self, pool: asyncpg.Pool, exchange: AbstractExchange, schema: str, batch_size: int
    ) -> None:
        s = f'"{schema}"'
        self._pool = pool
        self._exchange = exchange
        self._batch_size = batch_size
        self._wake = asyncio.Event()
        self._claim = (
            f"SELECT seq, event_id, routing_key, body FROM {s}.outbox "
            "WHERE published_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED"
        )
        self._mark = (
            f"UPDATE {s}.outbox SET published_at = now(), attempts = attempts + 1 "
            "WHERE seq = ANY($1::bigint[])"
        )

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), RELAY_POLL_S)
            self._wake.clear()
            try:
                while await self._publish_pending():
                    pass
            except Exception as error:
                print(f"lean: relay failed: {error!r}", file=sys.stderr)
                await asyncio.sleep(0.5)

    async def _publish_pending(self) -> int:
        async with self._pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(self._claim, self._batch_size)
            if not rows:
                return 0
            await asyncio.gather(
                *(
                    self._exchange.publish(
                        aio_pika.Message(
                            row["body"],
                            content_type="application/cloudevents+json",
                            message_id=row["event_id"],
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        ),
                        routing_key=row["routing_key"],
                    )
                    for row in rows
                )
            )
            await connection.execute(self._mark, [row["seq"] for row in rows])
        return len(rows)


async def serve(options: argparse.Namespace) -> None:
    types = EventTypes(options.inbound_type, options.registered_type, options.contact_type)
    # Idle connections close between rounds: the Postgres of a shared machine has few to spare.
    pool = await asyncpg.create_pool(
        options.dsn, min_size=1, max_size=options.pool_size, max_inactive_connection_lifetime=5.0
    )
    connection = await aio_pika.connect_robust(options.amqp)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=options.prefetch)
        background: list[asyncio.Task[None]] = []
        if options.role == "first":
            publishing = await connection.channel(publisher_confirms=True)
            events = await publishing.get_exchange(EVENTS, ensure=False)
            relay = Relay(pool, events, options.schema, options.relay_batch_size)
            background.append(asyncio.create_task(relay.run()))
            consumer = Consumer(
                pool,
                FirstStep(options.schema, types).apply,
                batched=options.batched,
                max_batch=options.max_batch,
                committed=relay.wake,
            )
            queue_name = FIRST_QUEUE
        else:
            consumer = Consumer(
                pool,
                SecondStep(options.schema).apply,
                batched=options.batched,
                max_batch=options.max_batch,
            )
            queue_name = SECOND_QUEUE
        queue = await channel.get_queue(queue_name, ensure=False)
        await queue.consume(consumer.on_message)
        print(READY, flush=True)
        await stop.wait()
        for task in background:
            task.cancel()
    await pool.close()


# -- the benchmark's side: schema, topology, processes, progress -----------------------------


class LeanPipeline:
    """One lean pipeline in its own schema of the benchmark's database and its own vhost."""

    def __init__(
        self,
        *,
        name: str,
        dsn: str,
        schema: str,
        amqp_url: str,
        types: EventTypes,
        batched: bool,
        prefetch: int,
        max_batch: int,
        relay_batch_size: int,
        pool_size: int,
    ) -> None:
        self.name = name
        self.dsn = dsn
        self.schema = schema
        self.amqp_url = amqp_url
        self.types = types
        self.batched = batched
        self.prefetch = prefetch
        self.max_batch = max_batch
        self.relay_batch_size = relay_batch_size
        self.pool_size = pool_size
        self._processes: list[subprocess.Popen[bytes]] = []
        s = f'"{schema}"'
        self.progress_sql = (
            f"SELECT (SELECT count(*) FROM {s}.first_inbox) AS matched, "
            f"(SELECT registered FROM {s}.totals WHERE id = 1) AS counted"
        )
        self.relayed_sql = (
            f"SELECT count(*) FROM {s}.outbox WHERE published_at IS NOT NULL "
            f"AND event_type = '{types.registered}'"
        )
        self.pending_sql = f"SELECT count(*) FROM {s}.outbox WHERE published_at IS NULL"

    async def prepare(self) -> None:
        connection = await asyncpg.connect(self.dsn)
        try:
            async with connection.transaction():
                for statement in schema_sql(self.schema):
                    await connection.execute(statement)
        finally:
            await connection.close()
        broker = await aio_pika.connect(self.amqp_url)
        async with broker:
            await declare_topology(await broker.channel(), self.types)

    async def start(self, timeout_s: float = 30.0) -> None:
        for role in ("first", "second"):
            command = [
                sys.executable,
                "-m",
                "bench.lean",
                role,
                f"--dsn={self.dsn}",
                f"--schema={self.schema}",
                f"--amqp={self.amqp_url}",
                f"--prefetch={self.prefetch}",
                f"--max-batch={self.max_batch}",
                f"--pool-size={self.pool_size}",
                f"--relay-batch-size={self.relay_batch_size}",
                f"--inbound-type={self.types.inbound}",
                f"--registered-type={self.types.registered}",
                f"--contact-type={self.types.contact_changed}",
                *(["--batched"] if self.batched else []),
            ]
            process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE)  # noqa: ASYNC220
            self._processes.append(process)
            assert process.stdout is not None
            line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), timeout_s)
            if line.strip() != READY.encode():
                raise RuntimeError(f"lean {role} did not start (exit {process.poll()})")

    def stop(self) -> None:
        for process in self._processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)

    async def checks(self, admin: asyncpg.Connection) -> dict[str, int]:
        s = f'"{self.schema}"'
        row = await admin.fetchrow(
            f"""
            SELECT (SELECT count(*) FROM {s}.volunteers) AS first_effects,
                   (SELECT count(*) FROM {s}.first_inbox) AS first_inbox,
                   (SELECT count(*) FROM {s}.outbox) AS outbox,
                   (SELECT count(*) FROM {s}.outbox WHERE published_at IS NULL) AS outbox_pending,
                   (SELECT count(*) FROM {s}.outbox WHERE attempts > 1) AS outbox_sent_again,
                   (SELECT count(*) FROM {s}.second_inbox) AS second_inbox,
                   (SELECT count(*) FROM {s}.facts) AS second_effects,
                   (SELECT count(DISTINCT volunteer_id) FROM {s}.facts) AS second_distinct,
                   (SELECT registered FROM {s}.totals WHERE id = 1) AS second_counted,
                   (SELECT count(*) FROM {s}.duplicates WHERE consumer = 'first')
                       AS first_duplicate_deliveries,
                   (SELECT count(*) FROM {s}.duplicates WHERE consumer = 'second')
                       AS second_duplicate_deliveries
            """
        )
        return {key: int(value) for key, value in dict(row).items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lean", description=__doc__)
    parser.add_argument("role", choices=("first", "second"))
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--amqp", required=True)
    parser.add_argument("--batched", action="store_true")
    parser.add_argument("--prefetch", type=int, default=16)
    parser.add_argument("--max-batch", type=int, default=200)
    parser.add_argument("--pool-size", type=int, default=10)
    parser.add_argument("--relay-batch-size", type=int, default=200)
    parser.add_argument("--inbound-type", required=True)
    parser.add_argument("--registered-type", required=True)
    parser.add_argument("--contact-type", required=True)
    options = parser.parse_args(argv)
    import uvloop

    uvloop.run(serve(options))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
