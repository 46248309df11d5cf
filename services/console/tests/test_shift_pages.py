"""Shifts by date in the console, with the services answering from a fake: the task's
roster and attendance marks, a volunteer's dates with the kiosk pass and "I can't come",
and the branch's kiosk that holds its own token and nothing of the coordinator."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from console.testing import CSRF, FakeServices, console, h1
from shared.testing.platform import TestPlatform

TASK_ID = "2b9c1f7e-0000-4000-8000-000000000001"
VOLUNTEER_ID = "7d1e2f3a-0000-4000-8000-000000000002"
OCCURRENCE_ID = "4a5b6c7d-0000-4000-8000-000000000008"
LATER_ID = "4a5b6c7d-0000-4000-8000-000000000009"
ASSIGNMENT_ID = "5b6c7d8e-0000-4000-8000-00000000000a"

MAP_URL = "https://mapa.um.warszawa.pl/?q=ul.%20M%C5%82ynarska%2035a%2C%20Warszawa"
BRANCH: dict[str, Any] = {
    "code": "wola-12",
    "name": "Biblioteka na Woli",
    "address": "ul. Młynarska 35a, Warszawa",
    "opening_hours": [{"day": "mon", "opens": "10:00", "closes": "19:00"}],
    "map_url": MAP_URL,
}


def shift(occurrence_id: str, day: str, state: str = "planned") -> dict[str, Any]:
    return {
        "id": occurrence_id,
        "assignment_id": ASSIGNMENT_ID,
        "task_id": TASK_ID,
        "volunteer_id": VOLUNTEER_ID,
        "occurrence_date": day,
        "until": day,
        "starts_at": f"{day}T09:00:00Z",
        "ends_at": f"{day}T11:00:00Z",
        "state": state,
        "checked_in_at": None,
        "checked_out_at": None,
        "hours_entry_id": None,
    }


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


# -- the coordinator's roster -----------------------------------------------------------------


def task_scene(fake: FakeServices) -> None:
    fake.on(
        "GET",
        "/registry/v1/branches/wola-12",
        {"code": "wola-12", "name": "Filia wola-12", "address": "ul. Przykładowa 1, Warszawa"},
    )
    fake.on(
        "GET",
        f"/matching/v1/tasks/{TASK_ID}",
        {
            "id": TASK_ID,
            "branch_id": "00000000-0000-4000-8000-00000000000b",
            "branch_code": "wola-12",
            "type": "reading_help",
            "title": "Głośne czytanie",
            "description": None,
            "schedule_kind": "recurring",
            "first_day": "2026-12-01",
            "last_day": None,
            "start": "10:00:00",
            "end": "12:00:00",
            "rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=2",
            "hours": None,
            "starts_at": "2026-12-01T09:00:00Z",
            "ends_at": "2099-12-08T11:00:00Z",
            "places": 2,
            "min_age": None,
            "skills": [],
            "with_children": False,
            "status": "published",
            "cancel_reason": None,
            "calendar_id": None,
            "finished": False,
        },
    )
    for kind in ("applications", "assignments", "hours"):
        fake.on("GET", f"/matching/v1/tasks/{TASK_ID}/{kind}", [])
    fake.on(
        "GET",
        f"/matching/v1/tasks/{TASK_ID}/occurrences",
        [
            {
                "occurrence_date": "2026-12-01",
                "until": "2026-12-01",
                "starts_at": "2026-12-01T09:00:00Z",
                "ends_at": "2026-12-01T11:00:00Z",
                "places": 2,
                "taken": 1,
                "shifts": [{**shift(OCCURRENCE_ID, "2026-12-01"), "name": "Zofia Kowalska"}],
            },
            {
                "occurrence_date": "2099-12-08",
                "until": "2099-12-08",
                "starts_at": "2099-12-08T09:00:00Z",
                "ends_at": "2099-12-08T11:00:00Z",
                "places": 2,
                "taken": 1,
                "shifts": [{**shift(LATER_ID, "2099-12-08"), "name": "Zofia Kowalska"}],
            },
        ],
    )


async def test_the_task_page_shows_each_dates_roster_and_marks_attendance(
    platform: TestPlatform,
) -> None:
    fake = FakeServices()
    task_scene(fake)
    fake.on(
        "POST",
        f"/matching/v1/occurrences/{OCCURRENCE_ID}/attendance",
        shift(OCCURRENCE_ID, "2026-12-01", "attended"),
    )
    async with console(platform, fake, ["coordinator"], ["wola-12"]) as client:
        page = await client.get(f"/koordynator/zadania/{TASK_ID}")
        assert page.status_code == 200, page.text
        assert h1(page) == "Zadanie: Głośne czytanie"
        assert "Dyżury według dat" in page.text
        assert "zajęte miejsca: 1 z 2" in page.text
        # The past date can be marked; the coming one only from its day.
        assert 'aria-label="Obecny: Zofia Kowalska, 1.12.2026"' in page.text
        assert 'aria-label="Obecny: Zofia Kowalska, 8.12.2099"' not in page.text
        assert "od dnia dyżuru" in page.text

        back = f"/koordynator/zadania/{TASK_ID}"
        marked = await client.post(
            f"/koordynator/obecnosc/{OCCURRENCE_ID}/obecny",
            data={"csrf": CSRF, "wroc": back},
        )
        assert marked.status_code == 303 and marked.headers["location"] == back
        assert fake.json_sent("POST", f"/matching/v1/occurrences/{OCCURRENCE_ID}/attendance") == {
            "state": "attended"
        }
        shown = await client.get(back)
        assert "Zapisano obecność." in shown.text

        unknown = await client.post(
            f"/koordynator/obecnosc/{OCCURRENCE_ID}/byc-moze",
            data={"csrf": CSRF, "wroc": back},
            follow_redirects=True,
        )
        assert "Nieznany rodzaj obecności." in unknown.text
        assert len(fake.sent("POST", f"/matching/v1/occurrences/{OCCURRENCE_ID}/attendance")) == 1


# -- the volunteer's dates --------------------------------------------------------------------


def my_shift(
    occurrence_id: str, day: str, state: str = "planned", *, from_waitlist: bool = False
) -> dict[str, Any]:
    return {
        **shift(occurrence_id, day, state),
        "code": "K7M2PQ",
        "task_title": "Głośne czytanie",
        "task_type": "reading_help",
        "branch": BRANCH,
        "from_waitlist": from_waitlist,
    }


async def test_a_volunteer_sees_each_date_where_to_go_and_the_kiosk_pass(
    platform: TestPlatform,
) -> None:
    fake = FakeServices()
    fake.on("GET", "/matching/v1/me/occurrences", [my_shift(LATER_ID, "2099-12-08")])
    fake.on(
        "POST",
        f"/matching/v1/occurrences/{LATER_ID}/pass",
        {
            "occurrence_id": LATER_ID,
            "token": "eyJhbGciOiJIUzI1NiJ9.pass.signature",
            "code": "K7M2PQ",
            "expires_at": "2099-12-08T09:15:00Z",
        },
    )
    fake.on(
        "POST",
        f"/matching/v1/occurrences/{LATER_ID}/excuse",
        shift(LATER_ID, "2099-12-08", "excused"),
    )
    async with console(platform, fake, ["volunteer"]) as client:
        listed = await client.get("/wolontariusz/dyzury")
        assert listed.status_code == 200, listed.text
        assert h1(listed) == "Moje dyżury"
        assert "Biblioteka na Woli, ul. Młynarska 35a, Warszawa" in listed.text
        assert "Nie mogę przyjść tym razem: Głośne czytanie, 8.12.2099" in listed.text
        [asked] = fake.sent("GET", "/matching/v1/me/occurrences")
        assert asked.url.params["since"] < "2099-01-01"

        page = await client.get(f"/wolontariusz/dyzury/{LATER_ID}")
        assert h1(page) == "Dyżur: Głośne czytanie"
        assert "<svg" in page.text and "K7M2PQ" in page.text
        assert "Godziny otwarcia: poniedziałek 10:00–19:00" in page.text
        assert MAP_URL in page.text
        assert "eyJhbGciOiJIUzI1NiJ9.pass.signature" in page.text

        missing = await client.get(f"/wolontariusz/dyzury/{OCCURRENCE_ID}")
        assert missing.status_code == 404

        excused = await client.post(
            f"/wolontariusz/dyzury/{LATER_ID}/nie-moge", data={"csrf": CSRF}, follow_redirects=True
        )
        assert "Koordynator dostanie wiadomość." in excused.text
        assert len(fake.sent("POST", f"/matching/v1/occurrences/{LATER_ID}/excuse")) == 1

        # A date given from the waitlist: said so, and giving it up declines it.
        fake.on(
            "GET",
            "/matching/v1/me/occurrences",
            [my_shift(LATER_ID, "2099-12-08", from_waitlist=True)],
        )
        fake.on(
            "POST",
            f"/matching/v1/occurrences/{LATER_ID}/excuse",
            shift(LATER_ID, "2099-12-08", "declined"),
        )
        listed = await client.get("/wolontariusz/dyzury")
        assert "zaplanowany (z listy rezerwowej)" in listed.text
        page = await client.get(f"/wolontariusz/dyzury/{LATER_ID}")
        assert "Ten termin dostajesz z listy rezerwowej" in page.text
        declined = await client.post(
            f"/wolontariusz/dyzury/{LATER_ID}/nie-moge", data={"csrf": CSRF}, follow_redirects=True
        )
        assert "nie przyjmujesz tego terminu" in declined.text
        assert "Koordynator dostanie wiadomość." not in declined.text


# -- the kiosk --------------------------------------------------------------------------------


async def test_the_kiosk_holds_only_its_own_token_and_says_why_a_code_is_refused(
    platform: TestPlatform,
) -> None:
    fake = FakeServices()
    fake.on("GET", "/registry/v1/branches/wola-12", {**BRANCH, "address": BRANCH["address"]})
    fake.on(
        "POST",
        "/matching/v1/branches/wola-12/kiosk",
        {
            "token": "kiosk-token",
            "session_id": KIOSK_ID,
            "branch_code": "wola-12",
            "expires_at": "2099-12-08T20:00:00Z",
        },
        status=201,
    )
    fake.on("GET", "/matching/v1/branches/wola-12/kiosks", [])
    fake.on(
        "GET",
        "/matching/v1/kiosk",
        {"branch": BRANCH, "present": ["Zofia"], "expires_at": "2099-12-08T20:00:00Z"},
    )
    async with console(platform, fake, ["coordinator"], ["wola-12"]) as client:
        start = await client.get("/koordynator/kiosk")
        assert h1(start) == "Kiosk w bibliotece"
        opened = await client.post(
            "/koordynator/kiosk", data={"csrf": CSRF, "urzadzenie": " Tablet w czytelni "}
        )
        assert opened.status_code == 303 and opened.headers["location"] == "/kiosk"
        [asked] = fake.sent("POST", "/matching/v1/branches/wola-12/kiosk")
        assert json.loads(asked.content) == {
            "device": "Tablet w czytelni",
            "opened_by": "Anna Testowa",
        }
        kiosk = await client.get("/kiosk")
        assert h1(kiosk) == "Kiosk: Biblioteka na Woli"
        assert "Zofia" in kiosk.text and "Anna Testowa" not in kiosk.text
        # The device is no longer the coordinator's.
        staff = await client.get("/koordynator")
        assert staff.status_code in (302, 303, 401)

        fake.on(
            "POST",
            "/matching/v1/kiosk/check-ins",
            {"action": "in", "first_name": "Zofia", "at": "2026-12-05T09:02:00Z", "hours": None},
        )
        checked = await client.post(
            "/kiosk", data={"csrf": csrf_of(kiosk), "kod": "k7m-2pq"}, follow_redirects=True
        )
        assert "Dzień dobry, Zofia! Przyjście zapisane o 10:02." in checked.text
        [sent] = fake.sent("POST", "/matching/v1/kiosk/check-ins")
        assert sent.headers["x-kiosk-token"] == "kiosk-token"
        assert "authorization" not in sent.headers

        fake.on(
            "POST",
            "/matching/v1/kiosk/check-ins",
            {
                "title": "Check-in refused",
                "detail": "x",
                "reason": "other_day",
                "day": "2026-12-12",
            },
            status=409,
        )
        refused = await client.post(
            "/kiosk", data={"csrf": csrf_of(checked), "kod": "ABCDEF"}, follow_redirects=True
        )
        assert "Ten kod dotyczy dyżuru w innym dniu (12.12.2026)." in refused.text
        in_english = await client.get("/kiosk?lang=en")
        refused = await client.post(
            "/kiosk", data={"csrf": csrf_of(in_english), "kod": "ABCDEF"}, follow_redirects=True
        )
        assert "This code is for a shift on another day (12.12.2026)." in refused.text

        short = await client.post(
            "/kiosk", data={"csrf": csrf_of(refused), "kod": "AB"}, follow_redirects=True
        )
        assert "Type the six characters of the code or scan the QR code." in short.text
        assert len(fake.sent("POST", "/matching/v1/kiosk/check-ins")) == 3

        # Closed at the desk: matching revokes its token as well, and the tablet forgets it.
        fake.on("POST", "/matching/v1/kiosk/close", kiosk_session(state="revoked"))
        closed_here = await client.post(
            "/kiosk/zamknij", data={"csrf": csrf_of(short)}, follow_redirects=True
        )
        assert closed_here.status_code == 403 and "Kiosk closed." in closed_here.text
        [closing] = fake.sent("POST", "/matching/v1/kiosk/close")
        assert closing.headers["x-kiosk-token"] == "kiosk-token"
        assert "authorization" not in closing.headers

        fake.on("GET", "/matching/v1/kiosk", {"title": "Kiosk not open"}, status=401)
        expired = await client.get("/kiosk")
        assert expired.status_code == 403 and h1(expired) == "The kiosk is closed"


KIOSK_ID = "5d1c8a7e-51a8-4c57-9a55-3f1d1c1b2a01"


def kiosk_session(**changes: Any) -> dict[str, Any]:
    return {
        "id": KIOSK_ID, "branch_code": "wola-12", "device": "Tablet przy wypożyczalni",
        "opened_at": "2026-12-05T08:00:00Z", "opened_by": "Basia",
        "expires_at": "2026-12-05T22:00:00Z", "last_used_at": "2026-12-05T09:30:00Z",
        "revoked_at": None, "revoked_by": None, "state": "open", **changes,
    }  # fmt: skip


async def test_a_coordinator_closes_a_lost_kiosk_and_the_tablet_says_so(
    platform: TestPlatform,
) -> None:
    fake = FakeServices()
    fake.on("GET", "/registry/v1/branches/wola-12", BRANCH)
    fake.on("GET", "/matching/v1/branches/wola-12/kiosks", [kiosk_session()])
    fake.on("POST", f"/matching/v1/kiosks/{KIOSK_ID}/revoke", kiosk_session(state="revoked"))
    async with console(platform, fake, ["coordinator"], ["wola-12"]) as client:
        start = await client.get("/koordynator/kiosk")
        assert "Tablet przy wypożyczalni" in start.text and "5.12.2026, 09:00, Basia" in start.text
        assert "otwarty do 5.12.2026, 23:00" in start.text
        closed = await client.post(
            f"/koordynator/kiosk/{KIOSK_ID}/zamknij",
            data={"csrf": csrf_of(start)},
            follow_redirects=True,
        )
        assert "Kiosk zamknięty: to urządzenie nie zapisze już żadnego wejścia." in closed.text
        [sent] = fake.sent("POST", f"/matching/v1/kiosks/{KIOSK_ID}/revoke")
        assert json.loads(sent.content) == {"revoked_by": "Anna Testowa"}
        # A refusal changes nothing and says why.
        fake.on(
            "POST",
            f"/matching/v1/kiosks/{KIOSK_ID}/revoke",
            {"title": "Forbidden", "detail": "you do not act for branch 'wola-12'"},
            status=403,
        )
        refused = await client.post(
            f"/koordynator/kiosk/{KIOSK_ID}/zamknij",
            data={"csrf": csrf_of(closed)},
            follow_redirects=True,
        )
        assert "Nie udało się zamknąć kiosku." in refused.text

    # The tablet whose kiosk was closed: refused at once, and told why.
    fake.on("POST", "/matching/v1/branches/wola-12/kiosk", {
        "token": "kiosk-token", "session_id": KIOSK_ID, "branch_code": "wola-12",
        "expires_at": "2099-12-08T20:00:00Z"}, status=201)  # fmt: skip
    fake.on(
        "GET",
        "/matching/v1/kiosk",
        {"title": "Kiosk not open", "detail": "closed", "reason": "revoked"},
        status=401,
    )
    async with console(platform, fake, ["coordinator"], ["wola-12"]) as tablet:
        await tablet.post("/koordynator/kiosk", data={"csrf": CSRF})
        shut = await tablet.get("/kiosk")
        assert shut.status_code == 403 and h1(shut) == "Kiosk jest zamknięty"
        assert "Koordynator biblioteki zamknął ten kiosk." in shut.text
        again = await tablet.get("/kiosk")
        assert "Koordynator biblioteki zamknął" not in again.text  # the token is gone
