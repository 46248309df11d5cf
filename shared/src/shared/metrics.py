"""Prometheus metrics of the messaging building blocks, labelled by service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

OUTBOX_PUBLISHED = Counter(
    "outbox_events_published_total", "Outbox events confirmed by the broker", ["service"]
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "outbox_publish_failures_total",
    "Outbox publish attempts the broker did not confirm",
    ["service"],
)
OUTBOX_UNROUTED = Counter(
    "outbox_events_unrouted_total",
    "Outbox events no queue was bound to, kept in the exchange's unrouted queue",
    ["service"],
)
CONSUMER_PAUSES = Counter(
    "consumer_pauses_total",
    "Times the consumer stopped taking deliveries because the database was unreachable",
    ["service"],
)
CONSUMED = Counter(
    "consumer_messages_total",
    "Messages taken from the service queue, by outcome",
    ["service", "outcome"],
)
HANDLE_SECONDS = Histogram(
    "consumer_handle_seconds", "Time to apply one message, inbox and outbox included", ["service"]
)
BATCH_DELIVERIES = Histogram(
    "consumer_batch_deliveries",
    "Deliveries a batching consumer applied in one transaction",
    ["service"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
BROKER_CONNECTED = Gauge(
    "broker_connected",
    "1 while a replica that consumes or relays has its broker connections, else 0",
    ["service"],
)
