"""HTTP request metrics of every service and the console, labelled by route template.

The route template (``/v1/tasks/{task_id}``), never the path itself: ids and tokens in
paths would make one time series per value, and a token must never reach a label.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.observability.tracing import redact_server_span, tracing_enabled
from shared.problems import problem_response

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests answered, by route template and status code",
    ["service", "method", "route", "status"],
)
HTTP_REQUEST_SECONDS = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)

# A request that matched no route (a scanner's guesses) is counted under one label.
UNMATCHED_ROUTE = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Scrapes and probes are not traffic: counting them would drown the real requests.
_NOT_COUNTED = ("/metrics", "/health/")


def redacted_path(scope: Scope) -> str:
    """The request's path with the values of secret path parameters (a calendar feed's
    ``{token}``) replaced, so that no log line or span carries a credential."""
    path = str(scope.get("path", ""))
    for name, value in (scope.get("path_params") or {}).items():
        if name.endswith("token") and isinstance(value, str) and value:
            path = path.replace(value, "[redacted]")
    return path


def route_template(scope: Scope) -> str:
    """The template of the route that answered (a mount's prefix for static files)."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str):
        return template
    root_path = scope.get("root_path") or ""
    app_root_path = scope.get("app_root_path") or ""
    if root_path and root_path != app_root_path:
        return f"{root_path.removeprefix(app_root_path)}/*"
    return UNMATCHED_ROUTE


class HttpMetricsMiddleware:
    """Pure ASGI: measures to the last byte of the response, streaming ones included."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service
        # The labelled children, looked up once per (method, route, status).
        self._counters: dict[tuple[str, str, str], Any] = {}
        self._timers: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(_NOT_COUNTED):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the application raises before answering

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                # Before the response goes: the request's span ends with its last byte.
                if tracing_enabled():
                    redact_server_span(scope, redacted_path(scope))
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            if tracing_enabled():
                redact_server_span(scope, redacted_path(scope))  # it raised before answering
            route = route_template(scope)
            method = str(scope.get("method", ""))
            if method not in _METHODS:
                method = "other"  # a client's invented method is no new time series
            self._timer(method, route).observe(time.perf_counter() - started)
            self._counter(method, route, str(status)).inc()

    def _counter(self, method: str, route: str, status: str) -> Any:
        key = (method, route, status)
        child = self._counters.get(key)
        if child is None:
            child = self._counters[key] = HTTP_REQUESTS.labels(self.service, *key)
        return child

    def _timer(self, method: str, route: str) -> Any:
        key = (method, route)
        child = self._timers.get(key)
        if child is None:
            child = self._timers[key] = HTTP_REQUEST_SECONDS.labels(self.service, *key)
        return child


def install_http_metrics(app: FastAPI, service: str, *, metrics_route: bool = False) -> None:
    """Count and time ``app``'s requests; with ``metrics_route`` also serve ``/metrics``
    (the services have theirs in their operations router)."""
    app.add_middleware(HttpMetricsMiddleware, service=service)
    if metrics_route:

        @app.get("/metrics", include_in_schema=False)
        async def metrics(request: Request) -> Response:
            # Prometheus scrapes the application directly; a request that came through the
            # gateway (which always adds X-Forwarded-For) is a visitor's, and finds nothing.
            if "x-forwarded-for" in request.headers:
                return problem_response(404, "Not Found", "no such page")
            return metrics_response()


def metrics_response(registry: Any = REGISTRY) -> Response:
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
