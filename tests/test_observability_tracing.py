"""Traces: nothing without an endpoint; with one, a request's trace crosses the bus.

Spans go to OpenTelemetry's in-memory exporter here; in production to the OTLP endpoint.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest
import structlog
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared.cloudevents import CloudEvent
from shared.events import correlation_scope, current_correlation_id
from shared.logging import configure_logging, get_logger
from shared.observability import tracing
from shared.testing.platform import TestPlatform, eventually

BRANCH = {"code": "wola-7", "name": "Filia 7", "district": "wola", "address": "ul. Górczewska 7"}
REGISTERED_TYPE = "pl.waw.volunteering.registry.branch.registered.v1"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.configure_tracing("tests", version="test", exporter=exporter)
    try:
        yield exporter
    finally:
        tracing.shutdown_tracing()


def trace_id_of(traceparent: str) -> str:
    return traceparent.split("-")[1]


def parent_span_id_of(traceparent: str) -> str:
    return traceparent.split("-")[2]


def hex_trace(span: ReadableSpan) -> str:
    assert span.context is not None
    return format(span.context.trace_id, "032x")


def test_without_an_endpoint_nothing_is_traced(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in tracing.ENDPOINT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert tracing.configure_tracing("registry") is None
    assert not tracing.tracing_enabled()
    event = CloudEvent.create(type="t", source="/s", data={})
    assert tracing.with_trace_context(event) == event
    assert tracing.amqp_trace_headers(b'{"traceparent": "00-ab-cd-01"}') == {}


def test_an_endpoint_names_where_spans_go(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert tracing.tracing_endpoint() == "http://127.0.0.1:4318"
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert tracing.tracing_endpoint() is None


def test_an_emitted_event_carries_the_span_and_the_consumer_continues_it(
    spans: InMemorySpanExporter,
) -> None:
    provider = tracing._provider
    assert provider is not None
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("request") as request_span:
        event = tracing.with_trace_context(CloudEvent.create(type="t", source="/s", data={}))
    extensions = event.model_extra or {}
    request_context = request_span.get_span_context()
    assert trace_id_of(extensions["traceparent"]) == format(request_context.trace_id, "032x")
    assert json.loads(event.to_structured())["traceparent"] == extensions["traceparent"]

    with tracing.continue_trace(event, consumer="matching"):
        pass
    process = next(span for span in spans.get_finished_spans() if span.name == "process t")
    assert process.kind == SpanKind.CONSUMER
    assert process.parent is not None and process.parent.span_id == request_context.span_id
    assert process.attributes is not None
    assert process.attributes["cloudevents.event_id"] == event.id

    # A malformed traceparent starts no trace of its own: a fresh one.
    broken = CloudEvent.model_validate(
        {**event.model_dump(exclude_none=True), "traceparent": "00-zz-zz-01"}
    )
    with tracing.continue_trace(broken, consumer="matching"):
        pass
    assert spans.get_finished_spans()[-1].parent is None


def test_log_lines_carry_trace_and_span_ids_and_info_lines_can_be_sampled(
    spans: InMemorySpanExporter, capsys: pytest.CaptureFixture[str]
) -> None:
    provider = tracing._provider
    assert provider is not None
    # Logging is process-wide: what this test configures is put back for the tests after it.
    saved_structlog = structlog.get_config()
    root = logging.getLogger()
    saved_handlers, saved_root_level = root.handlers[:], root.level
    touched = ("uvicorn.access", "aiormq", "aio_pika", "asyncio", "audit", "tests.chatty")
    saved_levels = {name: logging.getLogger(name).level for name in touched}
    try:
        configure_logging("registry", environ={"REGISTRY_LOG_INFO_SAMPLE_RATE": "0"})
        log = get_logger("tests")
        with provider.get_tracer("test").start_as_current_span("work") as span:
            log.info("dropped by sampling")
            log.warning("kept")
            get_logger("audit").info("audit", audit=True, action="change")
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
        assert [line["event"] for line in lines] == ["kept", "audit"]
        context = span.get_span_context()
        assert lines[0]["trace_id"] == format(context.trace_id, "032x")
        assert lines[0]["span_id"] == format(context.span_id, "016x")

        configure_logging(
            "registry", "WARNING", environ={"REGISTRY_LOG_LEVELS": "tests.chatty=DEBUG"}
        )
        get_logger("tests.chatty").debug("wanted here")
        get_logger("tests.quiet").info("not wanted")
        get_logger("audit").info("audit", audit=True, action="denied")
        events = [json.loads(line)["event"] for line in capsys.readouterr().out.splitlines()]
        assert events == ["wanted here", "audit"]
        assert "trace_id" not in lines[-1] or lines[-1]["trace_id"]
        with pytest.raises(ValueError, match="logger=LEVEL"):
            configure_logging("registry", environ={"REGISTRY_LOG_LEVELS": "x=LOUD"})
    finally:
        structlog.configure(**saved_structlog)
        root.handlers[:] = saved_handlers
        root.setLevel(saved_root_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
        structlog.contextvars.clear_contextvars()


def test_the_correlation_scope_is_the_requests_alone() -> None:
    assert current_correlation_id() is None
    with correlation_scope("req-1"):
        assert current_correlation_id() == "req-1"
    assert current_correlation_id() is None


async def test_a_request_traces_through_the_outbox_and_the_bus_into_another_service(
    platform: TestPlatform, spans: InMemorySpanExporter
) -> None:
    async with platform.running("registry", "matching") as (registry, _):
        headers = {
            "authorization": f"Bearer {platform.token('city_admin')}",
            "x-request-id": "req-trace-1",
        }
        transport = httpx.ASGITransport(app=registry.http)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
            created = await client.post("/v1/branches", json=BRANCH, headers=headers)
            assert created.status_code == 201, created.text
            # Calendar-feed-like secrets and links' query strings never reach a span.
            await client.get("/v1/branches/wola-7?t=secret-link-token", headers=headers)

        async def processed() -> ReadableSpan | None:
            return next(
                (s for s in spans.get_finished_spans() if s.name == f"process {REGISTERED_TYPE}"),
                None,
            )

        found = await eventually(processed, timeout=30)
    assert found is not None
    process: ReadableSpan = found

    rows = await platform.fetch(
        "SELECT body, correlation_id FROM registry.outbox WHERE event_type = $1", REGISTERED_TYPE
    )
    event = json.loads(bytes(rows[0]["body"]))
    assert event["correlationid"] == rows[0]["correlation_id"] == "req-trace-1"

    finished = spans.get_finished_spans()
    server = next(
        s
        for s in finished
        if s.kind == SpanKind.SERVER
        and s.attributes is not None
        and s.attributes.get("http.route") == "/v1/branches"
        and s.attributes.get("http.request.method", s.attributes.get("http.method")) == "POST"
    )
    assert trace_id_of(event["traceparent"]) == hex_trace(server)
    # The consumer's span belongs to the request's trace, under the span that emitted it.
    assert hex_trace(process) == hex_trace(server)
    assert process.parent is not None
    assert format(process.parent.span_id, "016x") == parent_span_id_of(event["traceparent"])
    assert process.resource.attributes["service.version"] == "test"
    # matching's database work while applying it is in the same trace.
    queries = [
        s for s in finished if s.attributes and s.attributes.get("db.system") == "postgresql"
    ]
    started = process.start_time or 0
    assert any(hex_trace(s) == hex_trace(server) and (s.start_time or 0) >= started
               for s in queries)  # fmt: skip
    for span in finished:
        for value in (span.attributes or {}).values():
            assert "secret-link-token" not in str(value), span.name


class Delivery:
    """What the consumer's hook reads of an AMQP delivery."""

    def __init__(self, body: bytes, headers: dict[str, object] | None = None) -> None:
        self.body = body
        self.headers = headers or {}
        self.type = REGISTERED_TYPE
        self.message_id = "m-1"


def test_a_delivery_continues_the_trace_in_either_binding_mode(
    spans: InMemorySpanExporter,
) -> None:
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    structured = json.dumps({"specversion": "1.0", "traceparent": parent}).encode()
    binary = Delivery(b"{}", {"ce-specversion": "1.0", "ce-traceparent": parent.encode()})
    for delivery in (Delivery(structured), binary, Delivery(b"not json")):
        with tracing.delivery_span(delivery, consumer="matching"):
            pass
    first, second, unparented = spans.get_finished_spans()
    for span in (first, second):
        assert hex_trace(span) == "0af7651916cd43dd8448eb211c80319c"
        assert span.parent is not None and format(span.parent.span_id, "016x") == "b7ad6b7169203331"
    assert unparented.parent is None  # the consumer dead-letters it; its span stands alone
    # What the relay would publish as AMQP headers for broker clients' instrumentations.
    assert tracing.amqp_trace_headers(structured) == {"traceparent": parent}


async def test_one_portal_registration_is_one_trace_across_matching_reporting_and_notifications(
    platform: TestPlatform, spans: InMemorySpanExporter
) -> None:
    from tests.portal import REGISTERED, registered

    contact_changed = "pl.waw.volunteering.matching.volunteer.contact.changed.v1"
    volunteer_registered = "pl.waw.volunteering.matching.volunteer.registered.v1"
    wanted = {f"process {REGISTERED}", f"process {volunteer_registered}"}
    wanted.add(f"process {contact_changed}")
    async with platform.running("matching", "reporting", "notifications"):
        await platform.publish_event(registered("trace-portal-1"))

        async def every_hop() -> dict[str, list[ReadableSpan]] | None:
            seen: dict[str, list[ReadableSpan]] = {}
            for span in spans.get_finished_spans():
                if span.name in wanted:
                    seen.setdefault(span.name, []).append(span)
            # Matching applies the registration, reporting its event, notifications the
            # contact event.
            return seen if wanted <= seen.keys() else None

        found = await eventually(every_hop, timeout=60, message="not every hop was traced")
    assert found is not None
    [portal] = found[f"process {REGISTERED}"]
    trace = hex_trace(portal)
    hops = [span for name in wanted for span in found[name]]
    assert {hex_trace(span) for span in hops} == {trace}
    # Each hop's span continues the one that emitted its event: nothing starts a trace anew.
    assert all(span.parent is not None for span in hops if span is not portal)
