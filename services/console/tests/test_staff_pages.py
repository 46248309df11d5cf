"""The staff pages' own logic, with the services answering from a fake behind the ApiClient:
what each page sends to which service, and what it shows of the answers and refusals."""

from __future__ import annotations

import re
from typing import Any

from console.pages.city import bar_chart, import_summary
from console.pages.coordinator.candidates import candidate_reasons, reason_text
from console.pages.coordinator.tasks import weekly_rule
from console.testing import CSRF, FakeServices, console, h1
from shared.testing.platform import TestPlatform

TASK_ID = "2b9c1f7e-0000-4000-8000-000000000001"
VOLUNTEER_ID = "7d1e2f3a-0000-4000-8000-000000000002"
APPLICATION_ID = "9a8b7c6d-0000-4000-8000-000000000003"
ENTRY_ID = "1f2e3d4c-0000-4000-8000-000000000004"
ENROLMENT_ID = "5e6f7a8b-0000-4000-8000-000000000005"
EDITION_ID = "6f1f3c1e-0000-4000-8000-000000000006"
CERTIFICATE_ID = "3c4d5e6f-0000-4000-8000-000000000007"


def task(**changes: Any) -> dict[str, Any]:
    body = {
        "id": TASK_ID,
        "branch_id": "00000000-0000-4000-8000-00000000000b",
        "branch_code": "wola-12",
        "type": "reading_help",
        "title": "Głośne czytanie",
        "description": None,
        "schedule_kind": "one_off",
        "first_day": "2026-12-05",
        "last_day": None,
        "start": "10:00:00",
        "end": "12:00:00",
        "rrule": None,
        "hours": None,
        "starts_at": "2026-12-05T09:00:00Z",
        "ends_at": "2026-12-05T11:00:00Z",
        "places": 2,
        "min_age": 13,
        "skills": ["czytanie"],
        "with_children": False,
        "status": "published",
        "cancel_reason": None,
        "calendar_id": None,
    }
    body.update(changes)
    return body


FIGURES = {
    "branches_enrolled": 1,
    "volunteers_recruited": 4,
    "volunteers_active": 3,
    "approved_hours": "12.50",
    "tasks_published": 2,
    "tasks_cancelled": 0,
    "tasks_filled": 1,
    "fill_rate": 0.5,
    "no_shows": 0,
    "minors_share": None,
}


def page_of(items: list[Any]) -> dict[str, Any]:
    return {"items": items, "total": len(items), "limit": 100, "offset": 0}


# -- coordinator --------------------------------------------------------------------------


def branch_in_registry(fake: FakeServices, code: str = "wola-12") -> None:
    fake.on(
        "GET",
        f"/registry/v1/branches/{code}",
        {"code": code, "name": f"Filia {code}", "address": "ul. Przykładowa 1, Warszawa"},
    )


def coordinator_dashboard(fake: FakeServices) -> None:
    branch_in_registry(fake)
    fake.on(
        "GET",
        "/registry/v1/branches",
        page_of(
            [
                {"code": code, "name": f"Filia {code}", "address": f"ul. {code} 1"}
                for code in ("ochota-1", "ursus-3", "wola-12")
            ]
        ),
    )
    fake.on("GET", "/reporting/v1/reports/summary", FIGURES)
    fake.on(
        "GET",
        "/reporting/v1/reports/breakdown",
        page_of([{**FIGURES, "key": "reading_help", "label": None}]),
    )
    fake.on("GET", "/matching/v1/tasks", [task()])
    fake.on(
        "GET",
        f"/matching/v1/tasks/{TASK_ID}/applications",
        [
            {
                "id": APPLICATION_ID,
                "task_id": TASK_ID,
                "volunteer_id": VOLUNTEER_ID,
                "status": "submitted",
                "created_at": "2026-11-28T10:00:00Z",
                "decided_at": None,
                "volunteer_name": "Zofia K.",
            }
        ],
    )
    fake.on(
        "GET",
        f"/matching/v1/tasks/{TASK_ID}/hours",
        [
            {
                "id": ENTRY_ID,
                "assignment_id": APPLICATION_ID,
                "task_id": TASK_ID,
                "branch_code": "wola-12",
                "volunteer_id": VOLUNTEER_ID,
                "hours": "2.00",
                "worked_on": "2026-11-21",
                "status": "logged",
                "logged_by": "volunteer",
                "created_at": "2026-11-21T12:00:00Z",
                "decided_at": None,
            }
        ],
    )


async def test_the_dashboard_shows_the_branch_and_what_waits_for_a_decision(
    platform: TestPlatform,
) -> None:
    fake = FakeServices()
    coordinator_dashboard(fake)
    async with console(platform, fake, ["coordinator"], ["wola-12"]) as client:
        page = await client.get("/koordynator")
    assert page.status_code == 200, page.text
    assert h1(page) == "Pulpit koordynatora"
    assert "wola-12" in page.text and "Pomoc w czytaniu" in page.text
    assert 'aria-label="Przyjmij zgłoszenie: Zofia K. — Głośne czytanie"' in page.text
    assert "Zatwierdź godziny" in page.text and "21.11.2026" in page.text
    [summary] = fake.sent("GET", "/reporting/v1/reports/summary")
    assert summary.url.params["branch"] == "wola-12"
    assert summary.headers["authorization"] == "Bearer token-for-the-services"
    # Open tasks, and finished ones whose hours may still wait for a decision.
    open_tasks, finished = fake.sent("GET", "/matching/v1/tasks")
    assert dict(open_tasks.url.params) == {
        "branch_code": "wola-12",
        "status": "published",
        "limit": "100",
    }
    assert finished.url.params["status"] == "finished"


async def test_a_coordinator_of_several_branches_picks_one_and_no_other(
    platform: TestPlatform,
) -> None:
    fake = FakeServices()
    coordinator_dashboard(fake)
    async with console(platform, fake, ["coordinator"], ["wola-12", "ochota-1"]) as client:
        choose = await client.get("/koordynator")
        assert h1(choose) == "Wybierz oddział" and "ochota-1" in choose.text
        # Branches by name and address; registry's list names none but the coordinator's.
        assert "Filia ochota-1, ul. ochota-1 1" in choose.text
        assert "Filia ursus-3" not in choose.text
        foreign = await client.get("/koordynator", params={"oddzial": "ursus-3"})
        assert h1(foreign) == "Wybierz oddział"
        chosen = await client.get("/koordynator", params={"oddzial": "wola-12"})
        assert h1(chosen) == "Pulpit koordynatora"
        remembered = await client.get("/koordynator/zadania")
    assert h1(remembered) == "Zadania oddziału"
    branches = [r.url.params.get("branch_code") for r in fake.sent("GET", "/matching/v1/tasks")]
    assert branches == ["wola-12", "wola-12", "wola-12"]  # open and finished; the list
    assert fake.sent("GET", "/reporting/v1/reports/summary")[0].url.params["branch"] == "wola-12"


async def test_a_recurring_task_is_sent_as_a_weekly_rule(platform: TestPlatform) -> None:
    fake = FakeServices()
    fake.on("POST", "/matching/v1/tasks", task(title="Lekcje"), status=201)
    form = {
        "csrf": CSRF,
        "title": "Lekcje",
        "type": "homework_help",
        "places": "3",
        "min_age": "",
        "skills": "matematyka, Polski",
        "kind": "recurring",
        "first_day": "2026-12-01",
        "start": "16:00",
        "end": "18:00",
        "byday": ["TU", "TH"],
        "count": "10",
        "with_children": "tak",
        "what_to_bring": "Zeszyt i długopis",
        "contact_first_name": "Barbara",
        "languages": "pl, uk",
    }
    async with console(platform, fake, ["coordinator"], ["wola-12"]) as client:
        done = await client.post("/koordynator/zadania", data=form)
        assert done.status_code == 303
        assert done.headers["location"] == f"/koordynator/zadania/{TASK_ID}"
    sent = fake.json_sent("POST", "/matching/v1/tasks")
    assert sent == {
        "branch_code": "wola-12",
        "type": "homework_help",
        "title": "Lekcje",
        "description": None,
        "schedule": {
            "kind": "recurring",
            "first_day": "2026-12-01",
            "start": "16:00",
            "end": "18:00",
            "rrule": "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10",
        },
        "places": 3,
        "min_age": None,
        "skills": ["matematyka", "Polski"],
        "with_children": True,
        "what_to_bring": "Zeszyt i długopis",
        "contact_first_name": "Barbara",
        "languages": ["pl", "uk"],
    }


async def test_a_refused_task_form_comes_back_with_the_field_marked(platform: TestPlatform) -> None:
    fake = FakeServices()
    branch_in_registry(fake)
    fake.on(
        "POST",
        "/matching/v1/tasks",
        {
            "title": "Invalid request",
            "status": 422,
            "detail": "the request has invalid fields",
            "errors": [{"field": "body.places", "message": "Input should be greater than 0"}],
        },
        status=422,
    )
    form = {"csrf": CSRF, "title": "Lekcje", "type": "contest", "places": "0", "kind": "one_off"}
    async with console(platform, fake, ["coordinator"], ["wola-12"]) as client:
        page = await client.post("/koordynator/zadania", data=form)
    assert page.status_code == 422
    assert h1(page) == "Nowe zadanie"
    assert 'value="Lekcje"' in page.text
    assert re.search(r'id="pole-places"[^>]*aria-describedby="pole-places-blad"', page.text)
    assert "Input should be greater than 0" in page.text
    assert "Popraw zaznaczone dane." in page.text


async def test_a_form_without_the_session_csrf_token_changes_nothing(
    platform: TestPlatform,
) -> None:
    fake = FakeServices()
    async with console(platform, fake, ["coordinator"], ["wola-12"]) as client:
        refused = await client.post(
            f"/koordynator/zgloszenia/{APPLICATION_ID}/akceptacja", data={"csrf": "forged"}
        )
    assert refused.status_code == 403
    assert fake.requests == []


async def test_editing_a_weekly_task_reads_its_rule_back_into_the_form(
    platform: TestPlatform,
) -> None:
    fake = FakeServices()
    branch_in_registry(fake)
    weekly = task(schedule_kind="recurring", rrule="FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20261231T235959")
    fake.on("GET", f"/matching/v1/tasks/{TASK_ID}", weekly)
    async with console(platform, fake, ["coordinator"], ["wola-12"]) as client:
        page = await client.get(f"/koordynator/zadania/{TASK_ID}/edycja")
    assert h1(page) == "Edycja zadania"
    assert re.search(r'id="pole-byday-MO"[^>]*checked', page.text)
    assert re.search(r'id="pole-byday-WE"[^>]*checked', page.text)
    assert not re.search(r'id="pole-byday-TU"[^>]*checked', page.text)
    assert 'value="2026-12-31"' in page.text


async def test_candidates_read_in_polish_and_a_refused_proposal_says_why(
    platform: TestPlatform,
) -> None:
    fake = FakeServices()
    fake.on("GET", f"/matching/v1/tasks/{TASK_ID}", task())
    fake.on(
        "GET",
        f"/matching/v1/tasks/{TASK_ID}/candidates",
        [
            {
                "volunteer_id": VOLUNTEER_ID,
                "first_name": "Zofia",
                "rank": 1,
                "points": 42,
                "reasons": [
                    "skills czytanie (+10)",
                    "home district bialoleka (+4)",
                    "never asked or assigned yet (+20)",
                ],
                "reason_details": [
                    {"code": "skills", "points": 10, "values": ["czytanie"], "days": None},
                    {"code": "home_district", "points": 4, "values": ["bialoleka"], "days": None},
                    {"code": "never_engaged", "points": 20, "values": [], "days": None},
                ],
            }
        ],
    )
    fake.on(
        "POST",
        f"/matching/v1/tasks/{TASK_ID}/proposals",
        {
            "title": "Not eligible",
            "status": 409,
            "detail": f"volunteer {VOLUNTEER_ID} cannot be proposed: already booked then",
        },
        status=409,
    )
    async with console(platform, fake, ["coordinator"], ["wola-12"]) as client:
        page = await client.get(f"/koordynator/zadania/{TASK_ID}/kandydaci")
        assert h1(page) == "Kandydaci do zadania: Głośne czytanie"
        assert "umiejętności: czytanie (+10)" in page.text
        assert "mieszka w dzielnicy Białołęka (+4)" in page.text
        assert "jeszcze bez propozycji (+20)" in page.text
        assert "bialoleka" not in page.text
        assert 'aria-label="Zaproponuj: Zofia (7d1e2f3a)"' in page.text
        english = await client.get(f"/koordynator/zadania/{TASK_ID}/kandydaci?lang=en")
        assert "skills: czytanie (+10)" in english.text
        assert "lives in Białołęka (+4)" in english.text
        assert "not asked or assigned yet (+20)" in english.text
        await client.get(f"/koordynator/zadania/{TASK_ID}/kandydaci?lang=pl")
        done = await client.post(
            f"/koordynator/zadania/{TASK_ID}/propozycje",
            data={"csrf": CSRF, "volunteer_id": VOLUNTEER_ID, "expires_in_hours": "48"},
        )
        assert done.status_code == 303
        after = await client.get(done.headers["location"])
    assert fake.json_sent("POST", f"/matching/v1/tasks/{TASK_ID}/proposals") == {
        "volunteer_id": VOLUNTEER_ID,
        "expires_in_hours": 48,
    }
    assert "Nie wysłano propozycji." in after.text
    assert "Stan się zmienił" in after.text and "already booked then" in after.text


async def test_a_certificate_is_issued_and_its_pdf_streamed_through_the_console(
    platform: TestPlatform,
) -> None:
    fake = FakeServices()
    branch_in_registry(fake)
    fake.on(
        "POST",
        "/matching/v1/certificates",
        {"id": CERTIFICATE_ID, "pdf_url": f"/v1/certificates/{CERTIFICATE_ID}/pdf"},
        status=201,
    )
    fake.file(
        f"/matching/v1/certificates/{CERTIFICATE_ID}/pdf",
        b"%PDF-1.7 zaswiadczenie",
        "application/pdf",
        "zaswiadczenie.pdf",
    )
    fake.on("GET", "/matching/v1/agreements", [])
    fake.on(
        "GET",
        f"/matching/v1/volunteers/{VOLUNTEER_ID}",
        {"title": "Forbidden", "status": 403, "detail": "city office only"},
        status=403,
    )
    async with console(platform, fake, ["coordinator"], ["wola-12"]) as client:
        issued = await client.post(
            f"/koordynator/wolontariusze/{VOLUNTEER_ID}/zaswiadczenie", data={"csrf": CSRF}
        )
        assert issued.status_code == 303
        page = await client.get(issued.headers["location"])
        pdf = await client.get(f"/koordynator/zaswiadczenia/{CERTIFICATE_ID}.pdf")
    assert fake.json_sent("POST", "/matching/v1/certificates") == {
        "branch_code": "wola-12",
        "volunteer_id": VOLUNTEER_ID,
    }
    assert h1(page) == "Wolontariusz w oddziale"
    assert f'href="/koordynator/zaswiadczenia/{CERTIFICATE_ID}.pdf"' in page.text
    assert "gdy wolontariusz jest z nim powiązany" in page.text  # no profile without a link
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content == b"%PDF-1.7 zaswiadczenie"


def test_weekly_rules_and_reasons() -> None:
    assert weekly_rule(["SA"], None, "2027-01-30") == "FREQ=WEEKLY;BYDAY=SA;UNTIL=20270130T235959"
    assert weekly_rule([], "5", None) is None
    home = {"code": "home_district", "points": 4, "values": ["wola"], "days": None}
    assert reason_text("pl", home) == "mieszka w dzielnicy Wola (+4)"
    unknown = {"code": "home_district", "points": 4, "values": ["atlantyda"], "days": None}
    assert reason_text("pl", unknown) == "mieszka w dzielnicy atlantyda (+4)"
    last = {"code": "last_engaged", "points": 4, "values": [], "days": 12}
    assert reason_text("pl", last) == "ostatnia propozycja lub przydział 12 dni temu (+4)"
    assert reason_text("en", last) == "last asked or assigned 12 days ago (+4)"
    languages = {"code": "languages", "points": 3, "values": ["en", "uk", "xx"], "days": None}
    assert reason_text("pl", languages) == "języki: angielski, ukraiński, xx (+3)"
    assert reason_text("en", languages) == "languages: English, Ukrainian, xx (+3)"
    new = {"code": "reads_minds", "points": 2, "values": ["x"], "days": None}
    assert reason_text("pl", new, "reads minds (+2)") == "reads minds (+2)"
    assert reason_text("pl", new) == "reads_minds: x (+2)"
    # A matching that sends only the English sentences: they are shown as they are.
    assert candidate_reasons("pl", {"reasons": ["skills x (+10)"]}) == ["skills x (+10)"]
    assert candidate_reasons("pl", {"reasons": ["new (+2)"], "reason_details": [new]}) == [
        "new (+2)"
    ]


# -- trainer ------------------------------------------------------------------------------


def monitoring_row(**changes: Any) -> dict[str, Any]:
    row = {
        "trainer_id": "8e9f0a1b-0000-4000-8000-000000000008",
        "branch": "wola-12",
        "district": "wola",
        "edition_id": EDITION_ID,
        "edition": "Edycja 2026",
        "current_stage": "trained",
        "stages": [{"stage": "trained", "reached_on": "2026-03-01"}],
        "last_visit_on": "2026-10-01",
        "follow_ups_due": [],
        "last_activity_on": None,
        "at_risk": False,
        "risks": [],
    }
    row.update(changes)
    return row


def enrolment(**changes: Any) -> dict[str, Any]:
    body = {
        "id": ENROLMENT_ID,
        "edition_id": EDITION_ID,
        "branch": {
            "id": "00000000-0000-4000-8000-00000000000b",
            "code": "wola-12",
            "name": "Biblioteka na Woli",
            "district": "wola",
            "institution_type": "library_branch",
            "address": "ul. Wolska 12",
        },
        "funding_pln": "5000.00",
        "enrolled_on": "2026-02-01",
        "status": "enrolled",
        "withdrawn_on": None,
        "withdrawal_reason": None,
        "stage": "trained",
        "stage_reached_on": "2026-03-01",
    }
    body.update(changes)
    return body


async def test_the_trainer_sees_follow_ups_and_branches_at_risk_in_polish(
    platform: TestPlatform,
) -> None:
    fake = FakeServices()
    fake.on("GET", "/registry/v1/enrolments", page_of([enrolment()]))
    fake.on(
        "GET",
        "/reporting/v1/monitoring",
        page_of(
            [
                monitoring_row(follow_ups_due=["2026-11-20"]),
                monitoring_row(
                    branch="ochota-1", at_risk=True, risks=["no_activity_30_days", "stage_stalled"]
                ),
            ]
        ),
    )
    async with console(platform, fake, ["trainer"], ["wola-12", "ochota-1"]) as client:
        page = await client.get("/trener")
    assert h1(page) == "Moje oddziały"
    assert f'href="/trener/oddzialy/{ENROLMENT_ID}"' in page.text
    assert "20.11.2026" in page.text and "po terminie" in page.text
    # A follow-up names the branch as people know it, not by its code.
    assert '<th scope="row">Biblioteka na Woli</th>' in page.text
    assert "brak aktywności od ponad 30 dni; etap stoi w miejscu zbyt długo" in page.text
    assert fake.sent("GET", "/registry/v1/enrolments")[0].url.params["status"] == "enrolled"


async def test_the_trainer_records_a_visit_and_hears_why_a_stage_was_refused(
    platform: TestPlatform,
) -> None:
    fake = FakeServices()
    fake.on("POST", f"/registry/v1/enrolments/{ENROLMENT_ID}/visits", {"id": "v"}, status=201)
    fake.on(
        "POST",
        f"/registry/v1/enrolments/{ENROLMENT_ID}/stages",
        {
            "title": "Reason required",
            "status": 409,
            "detail": "from 'trained' the next stage is 'programme_prepared'",
        },
        status=409,
    )
    fake.on("GET", f"/registry/v1/enrolments/{ENROLMENT_ID}", enrolment())
    fake.on(
        "GET",
        f"/registry/v1/enrolments/{ENROLMENT_ID}/stages",
        [
            {
                "stage": "trained",
                "previous_stage": None,
                "reached_on": "2026-03-01",
                "reason": None,
                "recorded_at": "2026-03-01T10:00:00Z",
            }
        ],
    )
    fake.on("GET", "/registry/v1/visits", page_of([]))
    base = f"/trener/oddzialy/{ENROLMENT_ID}"
    async with console(platform, fake, ["trainer"], ["wola-12"]) as client:
        visit = await client.post(
            f"{base}/wizyty",
            data={
                "csrf": CSRF,
                "visited_on": "2026-11-20",
                "notes": "Zespół gotowy",
                "next_steps": "",
                "follow_up_on": "2026-12-10",
            },
        )
        assert visit.status_code == 303 and visit.headers["location"] == base
        stage = await client.post(
            f"{base}/etap",
            data={"csrf": CSRF, "stage": "recruiting", "reached_on": "2026-11-20", "reason": ""},
        )
        page = await client.get(stage.headers["location"])
    assert fake.json_sent("POST", f"/registry/v1/enrolments/{ENROLMENT_ID}/visits") == {
        "visited_on": "2026-11-20",
        "notes": "Zespół gotowy",
        "next_steps": None,
        "follow_up_on": "2026-12-10",
    }
    assert h1(page) == "Biblioteka na Woli" and "ul. Wolska 12" in page.text
    assert "Wizyta monitoringowa zapisana." in page.text
    assert "Nie zmieniono etapu." in page.text and "the next stage is" in page.text
    # the form proposes the stage after the current one
    assert re.search(r'<option value="programme_prepared" selected>', page.text)


# -- city office --------------------------------------------------------------------------


async def test_a_csv_file_goes_to_registry_as_text_and_its_report_is_shown(
    platform: TestPlatform,
) -> None:
    fake = FakeServices()
    fake.on(
        "POST",
        "/registry/v1/branches/import",
        {
            "created": ["wola-12", "ochota-1"],
            "updated": [],
            "unchanged": ["ursus-3"],
            "errors": [{"line": 5, "code": "x", "errors": ["district: unknown 'mars'"]}],
        },
    )
    fake.on("GET", "/registry/v1/branches", page_of([]))
    csv = "code,name,district,address\nwola-12,Biblioteka,wola,Górczewska 1\n".encode()
    async with console(platform, fake, ["city_admin"]) as client:
        done = await client.post(
            "/miasto/oddzialy/import",
            data={"csrf": CSRF},
            files={"plik": ("oddzialy.csv", csv, "text/csv")},
        )
        assert done.status_code == 303
        page = await client.get(done.headers["location"])
        again = await client.get("/miasto/oddzialy")
    [sent] = fake.sent("POST", "/registry/v1/branches/import")
    assert sent.headers["content-type"].startswith("text/csv")
    assert sent.content == csv
    assert h1(page) == "Oddziały"
    assert "Nowe oddziały: 2" in page.text and "Bez zmian: 1" in page.text
    assert "district: unknown &#39;mars&#39;" in page.text
    assert "Wynik importu" not in again.text  # shown once


async def test_a_missing_file_is_refused_before_any_call(platform: TestPlatform) -> None:
    fake = FakeServices()
    fake.on("GET", "/registry/v1/branches", page_of([]))
    async with console(platform, fake, ["city_admin"]) as client:
        done = await client.post(
            "/miasto/oddzialy/import",
            data={"csrf": CSRF},
            files={"plik": ("", b"", "application/octet-stream")},
        )
        page = await client.get(done.headers["location"])
    assert "Wybierz plik CSV z oddziałami." in page.text
    assert fake.sent("POST", "/registry/v1/branches/import") == []


async def test_reports_show_tables_charts_and_exports_with_the_same_filters(
    platform: TestPlatform,
) -> None:
    fake = FakeServices()
    fake.on("GET", "/reporting/v1/reports/summary", FIGURES)
    fake.on(
        "GET",
        "/reporting/v1/reports/breakdown",
        page_of(
            [
                {**FIGURES, "key": "wola", "label": "Wola", "approved_hours": "30.00"},
                {**FIGURES, "key": "ochota", "label": "Ochota", "approved_hours": "10.00"},
            ]
        ),
    )
    fake.on(
        "GET",
        "/reporting/v1/reports/timeseries",
        page_of(
            [
                {
                    "period_start": "2026-10-01",
                    "approved_hours": "5.00",
                    "volunteers_active": 2,
                    "volunteers_recruited": 1,
                    "tasks_published": 1,
                    "no_shows": 0,
                }
            ]
        ),
    )
    fake.on("GET", "/registry/v1/editions", page_of([]))
    fake.file("/reporting/v1/exports/breakdown.xlsx", b"PK-xlsx", "application/x-xlsx", "b.xlsx")
    query = {"edition_id": EDITION_ID, "by": "district", "period": "week", "evil": "x"}
    async with console(platform, fake, ["city_admin"]) as client:
        page = await client.get("/miasto/raporty", params=query)
        export = await client.get("/miasto/eksport/breakdown.xlsx", params=query)
        unknown = await client.get("/miasto/eksport/secrets.csv")
    assert h1(page) == "Raporty"
    assert 'role="img"' in page.text and "Wola: 30 godz.; Ochota: 10 godz." in page.text
    # Numbers as Polish writes them: a decimal comma, a share in per cent.
    assert "<td>12,5</td>" in page.text and "<td>50%</td>" in page.text
    assert "<caption>Liczby według: Dzielnica</caption>" in page.text
    assert (
        f'href="/miasto/eksport/timeseries.csv?edition_id={EDITION_ID}&amp;by=district&amp;'
        'period=week"' in page.text
    )
    [timeseries] = fake.sent("GET", "/reporting/v1/reports/timeseries")
    assert dict(timeseries.url.params) == {"edition_id": EDITION_ID, "period": "week"}
    assert export.content == b"PK-xlsx"
    assert export.headers["content-disposition"] == 'attachment; filename="b.xlsx"'
    [sent] = fake.sent("GET", "/reporting/v1/exports/breakdown.xlsx")
    assert "evil" not in sent.url.params and sent.url.params["edition_id"] == EDITION_ID
    assert unknown.status_code == 404


async def test_the_city_office_opens_an_edition_and_enrols_a_branch(platform: TestPlatform) -> None:
    fake = FakeServices()
    fake.on("POST", f"/registry/v1/editions/{EDITION_ID}/open", {"id": EDITION_ID})
    fake.on(
        "POST",
        f"/registry/v1/editions/{EDITION_ID}/enrolments",
        {"title": "Conflict", "status": 409, "detail": "the branch is already enrolled"},
        status=409,
    )
    fake.on("GET", "/registry/v1/editions", page_of([]))
    async with console(platform, fake, ["city_admin"]) as client:
        opened = await client.post(
            f"/miasto/edycje/{EDITION_ID}/otwarcie", data={"csrf": CSRF, "wroc": "//evil"}
        )
        assert opened.headers["location"] == "/miasto/edycje"
        enrol = await client.post(
            f"/miasto/edycje/{EDITION_ID}/zapisy",
            data={"csrf": CSRF, "branch_code": "wola-12", "funding_pln": "5000,50"},
        )
        assert enrol.headers["location"] == f"/miasto/edycje/{EDITION_ID}"
        page = await client.get("/miasto/edycje")
    assert fake.json_sent("POST", f"/registry/v1/editions/{EDITION_ID}/enrolments") == {
        "branch_code": "wola-12",
        "funding_pln": "5000.50",
    }
    assert "Edycja otwarta." in page.text
    assert "Nie zapisano oddziału." in page.text and "already enrolled" in page.text


async def test_trainers_are_assigned_from_the_edition_page(platform: TestPlatform) -> None:
    trainer_id = "8e9f0a1b-0000-4000-8000-000000000008"
    fake = FakeServices()
    fake.on(
        "GET",
        f"/registry/v1/editions/{EDITION_ID}",
        {
            "id": EDITION_ID,
            "year": 2026,
            "name": "Edycja 2026",
            "institution_type": "library_branch",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "status": "open",
            "opened_at": None,
            "closed_at": None,
        },
    )
    fake.on("GET", "/registry/v1/enrolments", page_of([enrolment()]))
    fake.on("GET", "/registry/v1/trainers", page_of([{"id": trainer_id, "name": "Tomasz T."}]))
    fake.on(
        "GET",
        "/registry/v1/branches",
        page_of([{"code": "wola-12", "name": "Wola"}, {"code": "ursus-3", "name": "Ursus"}]),
    )
    fake.on("GET", "/reporting/v1/monitoring", page_of([monitoring_row()]))
    fake.on("POST", f"/registry/v1/enrolments/{ENROLMENT_ID}/trainers", {"id": "t"}, status=201)
    async with console(platform, fake, ["city_admin"]) as client:
        page = await client.get(f"/miasto/edycje/{EDITION_ID}")
        assigned = await client.post(
            f"/miasto/zapisy/{ENROLMENT_ID}/trenerzy",
            data={"csrf": CSRF, "trainer_id": trainer_id, "edycja": EDITION_ID},
        )
    assert h1(page) == "Edycja: Edycja 2026"
    assert 'aria-label="Przypisz trenera: wola-12"' in page.text
    assert "<td>Tomasz T.</td>" in page.text  # reporting knows who trains the branch
    # only branches not yet enrolled are offered for enrolment
    assert '<option value="ursus-3">' in page.text
    assert '<option value="wola-12">' not in page.text
    assert assigned.headers["location"] == f"/miasto/edycje/{EDITION_ID}"
    assert fake.json_sent("POST", f"/registry/v1/enrolments/{ENROLMENT_ID}/trainers") == {
        "trainer_id": trainer_id
    }


async def test_staff_pages_are_for_their_roles_only(platform: TestPlatform) -> None:
    fake = FakeServices()
    async with console(platform, fake, ["trainer"], ["wola-12"]) as client:
        assert (await client.get("/miasto")).status_code == 403
        assert (await client.get("/koordynator")).status_code == 403
    async with console(platform, fake, ["coordinator"], ["wola-12"]) as client:
        assert (await client.get("/trener")).status_code == 403
    assert fake.requests == []


def test_a_bar_chart_is_an_image_with_its_values_as_text() -> None:
    chart = str(bar_chart("c", "Godziny <wg dzielnic>", [("Wola", 30.0), ("Ochota", 15.0)], "h"))
    assert chart.startswith("<svg") and 'aria-labelledby="c-tytul c-opis"' in chart
    assert "Godziny &lt;wg dzielnic&gt;" in chart
    assert '<desc id="c-opis">Wola: 30 h; Ochota: 15 h</desc>' in chart
    widths = [int(w) for w in re.findall(r'<rect [^>]*width="(\d+)"', chart)]
    assert widths == [380, 190]
    assert "brak danych" in str(bar_chart("e", "Pusto", [], "h"))


def test_an_import_summary_keeps_the_first_errors_only() -> None:
    errors = [{"line": n, "code": None, "errors": ["bad"]} for n in range(2, 40)]
    summary = import_summary({"created": ["a"], "errors": errors})
    assert summary["created"] == 1 and summary["error_count"] == 38
    assert [row["line"] for row in summary["errors"]] == list(range(2, 22))


# -- languages ----------------------------------------------------------------------------


async def test_the_pages_speak_english_when_asked(platform: TestPlatform) -> None:
    fake = FakeServices()
    coordinator_dashboard(fake)
    async with console(platform, fake, ["coordinator"], ["wola-12"]) as client:
        page = await client.get("/koordynator", params={"lang": "en"})
    assert '<html lang="en">' in page.text
    assert h1(page) == "Coordinator dashboard"
    assert 'aria-label="Accept application: Zofia K. — Głośne czytanie"' in page.text
    assert "Reading help" in page.text


async def test_a_check_is_recorded_for_the_chosen_branch(platform: TestPlatform) -> None:
    fake = FakeServices()
    url = f"/matching/v1/volunteers/{VOLUNTEER_ID}/child-protection-check"
    fake.on("PUT", url, {"id": CERTIFICATE_ID}, status=200)
    async with console(platform, fake, ["coordinator"], ["wola-12"]) as client:
        recorded = await client.post(
            f"/koordynator/wolontariusze/{VOLUNTEER_ID}/weryfikacja",
            data={
                "csrf": CSRF,
                "register_checked_on": "2026-11-02",
                "criminal_record_on": "2026-11-01",
            },
        )
    assert recorded.status_code == 303
    assert fake.json_sent("PUT", url) == {
        "branch_code": "wola-12",
        "register_checked_on": "2026-11-02",
        "criminal_record_on": "2026-11-01",
    }
