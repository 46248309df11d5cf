"""The whole platform as real processes behind the real gateway, and a headless Chromium.

One system per test session, isolated like every other test (its own database and vhost):
registry, matching, notifications and reporting (as ``TestPlatform.process`` starts them),
the console (``python -m console`` with the development issuer), the nginx gateway
(``scripts/gateway.py``, its default rate limits) in front of them on a free port, and a
MailCatcher as notifications' SMTP server. Everything stops at the end of the session,
also when a test fails. Staff and volunteer tokens are signed with one development key
made for the run, as ``make run`` does; the demo seed (registry's, then matching's with a
modest number of volunteers) gives the journeys a programme to work in.

The browser is Debian's Chromium driven by Playwright; every page a journey visits is
saved as a screenshot under ``.run/browser/<journey>/`` and checked with axe-core.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from notifications.testing import MailCatcher, ReceivedMail
from shared.auth import load_or_create_key_pair, sign_token
from shared.testing.databases import Databases
from shared.testing.infrastructure import Infrastructure, VirtualHosts
from shared.testing.platform import ServiceProcess, TestPlatform, eventually, free_port

REPOSITORY = Path(__file__).resolve().parents[2]
REALM_FILE = REPOSITORY / "deploy" / "keycloak" / "realm-warszawa.json"
SCREENSHOTS = REPOSITORY / ".run" / "browser"
BYTECODE_CACHE = REPOSITORY / ".run" / "browser" / "pycache"
CONSUMERS_OF_REGISTRY = ("matching", "notifications", "reporting")
AUDIENCE = "volunteering-platform"
VOLUNTEER_LINK_SECRET = "browser-test-volunteer-link-secret"
SEED_VOLUNTEERS = 150
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WARSAW = ZoneInfo("Europe/Warsaw")


# -- processes ---------------------------------------------------------------------------------


class Process:
    """A process this harness started: stopped with SIGTERM (SIGKILL if it lingers)."""

    def __init__(self, name: str, command: list[str], env: Mapping[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        with log.open("wb") as output:
            self.popen = subprocess.Popen(
                command, env=dict(env), cwd=REPOSITORY, stdout=output, stderr=subprocess.STDOUT
            )

    async def wait_until_serving(self, url: str, timeout: float = 30.0) -> None:
        async with httpx.AsyncClient() as client:

            async def serving() -> bool:
                if self.popen.poll() is not None:
                    tail = self.log.read_text(errors="replace")[-2000:]
                    raise AssertionError(f"{self.name} exited: {tail}")
                try:
                    return (await client.get(url)).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(
                serving, timeout=timeout, interval=0.2, message=f"{self.name} is not serving"
            )

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)


def python_env(values: Mapping[str, str]) -> dict[str, str]:
    """The environment of a child process. Bytecode is cached outside the checkout: without
    it every one of the dozen processes compiles FastAPI, SQLAlchemy and pydantic again,
    which on two shared cores costs more than the journeys themselves."""
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(BYTECODE_CACHE), **values}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


async def start_service(
    platform: TestPlatform, running: list[ServiceProcess], name: str, **overrides: Any
) -> ServiceProcess:
    """``platform.process`` with more time to become ready: next to the seeds and the
    other services on two cores, 30 seconds are not always enough."""
    port = free_port()
    process = ServiceProcess(
        name, port, python_env(platform.env(name, http_port=port, **overrides))
    )
    running.append(process)
    await process.start(timeout=120)
    return process


async def run_to_end(name: str, command: list[str], env: Mapping[str, str], log: Path) -> str:
    """A command that must finish successfully (the seeds); its output."""
    process = await asyncio.create_subprocess_exec(
        *command,
        env=dict(env),
        cwd=REPOSITORY,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=180)
    text = output.decode(errors="replace")
    await asyncio.to_thread(log.write_text, text)
    assert process.returncode == 0, f"{name} failed: {text[-2000:]}"
    return text


# -- the running system -----------------------------------------------------------------------


@dataclass
class System:
    """The platform behind its gateway, and what a test needs to set a scene through it."""

    url: str
    platform: TestPlatform
    mail: MailCatcher
    signing_key: str
    issuer: str
    volunteer_issuer: str
    realm_users: dict[str, dict[str, Any]] = field(default_factory=dict)

    def staff_token(self, username: str) -> str:
        """A token of a demo user of the realm, as the development issuer signs it."""
        user = self.realm_users[username]
        return sign_token(
            self.signing_key,
            subject=str(user["id"]),
            roles=user.get("realmRoles", []),
            branches=user.get("attributes", {}).get("branches", []),
            issuer=self.issuer,
            audience=AUDIENCE,
        )

    def volunteer_token(self, volunteer_id: str) -> str:
        """A volunteer session token, as the console signs it after a link from a message."""
        return sign_token(
            self.signing_key,
            subject=volunteer_id,
            roles=["volunteer"],
            issuer=self.volunteer_issuer,
            audience=AUDIENCE,
        )

    def api(self, token: str) -> httpx.AsyncClient:
        """The services through the gateway, as a client holding ``token``."""
        return httpx.AsyncClient(
            base_url=f"{self.url}/api",
            headers={"authorization": f"Bearer {token}"},
            timeout=20,
        )


def realm_users() -> dict[str, dict[str, Any]]:
    realm = json.loads(REALM_FILE.read_text(encoding="utf-8"))
    return {str(user["username"]): user for user in realm["users"]}


@pytest_asyncio.fixture(scope="session")
async def system(
    infrastructure: Infrastructure,
    databases: Databases,
    vhosts: VirtualHosts,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[System]:
    work = tmp_path_factory.mktemp("browser-system")
    database = await databases.create()
    vhost, amqp_url = await vhosts.create()
    platform = TestPlatform(
        admin_url=infrastructure.postgres_admin_url,
        database=database,
        amqp_url=amqp_url,
        vhost=vhost,
        restart_broker=infrastructure.restart_broker,
    )
    started: list[Process] = []
    running: list[ServiceProcess] = []
    mail = MailCatcher(free_port())
    try:
        gateway_port, console_port = free_port(), free_port()
        url = f"http://127.0.0.1:{gateway_port}"
        issuer = f"{url}/auth/realms/warszawa"
        volunteer_issuer = f"{url}/console"
        key_file = work / "dev-signing-key.pem"
        signing_key, public_key = load_or_create_key_pair(key_file)
        mail.start()

        auth = {
            "auth_issuer": issuer,
            "auth_public_key": public_key,
            "auth_volunteer_issuer": volunteer_issuer,
            "auth_volunteer_public_key": public_key,
        }
        per_service: dict[str, dict[str, Any]] = {
            "notifications": {
                "smtp_port": mail.port,
                "console_public_url": url,
                "volunteer_link_secret": VOLUNTEER_LINK_SECRET,
                "sender_poll_interval_s": 0.2,
            }
        }
        console_env = {
            **python_env({}),
            "CONSOLE_HTTP_PORT": str(console_port),
            "CONSOLE_DATABASE_URL": platform.database_url("console"),
            "CONSOLE_PUBLIC_URL": url,
            "CONSOLE_API_URL": f"{url}/api",
            "CONSOLE_OIDC_ISSUER": issuer,
            "CONSOLE_DEV_SIGN_IN": "true",
            "CONSOLE_DEV_SIGNING_KEY_FILE": str(key_file),
            "CONSOLE_DEV_REALM_FILE": str(REALM_FILE),
            "CONSOLE_VOLUNTEER_SIGNING_KEY_FILE": str(key_file),
            "CONSOLE_VOLUNTEER_ISSUER": volunteer_issuer,
            "CONSOLE_VOLUNTEER_LINK_SECRET": VOLUNTEER_LINK_SECRET,
            "CONSOLE_SESSION_SECRET": "browser-test-session-secret",
        }
        console = Process(
            "console", [sys.executable, "-m", "console"], console_env, work / "console.log"
        )
        started.append(console)

        # Registry's seed needs only its database (its events wait in the outbox), so it
        # runs while the services start.
        registry_seed = asyncio.create_task(
            run_to_end(
                "registry seed",
                [sys.executable, "-m", "registry", "seed"],
                python_env(platform.env("registry", **auth)),
                work / "registry-seed.log",
            )
        )
        try:
            consumers = await asyncio.gather(
                *(
                    start_service(platform, running, name, **auth, **per_service.get(name, {}))
                    for name in CONSUMERS_OF_REGISTRY
                )
            )
            # Registry last: what it publishes finds the others' queues already bound.
            services = [*consumers, await start_service(platform, running, "registry", **auth)]
            await registry_seed
        finally:
            registry_seed.cancel()
        upstreams = {
            name: f"127.0.0.1:{s.port}"
            for name, s in zip((*CONSUMERS_OF_REGISTRY, "registry"), services, strict=True)
        }
        gateway_env = {
            **python_env({}),
            "GATEWAY_PORT": str(gateway_port),
            "GATEWAY_ACCESS_LOG": str(work / "gateway-access.log"),
            **{f"UPSTREAM_{name.upper()}": upstream for name, upstream in upstreams.items()},
            "UPSTREAM_CONSOLE": f"127.0.0.1:{console_port}",
            # The console's development issuer stands in for Keycloak.
            "UPSTREAM_AUTH": f"127.0.0.1:{console_port}",
        }
        gateway = Process(
            "gateway",
            [sys.executable, "scripts/gateway.py", "--prefix", str(work / "gateway")],
            gateway_env,
            work / "gateway.log",
        )
        started.append(gateway)
        await console.wait_until_serving(f"http://127.0.0.1:{console_port}/health/ready")
        await gateway.wait_until_serving(f"{url}/gateway/health")

        # Matching's seed makes tasks at the branches matching knows as enrolled when it
        # looks: first every enrolment of registry's seed has to arrive there.
        async def all_enrolments_arrived() -> bool:
            registry = await platform.fetchval(
                "SELECT count(*) FROM registry.enrolments WHERE status = 'enrolled'"
            )
            matching = await platform.fetchval(
                "SELECT count(*) FROM matching.enrolments WHERE enrolled"
            )
            return bool(registry) and matching >= registry

        await eventually(all_enrolments_arrived, timeout=90, message="enrolments in matching")
        await run_to_end(
            "matching seed",
            [sys.executable, "-m", "matching", "seed", "--volunteers", str(SEED_VOLUNTEERS)],
            python_env(platform.env("matching", **auth)),
            work / "matching-seed.log",
        )
        yield System(
            url=url,
            platform=platform,
            mail=mail,
            signing_key=signing_key,
            issuer=issuer,
            volunteer_issuer=volunteer_issuer,
            realm_users=realm_users(),
        )
    finally:
        for process in reversed(started):
            process.stop()
        for service in running:
            service.kill()
        mail.stop()
        await platform.close()
        await vhosts.delete(vhost)
        await databases.drop(database)


# -- the browser ------------------------------------------------------------------------------


def chromium_executable() -> str | None:
    """CHROMIUM if set, else a Chromium or Chrome on the PATH; None lets Playwright use the
    browser it installed itself (`playwright install chromium`)."""
    named = os.environ.get("CHROMIUM")
    if named:
        return named
    for command in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(command)
        if found:
            return found
    return None


@pytest_asyncio.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=chromium_executable(), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest_asyncio.fixture
async def context(browser: Browser, system: System) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile per journey (its own cookies), opening the gateway's URL."""
    fresh = await browser.new_context(base_url=system.url, accept_downloads=True, locale="pl-PL")
    try:
        yield fresh
    finally:
        await fresh.close()


@pytest.fixture(scope="session")
def axe() -> Axe:
    return Axe()


class Journey:
    """One person's way through the console: each page is photographed and checked."""

    def __init__(self, name: str, page: Page, axe: Axe) -> None:
        self.name = name
        self.page = page
        self.axe = axe
        self.folder = SCREENSHOTS / name
        self.visited: list[str] = []
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()

    async def check(self, label: str) -> None:
        """The page as it is now: a screenshot, then axe-core (no violations allowed)."""
        await self.page.wait_for_load_state("load")
        self.visited.append(label)
        number = len(self.visited)
        await self.page.screenshot(
            path=str(self.folder / f"{number:02d}-{label}.png"), full_page=True
        )
        results = await self.axe.run(self.page)
        violations = results.response["violations"]
        assert not violations, f"axe-core on {label} ({self.page.url}):\n" + describe_violations(
            violations
        )


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {', '.join(node['target'])}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


@pytest_asyncio.fixture
async def page(context: BrowserContext) -> AsyncIterator[Page]:
    opened = await context.new_page()
    yield opened
    await opened.close()


@pytest.fixture
def journey(request: pytest.FixtureRequest, page: Page, axe: Axe) -> Journey:
    name = request.node.name.removeprefix("test_").split("_")[0]
    return Journey(name, page, axe)


async def sign_in(journey: Journey, username: str, display_name: str) -> None:
    """Through the console's sign-in, the development issuer's page and back."""
    page = journey.page
    await page.goto("/zaloguj")
    await journey.check("logowanie")
    await page.get_by_role("button", name=f"Zaloguj jako {display_name}").click()
    await page.wait_for_load_state("load")
    assert "/auth/" not in page.url, f"{username} not signed in: {page.url}"


# -- setting a scene through the services' APIs ---------------------------------------------

COORDINATOR_BRANCH = "bialoleka-29"


async def answer(response: httpx.Response) -> Any:
    assert response.is_success, f"{response.request.url}: {response.status_code} {response.text}"
    return response.json()


async def branch_tasks(system: System, branch: str = COORDINATOR_BRANCH) -> list[dict[str, Any]]:
    async with system.api(system.staff_token("koordynatorka")) as api:
        found: list[dict[str, Any]] = await answer(
            await api.get(
                "/matching/v1/tasks",
                params={"branch_code": branch, "status": "published", "limit": 200},
            )
        )
    return found


async def publish_flexible_task(
    system: System, title: str, *, starts_in_days: int, days: int = 10
) -> dict[str, Any]:
    """A task of ``hours`` to share out over a period (flexible tasks may start today, so
    hours can be logged on them at once)."""
    first = datetime.now(WARSAW).date() + timedelta(days=starts_in_days)
    body = {
        "branch_code": COORDINATOR_BRANCH,
        "type": "daily_work",
        "title": title,
        "schedule": {
            "kind": "flexible",
            "first_day": first.isoformat(),
            "last_day": (first + timedelta(days=days)).isoformat(),
            "hours": "10",
        },
        "places": 5,
        "skills": [],
        "with_children": False,
    }
    async with system.api(system.staff_token("koordynatorka")) as api:
        task: dict[str, Any] = await answer(await api.post("/matching/v1/tasks", json=body))
    return task


async def candidates_of(system: System, task_id: str) -> list[str]:
    async with system.api(system.staff_token("koordynatorka")) as api:
        ranked = await answer(await api.get(f"/matching/v1/tasks/{task_id}/candidates"))
    return [str(candidate["volunteer_id"]) for candidate in ranked]


async def apply_as_volunteer(system: System, task_id: str, volunteer_id: str) -> dict[str, Any]:
    async with system.api(system.volunteer_token(volunteer_id)) as api:
        application: dict[str, Any] = await answer(
            await api.post(f"/matching/v1/tasks/{task_id}/applications")
        )
    return application


async def assignment_of(system: System, task_id: str, volunteer_id: str) -> dict[str, Any]:
    async with system.api(system.staff_token("koordynatorka")) as api:
        found = await answer(await api.get(f"/matching/v1/tasks/{task_id}/assignments"))
    return next(a for a in found if a["volunteer_id"] == volunteer_id)


async def log_hours_as_volunteer(
    system: System, assignment: dict[str, Any], hours: str = "2.5"
) -> dict[str, Any]:
    today = datetime.now(WARSAW).date().isoformat()
    async with system.api(system.volunteer_token(assignment["volunteer_id"])) as api:
        entry: dict[str, Any] = await answer(
            await api.post(
                f"/matching/v1/assignments/{assignment['id']}/hours",
                json={"hours": hours, "worked_on": today},
            )
        )
    return entry


async def reachable_by_email(system: System, volunteer_id: str) -> bool:
    async with system.api(system.staff_token("urzad")) as api:
        profile = await answer(await api.get(f"/matching/v1/volunteers/{volunteer_id}"))
    return bool(profile["consent_email"] and profile["email"])


async def mail_containing(system: System, text: str) -> ReceivedMail:
    """The email whose body holds ``text`` (waits for notifications' sender)."""

    async def arrived() -> ReceivedMail | None:
        return next((mail for mail in system.mail.received if text in mail.body), None)

    found = await eventually(arrived, timeout=30, message=f"no email with {text}")
    assert found is not None
    return found
