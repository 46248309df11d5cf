"""Each staff role's pages against the real services (registry, matching, reporting on this
test's own database and vhost): the console calls them as the gateway would route it."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from console.app import build_app
from console.settings import ConsoleSettings
from console.testing import CSRF, SESSION_SECRET, session_cookie
from shared.service import Service
from shared.testing.platform import TestPlatform, cloud_event, eventually
from tests.test_matching_support import TASK_DAY

BRANCHES_CSV = (
    "code,name,district,address,volunteer_spaces\n"
    "wola-12,Biblioteka dla Dzieci i Młodzieży nr 12,wola,ul. Górczewska 1,4\n"
)
SATURDAY_MORNING = [{"weekday": 6, "start": "09:00", "end": "13:00"}]


class Gateway(httpx.AsyncBaseTransport):
    """What nginx does for the console: ``/api/<service>/v1/...`` → that service's ``/v1/...``
    (here the services' own applications, in this process)."""

    def __init__(self, services: list[Service]) -> None:
        self._routes = {service.name: httpx.ASGITransport(app=service.http) for service in services}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _, prefix, service, rest = request.url.path.split("/", 3)
        assert prefix == "api", request.url
        request.url = request.url.copy_with(path=f"/{rest}")
        return await self._routes[service].handle_async_request(request)


@asynccontextmanager
async def console_as(
    platform: TestPlatform,
    services: list[Service],
    token: str,
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
    app = build_app(settings, transport=Gateway(services))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://console"
    ) as client:
        cookie = await session_cookie(
            database_url, roles, branches or [], access_token=token, subject="staff"
        )
        client.cookies.set("konsola", cookie)
        yield client
    await app.state.store.close()


def h1(page: httpx.Response) -> str:
    [heading] = re.findall(r"<h1>(.*?)</h1>", page.text, re.S)
    return str(heading).strip()


async def follow(client: httpx.AsyncClient, answer: httpx.Response) -> httpx.Response:
    """POST-redirect-GET: the page the form's answer sends the browser to."""
    assert answer.status_code == 303, answer.text
    return await client.get(answer.headers["location"])


async def open_edition_with_branch(
    registry: httpx.AsyncClient, admin: dict[str, str]
) -> dict[str, Any]:
    """The registry's side, through its API: an open edition with wola-12 enrolled."""
    edition = (
        await registry.post(
            "/v1/editions",
            json={
                "year": 2026,
                "name": "Edycja 2026",
                "starts_on": "2026-01-01",
                "ends_on": "2026-12-31",
            },
            headers=admin,
        )
    ).json()
    await registry.post(f"/v1/editions/{edition['id']}/open", headers=admin)
    imported = await registry.post(
        "/v1/branches/import",
        content=BRANCHES_CSV.encode(),
        headers={**admin, "content-type": "text/csv"},
    )
    assert imported.json()["created"] == ["wola-12"], imported.text
    enrolment = await registry.post(
        f"/v1/editions/{edition['id']}/enrolments",
        json={"branch_code": "wola-12", "funding_pln": "5000.00"},
        headers=admin,
    )
    assert enrolment.status_code == 201, enrolment.text
    return dict(enrolment.json())


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def service_client(service: Service) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=service.http), base_url="http://s")


async def test_the_city_office_runs_an_edition_from_its_pages(platform: TestPlatform) -> None:
    async with platform.running("registry", "reporting") as services:
        token = platform.token("city_admin")
        async with console_as(platform, services, token, ["city_admin"]) as console:
            start = await console.get("/miasto")
            assert start.status_code == 200, start.text
            assert h1(start) == "Program w mieście"

            created = await console.post(
                "/miasto/edycje",
                data={
                    "csrf": CSRF,
                    "year": "2026",
                    "name": "Edycja 2026",
                    "institution_type": "library_branch",
                    "starts_on": "2026-01-01",
                    "ends_on": "2026-12-31",
                },
            )
            edition_page = await follow(console, created)
            assert h1(edition_page) == "Edycja: Edycja 2026"
            edition_path = created.headers["location"]
            opened = await follow(
                console,
                await console.post(
                    f"{edition_path}/otwarcie", data={"csrf": CSRF, "wroc": edition_path}
                ),
            )
            assert "Edycja otwarta." in opened.text

            imported = await follow(
                console,
                await console.post(
                    "/miasto/oddzialy/import",
                    data={"csrf": CSRF},
                    files={"plik": ("oddzialy.csv", BRANCHES_CSV.encode(), "text/csv")},
                ),
            )
            assert "Nowe oddziały: 1" in imported.text and "wola-12" in imported.text

            enrolled = await follow(
                console,
                await console.post(
                    f"{edition_path}/zapisy",
                    data={"csrf": CSRF, "branch_code": "wola-12", "funding_pln": "5000,00"},
                ),
            )
            assert "Oddział wola-12 zapisany do edycji." in enrolled.text
            assert "5000.00" in enrolled.text

            async def counted() -> bool:
                reports = await console.get("/miasto/raporty")
                found = re.search(r"Oddziały zapisane</th><td>(\d+)</td>", reports.text)
                return found is not None and found.group(1) == "1"

            await eventually(counted, timeout=60, message="reporting counts the enrolled branch")
            export = await console.get("/miasto/eksport/branches.csv")
            assert export.status_code == 200
            assert export.headers["content-type"].startswith("text/csv")
            assert "wola-12" in export.text


async def test_a_coordinator_publishes_a_task_and_proposes_a_candidate(
    platform: TestPlatform,
) -> None:
    async with platform.running("registry", "matching", "reporting") as services:
        registry = services[0]
        async with service_client(registry) as registry_http:
            await open_edition_with_branch(registry_http, bearer(platform.token("city_admin")))
        await platform.publish_event(
            cloud_event(
                "pl.waw.portal.volunteer.registered.v1",
                {
                    "portal_id": "p-1",
                    "first_name": "Zofia",
                    "last_name": "Kowalska",
                    "email": "zofia@example.pl",
                    "birth_date": "1999-03-14",
                    "districts": ["wola"],
                    "skills": ["czytanie"],
                    "availability": SATURDAY_MORNING,
                    "consents": {"email": True, "sms": False},
                },
            )
        )

        async def ready() -> bool:
            enrolled = await platform.fetchval(
                "SELECT count(*) FROM matching.enrolments e JOIN matching.branches b"
                " ON b.id = e.branch_id WHERE b.code = 'wola-12' AND e.enrolled"
            )
            volunteers = await platform.fetchval("SELECT count(*) FROM matching.volunteers")
            return bool(enrolled) and bool(volunteers)

        await eventually(ready, message="matching knows the branch and the volunteer")
        token = platform.token("coordinator", branches=("wola-12",))
        async with console_as(platform, services, token, ["coordinator"], ["wola-12"]) as console:
            dashboard = await console.get("/koordynator")
            assert dashboard.status_code == 200, dashboard.text
            assert h1(dashboard) == "Pulpit koordynatora"

            created = await console.post(
                "/koordynator/zadania",
                data={
                    "csrf": CSRF,
                    "title": "Głośne czytanie dla dzieci",
                    "type": "reading_help",
                    "places": "1",
                    "skills": "czytanie",
                    "kind": "one_off",
                    "first_day": TASK_DAY.isoformat(),
                    "start": "10:00",
                    "end": "12:00",
                },
            )
            task_page = await follow(console, created)
            assert h1(task_page) == "Zadanie: Głośne czytanie dla dzieci"
            task_path = created.headers["location"]

            candidates = await console.get(f"{task_path}/kandydaci")
            assert "Zofia" in candidates.text and "umiejętności: czytanie (+10)" in candidates.text
            [volunteer_id] = re.findall(
                r'name="volunteer_id" value="([0-9a-f-]{36})"', candidates.text
            )
            proposed = await follow(
                console,
                await console.post(
                    f"{task_path}/propozycje",
                    data={"csrf": CSRF, "volunteer_id": volunteer_id, "expires_in_hours": "48"},
                ),
            )
            assert "Propozycja wysłana do wolontariusza." in proposed.text
            again = await follow(
                console,
                await console.post(
                    f"{task_path}/propozycje",
                    data={"csrf": CSRF, "volunteer_id": volunteer_id, "expires_in_hours": "48"},
                ),
            )
            assert "Nie wysłano propozycji." in again.text
        task_id = uuid.UUID(task_path.rsplit("/", 1)[-1])
        proposals = await platform.fetch(
            "SELECT volunteer_id, status FROM matching.proposals WHERE task_id = $1", task_id
        )
        assert [(str(p["volunteer_id"]), p["status"]) for p in proposals] == [
            (volunteer_id, "proposed")
        ]


async def test_a_trainer_sees_their_branch_and_records_a_visit(platform: TestPlatform) -> None:
    async with platform.running("registry", "reporting") as services:
        registry, _ = services
        admin = bearer(platform.token("city_admin"))
        async with service_client(registry) as registry_http:
            enrolment = await open_edition_with_branch(registry_http, admin)
            trainer = (
                await registry_http.post(
                    "/v1/trainers",
                    json={
                        "name": "Tomasz Trener",
                        "email": "trener@example.pl",
                        "subject": "trainer-subject-1",
                    },
                    headers=admin,
                )
            ).json()
            assigned = await registry_http.post(
                f"/v1/enrolments/{enrolment['id']}/trainers",
                json={"trainer_id": trainer["id"]},
                headers=admin,
            )
            assert assigned.status_code == 201, assigned.text
        token = platform.token("trainer", branches=("wola-12",), subject="trainer-subject-1")
        async with console_as(platform, services, token, ["trainer"], ["wola-12"]) as console:
            home = await console.get("/trener")
            assert home.status_code == 200, home.text
            assert h1(home) == "Moje oddziały"
            branch_path = f"/trener/oddzialy/{enrolment['id']}"
            assert f'href="{branch_path}"' in home.text

            recorded = await follow(
                console,
                await console.post(
                    f"{branch_path}/wizyty",
                    data={
                        "csrf": CSRF,
                        "visited_on": "2026-11-20",
                        "notes": "Zespół gotowy do rekrutacji",
                        "next_steps": "Plakaty w czytelni",
                        "follow_up_on": "2026-12-01",
                    },
                ),
            )
            assert h1(recorded) == "Biblioteka dla Dzieci i Młodzieży nr 12"
            assert "ul. Górczewska 1" in recorded.text
            assert "Wizyta monitoringowa zapisana." in recorded.text
            assert "Zespół gotowy do rekrutacji" in recorded.text

            async def follow_up_listed() -> bool:
                page = await console.get("/trener")
                return "1.12.2026" in page.text

            await eventually(follow_up_listed, timeout=60, message="reporting lists the follow-up")
