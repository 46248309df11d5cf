"""Traces over OTLP, and the trace context that travels with every CloudEvent.

Nothing is exported unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``) is
set: then each process sends its spans there (OTLP over HTTP), named by its service and
version, with FastAPI, asyncpg, aio-pika and httpx instrumented. The rest of the standard
``OTEL_*`` variables (headers, sampler, resource attributes) apply as usual.

Across the bus the W3C trace context rides in the CloudEvent itself, as the
distributed-tracing extension attributes ``traceparent`` and ``tracestate``: an event
emitted while a request or a delivery is handled carries that span's context (added in
``UnitOfWork.emit``), and the consumer that applies it continues the trace from there,
however long the event waited in the outbox or the queue.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from importlib import metadata
from typing import Any

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.trace import Link, Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import Scope

from shared.cloudevents import BINARY_HEADER_PREFIX, CloudEvent

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
# Probes and scrapes every few seconds would bury the traces people look for.
EXCLUDED_URLS = "/health/,/metrics"

_propagator = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None


def tracing_endpoint() -> str | None:
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None
    return next((os.environ[name] for name in ENDPOINT_VARIABLES if os.environ.get(name)), None)


def tracing_enabled() -> bool:
    return _provider is not None


def application_version(application: str) -> str:
    try:
        return metadata.version(application)
    except metadata.PackageNotFoundError:
        return "unknown"


def configure_tracing(
    service: str, *, version: str | None = None, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """Once per process: export spans over OTLP when an endpoint is set (or to ``exporter``,
    synchronously, for tests); None, and no instrumentation at all, otherwise."""
    global _provider
    if _provider is not None:
        return _provider
    if exporter is not None:
        processor: Any = SimpleSpanProcessor(exporter)
    elif tracing_endpoint():
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processor = BatchSpanProcessor(OTLPSpanExporter())
    else:
        return None
    resource = Resource.create(
        {
            "service.name": service,
            "service.version": version or application_version(service),
            "deployment.environment.name": os.environ.get("ENVIRONMENT", "production"),
        }
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(processor)
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(provider)  # for libraries that use the global one
    _instrument_libraries(provider)
    _provider = provider
    return provider


def shutdown_tracing() -> None:
    """Flush what is buffered and stop tracing: libraries uninstrumented, emits plain."""
    global _provider
    if _provider is None:
        return
    from opentelemetry.instrumentation.aio_pika import AioPikaInstrumentor
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    asyncpg_instrumentor = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]
    for instrumentor in (asyncpg_instrumentor, AioPikaInstrumentor(), HTTPXClientInstrumentor()):
        instrumentor.uninstrument()
    _provider.shutdown()
    _provider = None


def _instrument_libraries(provider: TracerProvider) -> None:
    from opentelemetry.instrumentation.aio_pika import AioPikaInstrumentor
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    # Statements without their parameters: values may be personal data.
    asyncpg_instrumentor = AsyncPGInstrumentor(capture_parameters=False)  # type: ignore[no-untyped-call]
    asyncpg_instrumentor.instrument(tracer_provider=provider)
    AioPikaInstrumentor().instrument(tracer_provider=provider)
    HTTPXClientInstrumentor().instrument(
        tracer_provider=provider,
        request_hook=_client_url_without_query,
        async_request_hook=_async_client_url_without_query,
    )


def trace_application(app: FastAPI, service: str) -> bool:
    """Trace ``app``'s requests when tracing is configured (configuring it on first use)."""
    provider = configure_tracing(service)
    if provider is None:
        return False
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls=EXCLUDED_URLS)
    return True


# -- what a span may say about a URL -------------------------------------------------------

_URL_ATTRIBUTES = ("http.url", "url.full")
_PATH_ATTRIBUTES = ("http.target", "url.path")


def redact_server_span(scope: Scope, path: str) -> None:
    """Overwrite the request span's URL with ``path`` (secret path parameters replaced) and
    no query string: volunteer links carry their token in the query."""
    span = trace.get_current_span()
    if not span.is_recording():
        return
    for name in _PATH_ATTRIBUTES:
        span.set_attribute(name, path)
    server = scope.get("server") or ("", None)
    host = f"{server[0]}:{server[1]}" if server[1] else str(server[0])
    for name in _URL_ATTRIBUTES:
        span.set_attribute(name, f"{scope.get('scheme', 'http')}://{host}{path}")
    span.set_attribute("url.query", "")


def _client_url_without_query(span: Span, request: Any) -> None:
    if not span.is_recording():
        return
    url = request.url
    text = str(url.copy_with(query=None)) if hasattr(url, "copy_with") else ""
    if text:
        for name in _URL_ATTRIBUTES:
            span.set_attribute(name, text)


async def _async_client_url_without_query(span: Span, request: Any) -> None:
    _client_url_without_query(span, request)


# -- the trace context of CloudEvents ------------------------------------------------------


def trace_extensions() -> dict[str, str]:
    """``traceparent`` (and ``tracestate``) of the current span; empty outside any span."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return {name: carrier[name] for name in (TRACEPARENT, TRACESTATE) if carrier.get(name)}


def with_trace_context(event: CloudEvent) -> CloudEvent:
    """The event carrying the current span's context as distributed-tracing extensions."""
    extensions = trace_extensions()
    if not extensions:
        return event
    return CloudEvent.model_validate({**event.model_dump(exclude_none=True), **extensions})


def _context_from(attributes: Mapping[str, Any]) -> Context | None:
    carrier = {
        name: str(attributes[name]) for name in (TRACEPARENT, TRACESTATE) if attributes.get(name)
    }
    if TRACEPARENT not in carrier:
        return None
    context = _propagator.extract(carrier)
    if not trace.get_current_span(context).get_span_context().is_valid:
        return None  # a malformed traceparent starts no trace of its own
    return context


@contextmanager
def _process_span(parent: Context | None, name: str, attributes: dict[str, Any]) -> Iterator[Span]:
    """A consumer span: the child of the emitter's span. Should the delivery already be
    inside another trace (a broker client's own span), that one is linked, not followed."""
    assert _provider is not None
    links: list[Link] = []
    current = trace.get_current_span().get_span_context()
    if parent is not None and current.is_valid:
        remote = trace.get_current_span(parent).get_span_context()
        if current.trace_id == remote.trace_id:
            parent = None  # already in the emitter's trace: a child of the current span
        else:
            links.append(Link(current))
    tracer = _provider.get_tracer("shared.observability")
    with tracer.start_as_current_span(
        name, context=parent, kind=SpanKind.CONSUMER, links=links, attributes=attributes
    ) as span:
        yield span


def continue_trace(event: CloudEvent, *, consumer: str) -> Any:
    """``with continue_trace(event, consumer="matching"):`` around applying an event: its
    spans, and the events it emits, belong to the trace the event came from."""
    if _provider is None:
        return nullcontext()
    attributes = {
        "messaging.system": "rabbitmq",
        "messaging.destination.name": consumer,
        "messaging.operation.type": "process",
        "messaging.message.id": event.id,
        "cloudevents.event_id": event.id,
        "cloudevents.event_type": event.type,
        "cloudevents.event_source": event.source,
    }
    extra = event.model_extra or {}
    return _process_span(_context_from(extra), f"process {event.type}", attributes)


def delivery_span(message: Any, *, consumer: str) -> Any:
    """The same around a raw AMQP delivery, before the consumer parses it: the context is
    read from a binary-mode ``ce-traceparent`` header or from the structured body."""
    if _provider is None:
        return nullcontext()
    headers = message.headers or {}
    attributes = {
        name: _text(headers.get(f"{BINARY_HEADER_PREFIX}{name}"))
        for name in (TRACEPARENT, TRACESTATE)
    }
    if not attributes[TRACEPARENT]:
        attributes = trace_context_in_body(message.body)
    # A city system may leave the AMQP type unset: the routing key is the event's type then
    # (the boundary refuses any delivery where the two differ).
    event_type = message.type or getattr(message, "routing_key", None) or "event"
    span_attributes = {
        "messaging.system": "rabbitmq",
        "messaging.destination.name": consumer,
        "messaging.operation.type": "process",
        "messaging.message.id": message.message_id or "",
        "cloudevents.event_type": event_type,
    }
    return _process_span(_context_from(attributes), f"process {event_type}", span_attributes)


def trace_context_in_body(body: bytes) -> dict[str, str]:
    """``traceparent``/``tracestate`` of a structured-mode CloudEvent body; empty when it
    has none or is no JSON object (the consumer dead-letters those on its own)."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(document, dict):
        return {}
    return {
        name: document[name]
        for name in (TRACEPARENT, TRACESTATE)
        if isinstance(document.get(name), str)
    }


def amqp_trace_headers(body: bytes) -> dict[str, str]:
    """AMQP headers with the trace context of an outbox row's CloudEvent, for the relay to
    publish with it: broker clients' instrumentations (aio-pika's) read them there."""
    if _provider is None:
        return {}
    return trace_context_in_body(body)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return "" if value is None else str(value)
