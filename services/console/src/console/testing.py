"""Test helpers: the console in-process with the services answering from a fake, and a
signed-in person's session.

Like ``registry.testing``, it ships with the package so that every test of the pages drives
the console the same way.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from console.app import build_app
from console.settings import ConsoleSettings
from console.store import ConsoleStore
from shared.testing.platform import TestPlatform

SESSION_SECRET = "test-session-secret-for-the-staff-pages"
CSRF = "csrf-token-of-this-session"


class FakeServices:
    """The services as the console reaches them through the gateway: canned answers by
    method and path (without the query), and every request recorded."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], httpx.Response] = {}
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, body: Any = None, status: int = 200) -> None:
        if status >= 400:
            self.answers[(method, path)] = httpx.Response(
                status, json=body, headers={"content-type": "application/problem+json"}
            )
        elif isinstance(body, bytes):
            self.answers[(method, path)] = httpx.Response(status, content=body)
        else:
            self.answers[(method, path)] = httpx.Response(status, json=body)

    def file(self, path: str, content: bytes, media_type: str, filename: str) -> None:
        self.answers[("GET", path)] = httpx.Response(
            200,
            content=content,
            headers={
                "content-type": media_type,
                "content-disposition": f'attachment; filename="{filename}"',
            },
        )

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/api")
        answer = self.answers.get((request.method, path))
        if answer is None:
            raise AssertionError(f"unexpected call {request.method} {path}")
        return answer

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        return [
            r
            for r in self.requests
            if r.method == method and r.url.path.removeprefix("/api") == path
        ]

    def json_sent(self, method: str, path: str) -> Any:
        [request] = self.sent(method, path)
        return json.loads(request.content)


async def session_cookie(
    database_url: str,
    roles: list[str],
    branches: list[str],
    *,
    access_token: str = "token-for-the-services",
    subject: str = "staff-1",
) -> str:
    """A stored session of a signed-in person, as sign-in leaves it; the cookie's value."""
    session = {
        "user": {
            "sub": subject,
            "name": "Anna Testowa",
            "roles": roles,
            "branches": branches,
            "access_token": access_token,
            "expires_at": time.time() + 3600,
        },
        "csrf": CSRF,
    }
    store = ConsoleStore(database_url, SESSION_SECRET)
    try:
        return await store.create_session(session, subject="staff", max_age_s=3600)
    finally:
        await store.close()


@asynccontextmanager
async def console(
    platform: TestPlatform,
    fake: FakeServices,
    roles: list[str],
    branches: list[str] | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    database_url = platform.database_url("console")
    settings = ConsoleSettings(
        database_url=database_url,
        session_secret=SESSION_SECRET,
        volunteer_link_secret="test-link-secret-of-at-least-32-bytes",
        api_url="http://gateway/api",
    )
    app = build_app(settings, transport=httpx.MockTransport(fake.handle))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://console"
    ) as client:
        client.cookies.set("konsola", await session_cookie(database_url, roles, branches or []))
        yield client
    await app.state.store.close()


def h1(page: httpx.Response) -> str:
    """The page's one heading (and, while at it: no element id used twice on the page)."""
    ids = re.findall(r'\sid="([^"]+)"', page.text)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    found: list[str] = re.findall(r"<h1>(.*?)</h1>", page.text, re.S)
    assert len(found) == 1, found
    return found[0].strip()
