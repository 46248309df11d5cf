"""The programme's pages with the services answering from a fake: what each sends where,
and what it shows of the answers and refusals."""

from __future__ import annotations

from typing import Any

from console.pages.staff import at_risk_first
from console.testing import CSRF, FakeServices, console, h1
from shared.testing.platform import TestPlatform

ENROLMENT_ID = "5e6f7a8b-0000-4000-8000-000000000005"
EDITION_ID = "6f1f3c1e-0000-4000-8000-000000000006"
BRANCH = {
    "id": "00000000-0000-4000-8000-00000000000b",
    "code": "wola-12",
    "name": "Biblioteka na Woli",
    "district": "wola",
    "institution_type": "library_branch",
    "address": "ul. Wolska 12",
}


def page_of(items: list[Any]) -> dict[str, Any]:
    return {"items": items, "total": len(items), "limit": 100, "offset": 0}


def enrolled(fake: FakeServices) -> None:
    fake.on(
        "GET",
        "/registry/v1/enrolments",
        page_of([{"id": ENROLMENT_ID, "edition_id": EDITION_ID, "branch": BRANCH}]),
    )
    fake.on("GET", "/registry/v1/branches/wola-12", BRANCH)
    fake.on("GET", "/registry/v1/branches", page_of([BRANCH]))


async def test_the_annual_report_starts_from_the_branchs_figures(platform: TestPlatform) -> None:
    fake = FakeServices()
    enrolled(fake)
    base = f"/registry/v1/enrolments/{ENROLMENT_ID}/report"
    fake.on("GET", base, {"title": "Not Found", "status": 404, "detail": "none"}, status=404)
    fake.on("GET", f"{base}/comments", [])
    fake.on(
        "GET",
        "/reporting/v1/reports/summary",
        {"volunteers_active": 7, "approved_hours": "123.50"},
    )
    fake.on(
        "GET",
        "/reporting/v1/reports/breakdown",
        page_of(
            [
                {"key": "reading_help", "tasks_published": 3, "approved_hours": "80.5"},
                {"key": "contest", "tasks_published": 0, "approved_hours": "0"},
            ]
        ),
    )
    fake.on(
        "PUT",
        base,
        {
            "title": "Unprocessable Content",
            "status": 422,
            "detail": "1 field is invalid",
            "errors": [{"field": "body.volunteers_count", "message": "must be at least 0"}],
        },
        status=422,
    )
    async with console(platform, fake, ["coordinator"], ["wola-12"]) as client:
        page = await client.get("/koordynator/sprawozdanie")
        assert h1(page) == "Sprawozdanie roczne"
        assert 'value="7"' in page.text and 'value="123.50"' in page.text
        assert "Pomoc w czytaniu: 3 zadań, 80,5 h" in page.text and "Konkurs" not in page.text
        refused = await client.post(
            f"/koordynator/sprawozdanie/{ENROLMENT_ID}",
            data={
                "csrf": CSRF,
                "summary": "Rok",
                "volunteers_count": "-1",
                "volunteer_hours": "12,5",
                "tasks_carried_out": "Głośne czytanie\n\nPomoc w lekcjach\n",
                "spent_pln": "1 200,50",
            },
        )
        shown = await client.get(refused.headers["location"])
    sent = fake.json_sent("PUT", base)
    assert sent["tasks_carried_out"] == ["Głośne czytanie", "Pomoc w lekcjach"]
    assert (sent["volunteer_hours"], sent["spent_pln"]) == ("12.5", "1200.50")
    assert fake.sent("GET", "/reporting/v1/reports/summary")[0].url.params["branch"] == "wola-12"
    assert "Nie zapisano sprawozdania." in shown.text and "must be at least 0" in shown.text


async def test_a_trainer_sends_a_programme_back_with_a_comment(platform: TestPlatform) -> None:
    fake = FakeServices()
    path = f"/registry/v1/enrolments/{ENROLMENT_ID}/programme/comments"
    fake.on("POST", path, {"id": "c"}, status=201)
    fake.on(
        "POST",
        f"/registry/v1/enrolments/{ENROLMENT_ID}/programme/accept",
        {
            "title": "Conflict",
            "status": 409,
            "detail": "only a submitted programme can be accepted",
        },
        status=409,
    )
    base = f"/trener/oddzialy/{ENROLMENT_ID}/program"
    async with console(platform, fake, ["trainer"], ["wola-12"]) as client:
        back = await client.post(
            f"{base}/uwagi", data={"csrf": CSRF, "body": "Dopisz soboty.", "do_poprawy": "tak"}
        )
        assert back.headers["location"] == base
        await client.post(f"{base}/akceptacja", data={"csrf": CSRF})
        unknown = await client.post(
            f"/trener/oddzialy/{ENROLMENT_ID}/cos/uwagi", data={"csrf": CSRF, "body": "x"}
        )
    assert fake.json_sent("POST", path) == {"body": "Dopisz soboty.", "return_for_changes": True}
    assert unknown.status_code == 404


async def test_a_new_trainer_account_goes_to_registrys_trainers(platform: TestPlatform) -> None:
    fake = FakeServices()
    fake.on("POST", "/registry/v1/trainers", {"id": "t"}, status=201)
    async with console(platform, fake, ["city_admin"]) as client:
        await client.post(
            "/miasto/kadra/konta",
            data={
                "csrf": CSRF,
                "rola": "trener",
                "name": "Jan Trener",
                "email": "jan@ngo.example.pl",
                "subject": "",
                "organisation": "Centrum",
            },
        )
    assert fake.json_sent("POST", "/registry/v1/trainers") == {
        "name": "Jan Trener",
        "email": "jan@ngo.example.pl",
        "organisation": "Centrum",
    }


def test_branches_at_risk_come_first_then_the_least_advanced() -> None:
    rows = [
        {"branch": "a", "at_risk": False, "risks": [], "current_stage": None},
        {"branch": "b", "at_risk": True, "risks": ["stage_stalled"], "current_stage": "trained"},
        {"branch": "c", "at_risk": False, "risks": [], "current_stage": "evaluated"},
        {
            "branch": "d",
            "at_risk": True,
            "risks": ["stage_stalled", "no_activity_30_days"],
            "current_stage": "recruiting",
        },
    ]
    assert [row["branch"] for row in at_risk_first(rows)] == ["d", "b", "a", "c"]


async def test_the_city_office_keeps_a_branchs_opening_hours(platform: TestPlatform) -> None:
    fake = FakeServices()
    fake.on(
        "GET",
        "/registry/v1/branches/wola-12",
        {**BRANCH, "opening_hours": [{"weekday": 6, "opens": "10:00", "closes": "15:00"}]},
    )
    fake.on(
        "PATCH",
        "/registry/v1/branches/wola-12",
        {
            "title": "Unprocessable Content",
            "status": 422,
            "detail": "1 field is invalid",
            "errors": [{"field": "body.opening_hours.1", "message": "closes must be after opens"}],
        },
        status=422,
    )
    form = {"csrf": CSRF, "mon_opens": "12:00", "mon_closes": "19:00", "sat_opens": "15:00",
            "sat_closes": "10:00", "sun_opens": "", "sun_closes": ""}  # fmt: skip
    async with console(platform, fake, ["city_admin"]) as client:
        page = await client.get("/miasto/oddzialy/wola-12/godziny")
        assert h1(page) == "Godziny otwarcia: Biblioteka na Woli"
        assert 'name="sat_opens" type="time" value="10:00"' in page.text
        refused = await client.post("/miasto/oddzialy/wola-12/godziny", data=form)
        shown = await client.get(refused.headers["location"])
    assert fake.json_sent("PATCH", "/registry/v1/branches/wola-12") == {
        "opening_hours": [
            {"weekday": 1, "opens": "12:00", "closes": "19:00"},
            {"weekday": 6, "opens": "15:00", "closes": "10:00"},
        ]
    }
    assert "Nie zapisano godzin otwarcia." in shown.text and "closes must be after" in shown.text
