"""The composition root every service shares: database, broker, consumer, relay and HTTP API.

One process per service runs the consumer (``shared.subscription`` into
``shared.consumer``), the outbox relay and the FastAPI API together: they share the
database pool, consuming and publishing have a broker connection each, and a replica is one
process to scale. The FastAPI lifespan starts and stops the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import REGISTRY

from shared.audit import audit_request
from shared.auth import Principal, TokenVerifier
from shared.boundary import TrustedSources
from shared.brokerpolicy import ParkedLimits, vhost_of
from shared.brokerpolicy import apply as apply_policies
from shared.cloudevents import CloudEvent
from shared.consumer import EventConsumer, EventHandlers, RetryPolicy
from shared.db import Database, asyncpg_dsn
from shared.events import IntegrationEvent, correlation_scope
from shared.logging import event_context, get_logger
from shared.metrics import BROKER_CONNECTED
from shared.migrations import current_revision, head_revision
from shared.observability.http import install_http_metrics, metrics_response, redacted_path
from shared.observability.scrape import (
    pending_outbox_events,
    record_liveness,
    record_readiness,
    refresh_outbox_gauges,
)
from shared.observability.tracing import trace_application
from shared.problems import install_problem_handlers, problem_response
from shared.publisher import BrokerPublisher, broker_urls
from shared.relay import OutboxRelay
from shared.settings import ServiceSettings
from shared.subscription import QueueSubscription
from shared.topology import Binding, ServiceTopology, declare_service_topology
from shared.unit_of_work import Messaging, UnitOfWork, unit_of_work

log = get_logger(__name__)

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


@dataclass(frozen=True)
class ServiceDefinition:
    """What makes a service itself; everything else is built the same way for all of them."""

    settings: ServiceSettings
    title: str
    handlers: EventHandlers
    bindings: Sequence[Binding]
    routers: Sequence[APIRouter]
    migrations_dir: Path
    published: Sequence[type[IntegrationEvent]] = ()


class Service:
    def __init__(self, definition: ServiceDefinition) -> None:
        settings = definition.settings
        settings.refuse_insecure()
        self.definition = definition
        self.settings = settings
        self.name = settings.service_name
        self.topology = ServiceTopology(
            service=self.name,
            bindings=tuple(definition.bindings),
            delivery_limit=settings.delivery_limit,
        )
        self.database = Database(
            settings.database_url,
            settings.database_schema,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
        self.messaging = Messaging(self.name)
        self.publisher = BrokerPublisher(
            settings.amqp_url, app_id=self.name, addresses=settings.amqp_addresses
        )
        self.consumer = EventConsumer(
            topology=self.topology,
            database=self.database,
            messaging=self.messaging,
            handlers=definition.handlers,
            publisher=self.publisher,
            retry=RetryPolicy(
                transient_window_s=settings.transient_retry_window_s,
                transient_max_delay_s=settings.transient_retry_max_delay_s,
                unexpected_attempts=settings.unexpected_error_attempts,
                probe_interval_s=settings.database_probe_interval_s,
                outage_hold_s=settings.database_outage_hold_s,
            ),
            sources=TrustedSources(
                portal=settings.portal_source, calendar=settings.calendar_source
            ),
            batch_max=settings.consumer_batch_max,
            batch_linger_s=settings.consumer_batch_linger_ms / 1000,
        )
        self.relay = OutboxRelay(
            dsn=asyncpg_dsn(settings.database_url),
            schema=settings.database_schema,
            publisher=self.publisher,
            batch_size=settings.relay_batch_size,
            poll_interval_s=settings.relay_poll_interval_s,
            retention_hours=settings.relay_retention_hours,
            confirm_timeout_s=settings.relay_confirm_timeout_s,
            inbox_retention_days=settings.inbox_retention_days,
        )
        self.subscription = self._build_subscription()
        self.http = self._build_http_app()
        self._relay_task: asyncio.Task[None] | None = None
        self._broker_lost_since: float | None = None
        self._head_revision = head_revision(definition.migrations_dir)

    def unit_of_work(
        self, cause: CloudEvent | None = None
    ) -> AbstractAsyncContextManager[UnitOfWork]:
        """``async with service.unit_of_work() as uow``: a change and its events, together."""
        return unit_of_work(self.database, self.messaging, cause)

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def uses_broker(self) -> bool:
        """An API-only replica (no consumer, no relay) serves from its database alone: it
        neither connects to the broker nor waits for it to be ready."""
        return self.settings.consumer_enabled or self.settings.relay_enabled

    async def start(self) -> None:
        if self.uses_broker:
            await self.publisher.connect()
            await declare_service_topology(
                self.publisher.channel, self.topology, shared=self.settings.declare_shared_topology
            )
            await self._apply_broker_policies()
        if self.subscription is not None:
            await self.subscription.start()
        if self.settings.relay_enabled:
            self._relay_task = asyncio.create_task(self.relay.run(), name=f"{self.name}-relay")
        log.info(
            "service started",
            queue=self.topology.queue,
            consumes=self.definition.handlers.event_types if self.settings.consumer_enabled else [],
            relay=self.settings.relay_enabled,
        )

    async def _apply_broker_policies(self) -> None:
        """Where the settings name the management API: the queues' limits, the dead-letter
        strategy and the alternate exchanges (``shared.brokerpolicy``)."""
        url = self.settings.broker_management_url
        if not url:
            return
        limits = ParkedLimits(
            retention_days=self.settings.parked_retention_days,
            max_messages=self.settings.parked_max_messages,
        )
        try:
            await apply_policies(url, vhost_of(self.settings.amqp_url), limits)
        except Exception as error:
            # Not fatal: the relay keeps what no queue takes without the alternate exchange.
            log.warning("could not apply the broker policies", error=type(error).__name__)

    async def stop(self) -> None:
        if self._relay_task is not None:
            self._relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relay_task
            self._relay_task = None
        await self.consumer.gate.shutdown()
        if self.subscription is not None:
            await self.subscription.stop()
        await self.consumer.stop()
        await self.publisher.close()
        await self.database.dispose()
        log.info("service stopped")

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Service]:
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    async def readiness(self) -> dict[str, str]:
        """Each dependency's state; ready only when all say ok."""
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(self.database.ping(), 2)
            revision = await current_revision(self.database)
            checks["database"] = "ok"
            checks["migrations"] = (
                "ok"
                if revision == self._head_revision
                else f"at {revision}, expected {self._head_revision}"
            )
        except Exception as error:
            checks["database"] = f"unreachable: {error!r}"
            checks["migrations"] = "unknown"
        if self.uses_broker:
            checks["broker"] = "ok" if await self._broker_connected() else "unreachable"
        return checks

    async def liveness(self, *, broker_connected: bool | None = None) -> dict[str, str]:
        """What a restart may cure, each with its state (``is_alive`` tells which say dead).

        ``broker``, on a replica that consumes or relays: dead once the broker has been out
        of reach for longer than ``broker_liveness_grace_s`` (the connections' own recovery
        did not bring it back; a restart may: another node, a fresh connection).
        ``relay``, on a replica that relays: dead at once when its task has ended, and when
        it has settled no claim for longer than ``relay_stall_grace_s`` while events wait
        and both the broker and the database answer (it hangs). An API-only replica has
        neither: it is alive while it answers. ``broker_connected``: what a check just now
        found, so as not to ask the broker twice.
        """
        checks: dict[str, str] = {}
        if not self.uses_broker:
            return checks
        connected = await self._broker_connected() if broker_connected is None else broker_connected
        if connected:
            checks["broker"] = "ok"
        else:
            lost_for = time.monotonic() - (self._broker_lost_since or time.monotonic())
            over = lost_for > self.settings.broker_liveness_grace_s
            checks["broker"] = f"unreachable for {lost_for:.0f}s" if over else "reconnecting"
        if self.settings.relay_enabled:
            checks["relay"] = await self._relay_liveness(connected)
        record_liveness(self.name, {name: is_alive(state) for name, state in checks.items()})
        return checks

    async def _relay_liveness(self, broker_connected: bool) -> str:
        task = self._relay_task
        if task is None:
            return "ok"  # not started yet, or stopped with the service
        if task.done():
            ended = "cancelled" if task.cancelled() else repr(task.exception())
            return f"{RELAY_STOPPED}: the relay task ended ({ended})"
        idle_for = time.monotonic() - self.relay.completed_cycle_at
        if idle_for <= self.settings.relay_stall_grace_s:
            return "ok"
        if not broker_connected:
            return f"{WAITING}: for the broker"  # the broker's own check decides
        pending = await pending_outbox_events(self.database, self.settings.database_schema)
        if pending is None:
            return f"{WAITING}: for the database"  # a restart would not bring it back
        if pending == 0:
            return "ok"
        return f"{RELAY_STALLED}: no claim settled for {idle_for:.0f}s while {pending} events wait"

    async def _broker_connected(self) -> bool:
        consuming = self.subscription is None or await self.subscription.connected(timeout=2)
        connected = consuming and self.publisher.is_connected
        BROKER_CONNECTED.labels(self.name).set(1 if connected else 0)
        if connected:
            self._broker_lost_since = None
        elif self._broker_lost_since is None:
            self._broker_lost_since = time.monotonic()
        return connected

    # -- wiring ------------------------------------------------------------------------

    def _build_subscription(self) -> QueueSubscription | None:
        """The service's queue consumed by its ``EventConsumer``; None on a replica that
        does not consume (or a service that consumes nothing)."""
        if not self.definition.handlers.event_types or not self.settings.consumer_enabled:
            return None
        return QueueSubscription(
            broker_urls(self.settings.amqp_url, self.settings.amqp_addresses),
            app_id=self.name,
            queue=self.topology.queue,
            prefetch=self.settings.consumer_prefetch,
            on_delivery=self.consumer.receive,
        )

    def _build_http_app(self) -> FastAPI:
        @asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            async with self.running():
                yield

        app = FastAPI(title=self.definition.title, lifespan=lifespan)
        app.state.service = self
        app.state.token_verifier = TokenVerifier(self.settings)
        install_problem_handlers(app)
        app.middleware("http")(_request_context)
        install_http_metrics(app, self.name)
        trace_application(app, self.name)  # when OTEL_EXPORTER_OTLP_ENDPOINT is set
        app.include_router(self._operations_router())
        for router in self.definition.routers:
            app.include_router(router)
        return app

    def _operations_router(self) -> APIRouter:
        router = APIRouter(tags=["operations"])

        # The documented answer is the 200 one; a 503 is a problem document like readiness's.
        @router.get("/health/live", response_model=dict[str, str])
        async def live() -> Response:
            checks = await self.liveness()
            dead = {name: state for name, state in checks.items() if not is_alive(state)}
            if not dead:
                return JSONResponse({"status": "ok", **checks})
            detail = "; ".join(f"{name}: {state}" for name, state in dead.items())
            return problem_response(503, "Not alive", detail, checks=checks)

        @router.get("/health/ready")
        async def ready() -> Response:
            checks = await self.readiness()
            if all(state == "ok" for state in checks.values()):
                return JSONResponse({"status": "ok", "checks": checks})
            return problem_response(503, "Not ready", "a dependency is not ready", checks=checks)

        @router.get("/metrics", response_class=PlainTextResponse)
        async def metrics() -> Response:
            # Gauges read from the database and the broker now, then the whole registry.
            await refresh_outbox_gauges(self.database, self.settings.database_schema)
            readiness = await self.readiness()
            record_readiness(self.name, readiness)
            # Recorded as readiness is, from the broker's answer readiness just had.
            await self.liveness(broker_connected=readiness.get("broker") == "ok")
            return metrics_response(REGISTRY)

        return router


def loggable_path(request: Request) -> str:
    """The request's path with the values of secret path parameters (a calendar feed's
    ``{token}``) replaced, so that a log line never carries a credential."""
    return redacted_path(request.scope)


async def _request_context(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    supplied = request.headers.get("x-request-id", "")
    # Taken as given only when it looks like an id: it travels on in logs and events.
    request_id = supplied if _REQUEST_ID.fullmatch(supplied) else str(uuid.uuid4())
    started = time.perf_counter()
    # The request id (the gateway's, passed on by the console) correlates the events the
    # request causes, and theirs in turn, in every service.
    with (
        event_context(request_id=request_id, correlation_id=request_id),
        correlation_scope(request_id),
    ):
        response = await call_next(request)
        response.headers["x-request-id"] = request_id
        principal: Principal | None = getattr(request.state, "principal", None)
        path = loggable_path(request)
        audit_request(
            method=request.method,
            path=path,
            status=response.status_code,
            subject=principal.subject if principal else None,
            roles=sorted(principal.roles) if principal else [],
        )
        if not request.url.path.startswith(("/health", "/metrics")):
            log.info(
                "http request",
                method=request.method,
                path=path,
                status=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )
        return response


RELAY_STOPPED = "stopped"
RELAY_STALLED = "stalled"
WAITING = "waiting"


def is_alive(state: str) -> bool:
    """A liveness state that a restart would not improve: fine, or waiting for a dependency
    that its own check (and its own grace) speaks for."""
    return state in ("ok", "reconnecting") or state.startswith(f"{WAITING}:")


def get_service(request: Request) -> Service:
    """FastAPI dependency: the running service, for routes that call its handlers."""
    service: Service = request.app.state.service
    return service
