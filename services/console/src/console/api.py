"""Calls to the platform's services through the gateway, as the signed-in person.

``ApiClient`` passes the person's bearer token and the request id; an answer of 400 or more
raises ``ApiError`` with the service's problem details, which pages show (in Polish) or let
the application's error page show.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import Request
from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

SERVICES = ("registry", "matching", "notifications", "reporting")
# Headers of a download worth handing on to the browser.
_PASSED_ON = ("content-type", "content-disposition")


@dataclass
class ApiError(Exception):
    """A service refused or failed: its status and problem details (``errors`` per field)."""

    status: int
    title: str
    detail: str
    errors: list[dict[str, Any]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.status} {self.title}: {self.detail}"

    def field_errors(self) -> dict[str, str]:
        """Validation messages by field name (the last part of the service's field path)."""
        found: dict[str, str] = {}
        for item in self.errors:
            name = str(item.get("field", "")).rsplit(".", 1)[-1]
            found.setdefault(name, str(item.get("message", "")))
        return found


class ApiClient:
    """One person's view of the services: ``await api.get("matching", "/v1/tasks")``."""

    def __init__(
        self, http: httpx.AsyncClient, *, token: str | None, request_id: str | None
    ) -> None:
        self._http = http
        self._headers = {"accept": "application/json"}
        if token:
            self._headers["authorization"] = f"Bearer {token}"
        if request_id:
            self._headers["x-request-id"] = request_id

    async def get(self, service: str, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """The decoded JSON answer of a GET."""
        return _json(await self.request("GET", service, path, params=params))

    async def post(self, service: str, path: str, **options: Any) -> Any:
        """POST ``json=...`` (or ``content=...`` with ``headers=...``); the decoded answer."""
        return _json(await self.request("POST", service, path, **options))

    async def put(self, service: str, path: str, **options: Any) -> Any:
        return _json(await self.request("PUT", service, path, **options))

    async def patch(self, service: str, path: str, **options: Any) -> Any:
        return _json(await self.request("PATCH", service, path, **options))

    async def delete(self, service: str, path: str, **options: Any) -> Any:
        return _json(await self.request("DELETE", service, path, **options))

    async def request(
        self,
        method: str,
        service: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """The raw answer of a successful call (status below 400); ``ApiError`` otherwise."""
        response = await self._http.request(
            method,
            _url(service, path),
            params=_clean(params),
            json=json,
            content=content,
            headers={**self._headers, **(headers or {})},
        )
        if response.status_code >= 400:
            raise api_error(response)
        return response

    async def download(
        self, service: str, path: str, *, params: Mapping[str, Any] | None = None
    ) -> Response:
        """A file (PDF, CSV, XLSX) from a service, handed on to the browser as it came."""
        response = await self.request("GET", service, path, params=params)
        return Response(response.content, headers=_passed_on(response.headers))

    async def stream(
        self, service: str, path: str, *, params: Mapping[str, Any] | None = None
    ) -> StreamingResponse:
        """Like ``download``, without holding a large export in memory."""
        outgoing = self._http.build_request(
            "GET", _url(service, path), params=_clean(params), headers=self._headers
        )
        response = await self._http.send(outgoing, stream=True)
        if response.status_code >= 400:
            await response.aread()
            await response.aclose()
            raise api_error(response)

        async def body() -> AsyncIterator[bytes]:
            async for chunk in response.aiter_bytes():
                yield chunk

        return StreamingResponse(
            body(),
            headers=_passed_on(response.headers),
            background=BackgroundTask(response.aclose),
        )


def api_error(response: httpx.Response) -> ApiError:
    """The problem details of a failed answer (or what can be said without them)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return ApiError(response.status_code, response.reason_phrase, response.text[:300])
    return ApiError(
        status=response.status_code,
        title=str(body.get("title") or response.reason_phrase),
        detail=str(body.get("detail") or ""),
        errors=[item for item in body.get("errors") or [] if isinstance(item, dict)],
    )


def get_api(request: Request) -> ApiClient:
    """FastAPI dependency: the services, called with the signed-in person's token (if any)."""
    user = request.session.get("user") or {}
    return ApiClient(
        request.app.state.http,
        token=user.get("access_token"),
        request_id=getattr(request.state, "request_id", None),
    )


def _url(service: str, path: str) -> str:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    return f"/{service}/{path.lstrip('/')}"


def _clean(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Query parameters without the empty ones (a form's blank filter means "any")."""
    if params is None:
        return None
    return {key: value for key, value in params.items() if value not in (None, "")}


def _json(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    return response.json()


def _passed_on(headers: httpx.Headers) -> dict[str, str]:
    return {name: headers[name] for name in _PASSED_ON if name in headers}
