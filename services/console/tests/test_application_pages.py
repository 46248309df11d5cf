"""Branches apply to an edition: the coordinator's form, the city office's review and budget,
and registry's refusals told in Polish."""

from __future__ import annotations

from typing import Any

from console.testing import CSRF, FakeServices, console, h1
from shared.testing.platform import TestPlatform

EDITION_ID = "6f1f3c1e-0000-4000-8000-000000000006"
APPLICATION_ID = "4d5e6f70-0000-4000-8000-000000000008"
CALL = {
    "edition_id": EDITION_ID,
    "opens_on": "2026-01-01",
    "closes_on": "2026-03-31",
    "criteria": "Sala dla dzieci",
    "budget_pln": "10000.00",
    "granted_pln": "4000.00",
    "left_pln": "6000.00",
    "announced_at": "2026-01-01T10:00:00Z",
    "updated_at": "2026-01-01T10:00:00Z",
}
EDITION = {
    "id": EDITION_ID,
    "year": 2026,
    "name": "Edycja 2026",
    "institution_type": "library_branch",
    "starts_on": "2026-01-15",
    "ends_on": "2026-12-15",
    "status": "open",
    "opened_at": None,
    "closed_at": None,
}


def page_of(items: list[Any]) -> dict[str, Any]:
    return {"items": items, "total": len(items), "limit": 100, "offset": 0}


def application(**changes: Any) -> dict[str, Any]:
    return {
        "id": APPLICATION_ID,
        "edition_id": EDITION_ID,
        "edition_name": "Edycja 2026",
        "branch_id": "00000000-0000-4000-8000-00000000000b",
        "branch_code": "wola-12",
        "branch_name": "Wypożyczalnia nr 12",
        "motivation": "Czytanie z dziećmi",
        "team": "Dwie bibliotekarki",
        "task_types": ["reading_help"],
        "status": "submitted",
        "submitted_on": "2026-02-01",
        "funding_pln": None,
        "answer": None,
        "decided_on": None,
        "enrolment_id": None,
        "updated_at": "2026-02-01T10:00:00Z",
        **changes,
    }


async def test_a_coordinator_applies_and_a_late_application_is_refused_in_polish(
    platform: TestPlatform,
) -> None:
    fake = FakeServices()
    fake.on(
        "GET",
        "/registry/v1/branches/wola-12",
        {"code": "wola-12", "name": "Wypożyczalnia nr 12", "address": "ul. Wolska 12, Warszawa"},
    )
    fake.on("GET", "/registry/v1/editions", page_of([EDITION]))
    fake.on("GET", "/registry/v1/applications", [])
    fake.on("GET", f"/registry/v1/editions/{EDITION_ID}/call", CALL)
    fake.on(
        "POST",
        f"/registry/v1/editions/{EDITION_ID}/applications",
        {"title": "Outside the call's dates", "status": 409, "detail": "from ... to ..."},
        status=409,
    )
    async with console(platform, fake, ["coordinator"], ["wola-12"]) as client:
        form = await client.get("/koordynator/wniosek")
        assert h1(form) == "Wniosek do programu"
        # The branch by its name and address, not only its code.
        assert "<strong>Wypożyczalnia nr 12</strong>, ul. Wolska 12, Warszawa" in form.text
        assert "Złóż wniosek" in form.text and "Sala dla dzieci" in form.text
        sent = await client.post(
            f"/koordynator/wniosek/{EDITION_ID}",
            data={
                "csrf": CSRF,
                "motivation": "Chcemy czytać z dziećmi",
                "team": "Dwie bibliotekarki",
                "task_types": ["reading_help", "not-a-kind", "homework_help"],
            },
        )
        assert sent.headers["location"] == "/koordynator/wniosek"
        page = await client.get("/koordynator/wniosek")
    assert fake.json_sent("POST", f"/registry/v1/editions/{EDITION_ID}/applications") == {
        "branch_code": "wola-12",
        "motivation": "Chcemy czytać z dziećmi",
        "team": "Dwie bibliotekarki",
        "task_types": ["reading_help", "homework_help"],
    }
    assert "Wniosek można złożyć tylko w terminie naboru (1.01.2026 – 31.03.2026)." in page.text


async def test_funding_over_the_budget_says_what_is_left(platform: TestPlatform) -> None:
    fake = FakeServices()
    fake.on("GET", f"/registry/v1/applications/{APPLICATION_ID}", application())
    fake.on("GET", f"/registry/v1/editions/{EDITION_ID}/call", CALL)
    fake.on(
        "POST",
        f"/registry/v1/applications/{APPLICATION_ID}/accept",
        {"title": "Budget exceeded", "status": 409, "detail": "6000.00 PLN left"},
        status=409,
    )
    async with console(platform, fake, ["city_admin"]) as client:
        review = await client.get(f"/miasto/wnioski/{APPLICATION_ID}")
        assert h1(review) == "Wniosek oddziału Wypożyczalnia nr 12"
        assert "Przyjmij wniosek" in review.text and "Poproś o poprawki" in review.text
        await client.post(
            f"/miasto/wnioski/{APPLICATION_ID}/przyjecie",
            data={
                "csrf": CSRF,
                "funding_pln": "7 000,00",
                "edycja": EDITION_ID,
                "oddzial": "wola-12",
            },
        )
        page = await client.get(f"/miasto/wnioski/{APPLICATION_ID}")
    assert fake.json_sent("POST", f"/registry/v1/applications/{APPLICATION_ID}/accept") == {
        "funding_pln": "7000.00"
    }
    assert (
        "Kwota przekracza budżet edycji: zostało 6\xa0000,00\xa0zł z 10\xa0000,00\xa0zł."
        in page.text
    )


async def test_the_call_page_shows_the_budget_per_branch_and_the_applications(
    platform: TestPlatform,
) -> None:
    fake = FakeServices()
    fake.on("GET", f"/registry/v1/editions/{EDITION_ID}", EDITION)
    fake.on("GET", f"/registry/v1/editions/{EDITION_ID}/call", CALL)
    fake.on("GET", "/registry/v1/applications", [application(status="changes_requested")])
    fake.on(
        "GET",
        f"/registry/v1/editions/{EDITION_ID}/budget",
        {
            "edition_id": EDITION_ID,
            "budget_pln": "10000.00",
            "granted_pln": "4000.00",
            "left_pln": "6000.00",
            "spent_pln": "3600.00",
            "branches": [
                {
                    "branch_code": "wola-12",
                    "branch_name": "Wypożyczalnia nr 12",
                    "enrolment_status": "enrolled",
                    "granted_pln": "4000.00",
                    "report_status": "accepted",
                    "spent_pln": "3600.00",
                    "settled": True,
                }
            ],
        },
    )
    fake.on("GET", "/registry/v1/districts", [{"slug": "wola", "name": "Wola"}])
    figures = {
        "applications": 3,
        "accepted": 1,
        "rejected": 1,
        "waiting": 1,
        "acceptance_rate": 0.5,
        "granted_pln": "4000.00",
        "settled_pln": "3600.00",
    }
    fake.on("GET", "/reporting/v1/reports/applications", {"editions": [
        {"edition_id": EDITION_ID, **figures, "districts": [{"district": "wola", **figures}]}
    ]})  # fmt: skip
    async with console(platform, fake, ["city_admin"]) as client:
        page = await client.get(f"/miasto/edycje/{EDITION_ID}/nabor")
        english = await client.get(f"/miasto/edycje/{EDITION_ID}/nabor?lang=en")
    assert h1(page) == "Nabór wniosków: Edycja 2026"
    by_district = page.text.split('id="dzielnice"')[1].split("</section>")[0]
    assert "Wnioski: 3, przyjęte: 1, odrzucone: 1, czekające: 1." in by_district
    row = by_district.split("<tbody>")[1]
    assert "Wola" in row and "50%" in row and "4\xa0000,00\xa0zł" in row
    assert "3\xa0600,00\xa0zł" in row
    assert "Pozostało" in page.text and "do poprawy" in page.text
    assert "Dofinansowanie oddziałów i jego rozliczenie" in page.text
    assert "3\xa0600,00\xa0zł" in page.text and "przyjęte" in page.text
    assert "Left" in english.text and "to be amended" in english.text


async def test_the_application_pages_are_for_their_roles_only(platform: TestPlatform) -> None:
    fake = FakeServices()
    async with console(platform, fake, ["coordinator"], ["wola-12"]) as client:
        refused = await client.get("/miasto/wnioski")
    assert refused.status_code == 403
    assert fake.requests == []
