"""The console in-process, behind a stand-in for the gateway, with a browser-like client.

``Gateway`` routes as deploy/gateway does: ``/api/<service>/`` to that service with the
prefix stripped, everything else (pages, the development issuer) to the console. The
console's own calls go through the same gateway, so its OIDC client talks to its
development issuer over HTTP exactly as in ``make run``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp

from console.app import build_app
from console.settings import ConsoleSettings
from shared.signed_links import sign_link_token
from shared.testing.platform import TestPlatform, cloud_event, eventually
from shared.topology import EVENTS_EXCHANGE

REPOSITORY = Path(__file__).resolve().parents[3]
REALM_FILE = REPOSITORY / "deploy" / "keycloak" / "realm-warszawa.json"
PUBLIC_URL = "http://127.0.0.1:8080"
VOLUNTEER_LINK_SECRET = "test-volunteer-link-secret-of-32-bytes"
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


class Gateway(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self._services: dict[str, ASGIApp] = {}
        self.console: ASGIApp | None = None

    def mount_service(self, name: str, app: ASGIApp) -> None:
        self._services[name] = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        target = self.console
        for name, app in self._services.items():
            prefix = f"/api/{name}/"
            if path.startswith(prefix):
                target = app
                request = httpx.Request(
                    request.method,
                    request.url.copy_with(path=path[len(prefix) - 1 :]),
                    headers=request.headers,
                    content=await request.aread(),
                )
                break
        assert target is not None, f"nothing serves {path}"
        transport = httpx.ASGITransport(app=target)
        return await transport.handle_async_request(request)


@dataclass
class Console:
    app: FastAPI
    gateway: Gateway
    browser: httpx.AsyncClient
    settings: ConsoleSettings

    async def csrf(self, path: str = "/") -> str:
        """The session's CSRF token, as a page's forms carry it."""
        page = await self.browser.get(path)
        found = CSRF_FIELD.search(page.text)
        assert found, f"no CSRF field on {path}"
        return found.group(1)

    async def sign_in(self, username: str, *, next_path: str | None = None) -> httpx.Response:
        """The whole staff sign-in through the development issuer; the page it lands on."""
        params = {"next": next_path} if next_path else None
        to_issuer = await self.browser.get("/zaloguj", params=params)
        assert to_issuer.status_code == 303
        choice = await self.browser.get(to_issuer.headers["location"])
        assert choice.status_code == 200, choice.text
        fields = dict(re.findall(r'type="hidden" name="([a-z_]+)" value="([^"]*)"', choice.text))
        user_id = demo_user_id(username)
        back = await self.browser.post(
            to_issuer.headers["location"].split("?")[0], data={**fields, "user_id": user_id}
        )
        assert back.status_code == 303, back.text
        return await self.browser.get(back.headers["location"], follow_redirects=True)

    def volunteer_link(self, volunteer_id: str, *, lifetime_s: int = 600) -> str:
        token = sign_link_token(
            VOLUNTEER_LINK_SECRET,
            purpose="volunteer.session",
            subject=volunteer_id,
            lifetime_s=lifetime_s,
        )
        return f"/wolontariusz/wejscie?t={token}"


def demo_user_id(username: str) -> str:
    realm = json.loads(REALM_FILE.read_text(encoding="utf-8"))
    return next(str(user["id"]) for user in realm["users"] if user["username"] == username)


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Signing keys made once per run (an RSA key takes a moment to make)."""
    return tmp_path_factory.mktemp("console-keys")


@pytest.fixture
def console_settings(keys_dir: Path, platform: TestPlatform) -> ConsoleSettings:
    return ConsoleSettings(
        database_url=platform.database_url("console"),
        public_url=PUBLIC_URL,
        api_url=f"{PUBLIC_URL}/api",
        dev_sign_in=True,
        dev_signing_key_file=keys_dir / "dev-signing-key.pem",
        dev_realm_file=REALM_FILE,
        volunteer_signing_key_file=keys_dir / "volunteer-signing-key.pem",
        volunteer_link_secret=VOLUNTEER_LINK_SECRET,
        session_secret="test-session-secret",
        log_json=True,
    )


@pytest.fixture
async def console(console_settings: ConsoleSettings) -> AsyncIterator[Console]:
    gateway = Gateway()
    app = build_app(console_settings, transport=gateway)
    gateway.console = app
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=gateway, base_url=PUBLIC_URL) as browser,
    ):
        yield Console(app, gateway, browser, console_settings)


def h1(page: httpx.Response) -> list[str]:
    return re.findall(r"<h1>(.*?)</h1>", page.text, re.S)


@pytest.fixture
def headings() -> Any:
    """The page's <h1> texts (a page has exactly one)."""
    return h1


# -- setting a scene in matching, as registry and the city's portal announce it ------------

EDITION_ID = "6f1f3c1e-0000-4000-8000-000000000001"


class Scene:
    """Registry's and the portal's events as their senders publish them, for page tests
    against a real matching (staff then act through matching's API with test tokens)."""

    def __init__(self, platform: TestPlatform) -> None:
        self.platform = platform

    async def enrol_branch(self, code: str, *, district: str = "wola") -> None:
        branch_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"branch:{code}"))
        facts: list[tuple[str, dict[str, Any]]] = [
            (
                "edition.opened.v1",
                {
                    "edition_id": EDITION_ID,
                    "year": 2026,
                    "name": "Edycja 2026",
                    "institution_type": "library_branch",
                    "starts_on": "2026-01-01",
                    "ends_on": "2026-12-31",
                },
            ),
            (
                "branch.registered.v1",
                {
                    "branch_id": branch_id,
                    "code": code,
                    "name": f"Biblioteka {code}",
                    "district": district,
                    "institution_type": "library_branch",
                    "district_library": None,
                    "address": None,
                },
            ),
            (
                "branch.enrolled.v1",
                {
                    "branch_id": branch_id,
                    "code": code,
                    "edition_id": EDITION_ID,
                    "funding_pln": "5000.00",
                },
            ),
        ]
        for fact, data in facts:
            event = cloud_event(
                f"pl.waw.volunteering.registry.{fact}", data, source="/volunteering/registry"
            )
            await self.platform.publish(
                event, routing_key=event["type"], exchange=EVENTS_EXCHANGE, message_id=event["id"]
            )

        async def enrolled() -> bool:
            count = await self.platform.fetchval(
                "SELECT count(*) FROM matching.enrolments e JOIN matching.branches b"
                " ON b.id = e.branch_id WHERE b.code = $1 AND e.enrolled",
                code,
            )
            return bool(count)

        await eventually(enrolled, message=f"branch {code} enrolled in matching's copy")

    async def register_volunteer(self, portal_id: str, **changes: Any) -> str:
        """A volunteer registered through the portal's contract; their volunteer id."""
        data: dict[str, Any] = {
            "portal_id": portal_id,
            "first_name": "Zofia",
            "last_name": "Kowalska",
            "email": f"{portal_id}@example.pl",
            "birth_date": "1999-03-14",
            "districts": ["wola"],
            "consents": {"email": True, "sms": False},
            **changes,
        }
        await self.platform.publish_event(
            cloud_event("pl.waw.portal.volunteer.registered.v1", data)
        )

        async def registered() -> str:
            found = await self.platform.fetchval(
                "SELECT id FROM matching.volunteers WHERE portal_id = $1", portal_id
            )
            return str(found) if found else ""

        found: str = await eventually(registered, message=f"volunteer {portal_id} registered")
        return found


@pytest.fixture
def scene(platform: TestPlatform) -> Scene:
    return Scene(platform)


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@pytest.fixture
def auth_header() -> Any:
    """``auth_header(token)``: the Authorization header for a test token."""
    return bearer
