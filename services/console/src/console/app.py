"""The console's composition root: sessions, static files, error pages, health, the pages."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

import asyncpg
import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from console import dev_issuer
from console.api import ApiError
from console.i18n import N_
from console.oidc import OidcClient
from console.pages import (
    applications,
    branch_hours,
    city,
    coordinator,
    district,
    kiosk,
    programme_documents,
    signin,
    staff,
    trainer,
    training,
    volunteer,
    volunteer_agreements,
    volunteer_data,
    volunteer_hours,
    volunteer_settings,
    volunteer_shifts,
    volunteer_tasks,
)
from console.sessions import ServerSessions
from console.settings import ConsoleSettings
from console.store import ConsoleStore
from console.web import SignInRequired, api_error_message, error_page, redirect, render, wants_json
from shared.logging import event_context, get_logger
from shared.observability.http import install_http_metrics
from shared.observability.tracing import trace_application
from shared.problems import problem_response

log = get_logger("console")

STATIC_DIR = Path(__file__).parent / "static"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SESSION_COOKIE = "konsola"


def build_app(
    settings: ConsoleSettings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The console; ``transport`` replaces the network for its calls (the services, the
    issuer) — tests route those to applications in the same process."""
    settings = settings or ConsoleSettings()
    settings.refuse_insecure()
    store = ConsoleStore(settings.database_url, settings.session_secret or "")
    api_http = httpx.AsyncClient(
        base_url=settings.api_url, transport=transport, timeout=settings.api_timeout_s
    )
    oidc_http = httpx.AsyncClient(transport=transport, timeout=settings.api_timeout_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await store.close()
            await api_http.aclose()
            await oidc_http.aclose()

    app = FastAPI(
        title="Wolontariat w bibliotekach — konsola",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.http = api_http
    app.state.oidc = OidcClient(settings, oidc_http)

    app.middleware("http")(_request_context)
    install_http_metrics(app, "console", metrics_route=True)
    trace_application(app, "console")  # when OTEL_EXPORTER_OTLP_ENDPOINT is set
    app.add_middleware(
        ServerSessions,
        store=store,
        cookie=SESSION_COOKIE,
        max_age_s=settings.session_max_age_s,
        secure=settings.secure_cookies,
    )
    _install_error_pages(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/health/live", include_in_schema=False)
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/ready", include_in_schema=False)
    async def ready() -> Response:
        # Its own database (sessions) only: the services' readiness is theirs; a page that
        # needs one shows its error when it is away.
        try:
            await store.ping()
        except (OSError, asyncpg.PostgresError, RuntimeError):
            return problem_response(503, "Not ready", "the console's database is not reachable")
        return Response('{"status":"ok"}', media_type="application/json")

    if settings.dev_sign_in:
        app.include_router(dev_issuer.build_router(settings))
    app.include_router(signin.router)
    app.include_router(volunteer_shifts.router)
    app.include_router(volunteer_tasks.router)
    app.include_router(volunteer_hours.router)
    app.include_router(volunteer_settings.router)
    app.include_router(volunteer_data.router)
    app.include_router(volunteer_agreements.router)
    app.include_router(volunteer.router)
    app.include_router(kiosk.router)
    app.include_router(coordinator.router)
    app.include_router(trainer.router)
    app.include_router(city.router)
    app.include_router(applications.router)
    app.include_router(district.router)
    app.include_router(programme_documents.router)
    app.include_router(training.router)
    app.include_router(staff.router)
    app.include_router(branch_hours.router)
    return app


async def _request_context(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """The gateway's request id (or a new one) in every log line and every call onward;
    pages hold personal data, so no cache keeps them."""
    request_id = request.headers.get("x-request-id") or str(uuid.uuid4())
    request.state.request_id = request_id
    with event_context(request_id=request_id):
        response = await call_next(request)
    response.headers["x-request-id"] = request_id
    if not request.url.path.startswith("/static/"):
        response.headers.setdefault("cache-control", "no-store")
    return response


def _install_error_pages(app: FastAPI) -> None:
    async def on_sign_in_required(request: Request, error: Exception) -> Response:
        assert isinstance(error, SignInRequired)
        if error.volunteer:
            # Volunteers have no sign-in page: a fresh link comes in their messages.
            return render(request, "volunteer/session_expired.html", status_code=401)
        if wants_json(request):
            return problem_response(401, "Authentication required", "sign in at /zaloguj")
        return redirect(f"/zaloguj?{_next_query(error.next_path)}")

    async def on_http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        message = (
            error.detail if isinstance(error.detail, str) and error.status_code < 500 else None
        )
        if message in ("Not Found", "Method Not Allowed"):
            message = None
        return error_page(request, error.status_code, message=message)

    async def on_invalid_request(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        details = [
            f"{'.'.join(str(part) for part in item['loc'][1:])}: {item['msg']}"
            for item in error.errors()
        ]
        message = N_("Adres lub formularz zawiera nieprawidłowe dane.")
        return error_page(request, 400, message=message, details=details)

    async def on_api_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, ApiError)
        if error.status == 401:
            # The service no longer accepts the token: the way in again.
            previous = request.session.pop("user", None) or {}
            volunteer = previous.get("roles") == ["volunteer"]
            return await on_sign_in_required(
                request, SignInRequired(request.url.path, volunteer=volunteer)
            )
        status = error.status if error.status in (400, 403, 404, 409, 422, 429) else 502
        log.warning("service error", status=error.status, title=error.title)
        return error_page(request, status, message=api_error_message(request, error))

    async def on_unreachable(request: Request, error: Exception) -> Response:
        log.warning("service unreachable", error=type(error).__name__)
        return error_page(request, 502)

    async def on_unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error", path=request.url.path)
        return error_page(request, 500)

    app.add_exception_handler(SignInRequired, on_sign_in_required)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_invalid_request)
    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(httpx.TransportError, on_unreachable)
    app.add_exception_handler(Exception, on_unexpected)


def _next_query(path: str) -> str:
    return urlencode({"next": path})
