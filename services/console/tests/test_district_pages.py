"""A district library's administrator: the library's branches, the calls, applying for a
branch, and registry's refusal of another library's branch told as a sentence."""

from __future__ import annotations

import json
from typing import Any

from console.testing import CSRF, FakeServices, console, h1
from shared.testing.platform import TestPlatform

EDITION_ID = "6f1f3c1e-0000-4000-8000-000000000006"
APPLICATION_ID = "4d5e6f70-0000-4000-8000-000000000008"
EDITION = {"id": EDITION_ID, "year": 2026, "name": "Edycja 2026", "status": "open"}
CALL = {
    "edition_id": EDITION_ID,
    "opens_on": "2026-01-01",
    "closes_on": "2026-03-31",
    "criteria": "Sala dla dzieci",
    "budget_pln": "10000.00",
    "granted_pln": "0",
    "left_pln": "10000.00",
}
LIBRARY = "Biblioteka Publiczna w Dzielnicy Wola m.st. Warszawy"


def branch(code: str, name: str) -> dict[str, Any]:
    return {"code": code, "name": name, "address": f"ul. Wolska {code[-2:]}",
            "district_library": LIBRARY}  # fmt: skip


def page_of(items: list[Any]) -> dict[str, Any]:
    return {"items": items, "total": len(items), "limit": 500, "offset": 0}


def library(fake: FakeServices) -> None:
    fake.on("GET", "/registry/v1/branches", page_of([
        branch("wola-12", "Wypożyczalnia nr 12"), branch("wola-20", "Biblioteka dla Dzieci nr 20"),
    ]))  # fmt: skip


async def test_the_director_sees_the_librarys_branches_stage_and_coordinators(
    platform: TestPlatform,
) -> None:
    fake = FakeServices()
    library(fake)
    fake.on("GET", "/registry/v1/enrolments", page_of([{
        "id": "e1", "edition_id": EDITION_ID, "branch": branch("wola-12", "Wypożyczalnia nr 12"),
        "status": "enrolled", "enrolled_on": "2026-02-01", "stage": "programme_written",
        "stage_reached_on": "2026-03-01",
    }]))  # fmt: skip
    fake.on(
        "GET",
        "/registry/v1/branches/wola-12/coordinators",
        [{"staff": {"name": "Anna Kowalska"}, "assigned_on": "2026-01-31"}],
    )
    fake.on("GET", "/registry/v1/branches/wola-20/coordinators", [])
    async with console(platform, fake, ["district_admin"]) as client:
        page = await client.get("/dyrekcja")
        home = await client.get("/", follow_redirects=False)
    assert h1(page) == "Filie biblioteki w programie"
    assert LIBRARY in page.text
    rows = page.text.split("<tr>")[2:]
    assert "Wypożyczalnia nr 12" in rows[0] and "Anna Kowalska" in rows[0]
    assert "w programie" in rows[0] and "1.03.2026" in rows[0]
    assert "nie bierze udziału" in rows[1] and "brak koordynatora" in rows[1]
    assert home.headers["location"] == "/dyrekcja"


async def test_the_director_applies_for_a_branch_and_another_librarys_is_refused(
    platform: TestPlatform,
) -> None:
    fake = FakeServices()
    library(fake)
    fake.on("GET", f"/registry/v1/editions/{EDITION_ID}", EDITION)
    fake.on("GET", "/registry/v1/editions", page_of([EDITION]))
    fake.on("GET", f"/registry/v1/editions/{EDITION_ID}/call", CALL)
    fake.on("GET", "/registry/v1/applications", [{
        "id": APPLICATION_ID, "edition_id": EDITION_ID, "branch_code": "wola-12",
        "branch_name": "Wypożyczalnia nr 12", "status": "submitted", "submitted_on": "2026-02-01",
        "funding_pln": None,
    }])  # fmt: skip
    path = f"/registry/v1/editions/{EDITION_ID}/applications"
    fake.on(
        "POST",
        path,
        {"title": "Not your branch", "status": 404, "detail": "no branch 'mokotow-3' to apply"},
        status=404,
    )
    draft = {"csrf": CSRF, "motivation": "Czytanie", "team": "Dwie bibliotekarki",
             "task_types": ["reading_help"]}  # fmt: skip
    async with console(platform, fake, ["district_admin"]) as client:
        form = await client.get(f"/dyrekcja/nabor/{EDITION_ID}")
        sent = await client.post(
            f"/dyrekcja/nabor/{EDITION_ID}", data={**draft, "branch_code": "mokotow-3"}
        )
        refused = await client.get("/dyrekcja/nabor")
    assert h1(form) == "Wniosek filii do edycji Edycja 2026"
    # Only the branch that has not applied yet is offered.
    assert 'value="wola-20"' in form.text and 'value="wola-12"' not in form.text
    assert sent.headers["location"] == "/dyrekcja/nabor"
    assert fake.json_sent("POST", path) == {
        "branch_code": "mokotow-3",
        "motivation": "Czytanie",
        "team": "Dwie bibliotekarki",
        "task_types": ["reading_help"],
    }
    assert h1(refused) == "Nabór wniosków"
    assert "Oddział mokotow-3 nie jest jednym z Twoich oddziałów" in refused.text
    assert f'href="/dyrekcja/wnioski/{APPLICATION_ID}"' in refused.text


async def test_other_roles_do_not_reach_the_directors_pages(platform: TestPlatform) -> None:
    fake = FakeServices()
    async with console(platform, fake, ["coordinator"], ["wola-12"]) as client:
        page = await client.get("/dyrekcja")
    assert page.status_code == 403
    assert fake.requests == []


async def test_the_city_office_assigns_a_director_to_a_district_library(
    platform: TestPlatform,
) -> None:
    organisation = "0a0b0c0d-0000-4000-8000-000000000011"
    staff_id = "0a0b0c0d-0000-4000-8000-0000000000aa"
    path = f"/registry/v1/organisations/{organisation}/administrators"
    fake = FakeServices()
    fake.on("POST", path, {"id": "x", "assigned_on": "2026-12-06"}, status=201)
    form = {"csrf": CSRF, "organisation_id": organisation, "staff_id": staff_id}
    async with console(platform, fake, ["city_admin"]) as client:
        done = await client.post("/miasto/kadra/dyrekcje", data=form)
        fake.on("POST", path, {"title": "Person erased", "status": 409,
                               "detail": "this person was erased"}, status=409)  # fmt: skip
        await client.post("/miasto/kadra/dyrekcje", data=form)
        # The refusal is shown on the next page, with the service's reason.
        library(fake)
        fake.on("GET", "/registry/v1/enrolments", page_of([]))
        for code in ("wola-12", "wola-20"):
            fake.on("GET", f"/registry/v1/branches/{code}/coordinators", [])
        refused = await client.get("/dyrekcja")
    assert done.headers["location"] == "/miasto/kadra"
    sent = [json.loads(request.content) for request in fake.sent("POST", path)]
    assert sent == [{"staff_id": staff_id}, {"staff_id": staff_id}]
    assert "Nie przypisano osoby do dyrekcji biblioteki." in refused.text
    assert "this person was erased" in refused.text
