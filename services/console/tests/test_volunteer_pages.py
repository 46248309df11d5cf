"""The volunteer's pages against the real matching service (its database and broker).

Matching runs in this process with the console's volunteer key as its
``AUTH_VOLUNTEER_PUBLIC_KEY``; the console reaches it through the stand-in gateway, with
the session token it signed itself. Staff set the scene with development tokens.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from babel.dates import format_date

from shared.auth import load_or_create_key_pair
from shared.service import Service
from shared.signed_links import sign_link_token
from shared.testing.platform import TestPlatform
from tests.test_matching_support import TASK_DAY

SATURDAY_MORNING = [{"weekday": 6, "start": "09:00", "end": "13:00"}]
PAST_SHIFT = {"kind": "one_off", "first_day": "2026-11-20", "start": "16:00", "end": "19:00"}
PROPOSAL_LINK_SECRET = "local-development-proposal-link-secret"  # matching's development default


def one_off_task(**changes: Any) -> dict[str, Any]:
    return {
        "branch_code": "wola-12",
        "type": "reading_help",
        "title": "Głośne czytanie dla dzieci",
        "schedule": saturday(TASK_DAY.isoformat()),
        "places": 2,
        "min_age": 13,
        "skills": ["Czytanie"],
        "with_children": False,
        **changes,
    }


@asynccontextmanager
async def client(service: Service) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=service.http)
    async with httpx.AsyncClient(transport=transport, base_url="http://matching") as http:
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def saturday(day: str) -> dict[str, str]:
    return {"kind": "one_off", "first_day": day, "start": "10:00", "end": "12:00"}


def csrf_of(page: Any) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


async def test_volunteer_sees_and_answers_proposals_shifts_hours_certificate_and_calendar(
    platform: TestPlatform, console: Any, scene: Any, headings: Any
) -> None:
    _, volunteer_public_key = load_or_create_key_pair(console.settings.volunteer_signing_key_file)
    async with (
        platform.running("matching", auth_volunteer_public_key=volunteer_public_key) as (matching,),
        client(matching) as http,
    ):
        console.gateway.mount_service("matching", matching.http)
        await scene.enrol_branch("wola-12")
        reader = await scene.register_volunteer(
            "reader", availability=SATURDAY_MORNING, skills=["czytanie"]
        )
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        as_reader = bearer(platform.token("volunteer", subject=reader))

        # Two proposals (two Saturdays), and a past shift with approved hours.
        first, second = [
            (
                await http.post(
                    "/v1/tasks",
                    json=one_off_task(places=1, title=title, schedule=saturday(day)),
                    headers=coordinator,
                )
            ).json()
            for title, day in (
                ("Głośne czytanie", TASK_DAY.isoformat()),
                ("Klub gier", (TASK_DAY + timedelta(days=7)).isoformat()),
            )
        ]
        proposals = {}
        for task in (first, second):  # a plan proposes one task to a volunteer at a time
            plan = await http.post(
                "/v1/plans", json={"task_ids": [task["id"]]}, headers=coordinator
            )
            assert plan.status_code == 201, plan.text
            [proposal] = plan.json()["proposals"]
            proposals[task["id"]] = proposal["id"]
        past = (
            await http.post(
                "/v1/tasks",
                json=one_off_task(schedule=PAST_SHIFT, title="Noc bibliotek"),
                headers=coordinator,
            )
        ).json()
        application = (
            await http.post(f"/v1/tasks/{past['id']}/applications", headers=as_reader)
        ).json()
        await http.post(f"/v1/applications/{application['id']}/accept", headers=coordinator)
        [shift] = (await http.get("/v1/me/assignments", headers=as_reader)).json()
        entry = (
            await http.post(
                f"/v1/assignments/{shift['id']}/hours",
                json={"hours": "3", "worked_on": "2026-11-20"},
                headers=as_reader,
            )
        ).json()
        await http.post(f"/v1/hours/{entry['id']}/approve", headers=coordinator)

        # The link from a message opens the page.
        home = await console.browser.get(console.volunteer_link(reader), follow_redirects=True)
        assert home.status_code == 200, home.text
        assert headings(home) == ["Moje wolontariaty"]
        assert "Dzień dobry, Zofia!" in home.text
        assert 'aria-label="Przyjmij propozycję: Głośne czytanie"' in home.text
        assert 'aria-label="Odrzuć propozycję: Klub gier"' in home.text
        shift_day = format_date(TASK_DAY, "short", locale="pl_PL")
        assert f"wola-12, {shift_day}, 10:00–12:00" in home.text  # Warsaw time
        assert "<td>Noc bibliotek</td>" in home.text
        assert "Zatwierdzone godziny razem: 3" in home.text
        assert '<option value="wola-12">wola-12</option>' in home.text

        # Accept one proposal on the page: it becomes a confirmed shift.
        accepted = await console.browser.post(
            f"/wolontariusz/propozycje/{proposals[first['id']]}/przyjmij",
            data={"csrf": csrf_of(home)},
            follow_redirects=True,
        )
        assert "Dziękujemy! Propozycja przyjęta" in accepted.text
        shifts = (await http.get("/v1/me/assignments", headers=as_reader)).json()
        assert {s["task_id"] for s in shifts if s["status"] == "confirmed"} == {
            first["id"],
            past["id"],
        }
        assert 'aria-label="Przyjmij propozycję: Głośne czytanie"' not in accepted.text

        # Answering again is refused by matching; the page says so in Polish.
        again = await console.browser.post(
            f"/wolontariusz/propozycje/{proposals[first['id']]}/przyjmij",
            data={"csrf": csrf_of(accepted)},
            follow_redirects=True,
        )
        assert "Nie udało się przyjąć propozycji." in again.text

        # A certificate on request, downloaded through the console.
        issued = await console.browser.post(
            "/wolontariusz/zaswiadczenie",
            data={"csrf": csrf_of(again), "branch_code": "wola-12"},
            follow_redirects=True,
        )
        assert "Zaświadczenie jest gotowe do pobrania." in issued.text
        pdf_link = re.search(r'href="(/wolontariusz/zaswiadczenia/[^"]+\.pdf)"', issued.text)
        assert pdf_link is not None
        pdf = await console.browser.get(pdf_link.group(1))
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")

        # The iCal link: shown to copy, and it serves the confirmed shifts.
        with_feed = await console.browser.post(
            "/wolontariusz/kalendarz", data={"csrf": csrf_of(issued)}, follow_redirects=True
        )
        feed_url = re.search(r'id="calendar_url" value="([^"]+)"', with_feed.text)
        assert feed_url is not None
        assert feed_url.group(1).startswith("http://127.0.0.1:8080/api/matching/v1/calendar-feeds/")
        feed = await console.browser.get(urlsplit(feed_url.group(1)).path)
        assert feed.status_code == 200
        assert "Głośne czytanie" in feed.text and "Noc bibliotek" in feed.text

        # A page of someone else's certificate is refused by matching (403 page).
        other = sign_link_token(
            "test-volunteer-link-secret-of-32-bytes",
            purpose="volunteer.session",
            subject="00000000-0000-4000-8000-000000000001",
            lifetime_s=600,
        )
        await console.browser.get("/wolontariusz/wejscie", params={"t": other})
        stranger = await console.browser.get(pdf_link.group(1))
        assert stranger.status_code == 403
        assert headings(stranger) == ["Brak dostępu"]


async def test_proposal_link_page_confirms_then_answers_without_sign_in(
    platform: TestPlatform, console: Any, scene: Any, headings: Any
) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        console.gateway.mount_service("matching", matching.http)
        await scene.enrol_branch("wola-12")
        await scene.register_volunteer("reader", availability=SATURDAY_MORNING, skills=["czytanie"])
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        task = (
            await http.post("/v1/tasks", json=one_off_task(places=1), headers=coordinator)
        ).json()
        plan = await http.post("/v1/plans", json={"task_ids": [task["id"]]}, headers=coordinator)
        [proposal] = plan.json()["proposals"]
        token = sign_link_token(
            PROPOSAL_LINK_SECRET,
            purpose="proposal.respond",
            subject=proposal["id"],
            lifetime_s=3600,
            action="decline",
        )
        path = f"/wolontariusz/propozycje/{proposal['id']}"

        page = await console.browser.get(path, params={"action": "decline", "token": token})
        assert page.status_code == 200, page.text
        assert headings(page) == ["Propozycja wolontariatu"]
        assert "Potwierdzam: odrzucam propozycję" in page.text
        status = await platform.fetchval(
            "SELECT status FROM matching.proposals WHERE id = $1::uuid", proposal["id"]
        )
        assert status == "proposed"  # opening the link changes nothing

        done = await console.browser.post(path, data={"csrf": csrf_of(page), "token": token})
        assert done.status_code == 200
        assert "Propozycja odrzucona. Dziękujemy za odpowiedź." in done.text
        status = await platform.fetchval(
            "SELECT status FROM matching.proposals WHERE id = $1::uuid", proposal["id"]
        )
        assert status == "declined"

        used = await console.browser.get(path, params={"token": token})
        assert used.status_code == 409
        assert "Na tę propozycję już odpowiedziano" in used.text
        altered = await console.browser.get(path, params={"token": token[:-4] + "AAAA"})
        assert altered.status_code == 403
        assert headings(altered) == ["Link jest nieważny"]
