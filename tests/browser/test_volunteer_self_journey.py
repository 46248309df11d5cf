"""A volunteer's own pages, through the gateway, from the link in a message.

The volunteer finds an open task (filtered by kind), reads its page (the branch, what to
bring, whom to ask for), applies, withdraws and applies again; the coordinator accepts
(through the API, as her own pages do); the volunteer logs hours for the day, prefilled
where the kiosk saw them, and after the coordinator's approval sees the totals and the
first milestone; sets the reminder, channels and language; downloads everything held
about them (JSON and PDF, through the gateway); the coordinator's end-of-year list names
them; and last they ask for erasure.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import Browser, Page, expect

from shared.signed_links import sign_link_token
from tests.browser.conftest import (
    VOLUNTEER_LINK_SECRET,
    WARSAW,
    Journey,
    System,
    answer,
    candidates_of,
    publish_flexible_task,
    sign_in,
)

TITLE = "Porządki w magazynie książek"


async def a_volunteer_for(system: System, task: dict[str, Any]) -> str:
    """A seeded volunteer who may take the task, with no application to it yet."""
    for candidate in await candidates_of(system, task["id"]):
        async with system.api(system.volunteer_token(candidate)) as api:
            mine = await answer(await api.get(f"/matching/v1/me/open-tasks/{task['id']}"))
        if not mine["reasons"] and mine["application"] is None:
            return candidate
    raise AssertionError("no candidate free for the task")


async def status(page: Page, text: str) -> None:
    await expect(page.get_by_role("status")).to_contain_text(text)


async def test_volunteer_self_journey(
    system: System, page: Page, browser: Browser, axe: Axe
) -> None:
    journey = Journey("volunteer-self", page, axe)
    task = await publish_flexible_task(system, TITLE, starts_in_days=0)
    async with system.api(system.staff_token("koordynatorka")) as staff:
        body = {
            key: task[key]
            for key in ("branch_code", "type", "title", "places", "skills", "with_children")
        }
        body["schedule"] = {
            "kind": "flexible",
            "first_day": task["first_day"],
            "last_day": task["last_day"],
            "hours": task["hours"],
        }
        body.update(what_to_bring="Wygodne buty", contact_first_name="Barbara")
        await answer(await staff.put(f"/matching/v1/tasks/{task['id']}", json=body))
    volunteer = await a_volunteer_for(system, task)

    link = sign_link_token(
        VOLUNTEER_LINK_SECRET, purpose="volunteer.session", subject=volunteer, lifetime_s=600
    )
    await page.goto(f"/wolontariusz/wejscie?t={link}")
    await journey.check("moje-wolontariaty")

    # 1. Open tasks, filtered by kind; the task's page.
    await page.get_by_role("link", name="Znajdź zadanie i zgłoś się").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Zadania dla wolontariuszy")
    await page.get_by_label("Rodzaj zadania").select_option("daily_work")
    await page.get_by_role("button", name="Pokaż zadania").click()
    assert "type=daily_work" in page.url
    await journey.check("zadania")
    await page.get_by_role("link", name=TITLE).first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Zadanie: {TITLE}")
    await expect(page.get_by_text("Wygodne buty")).to_be_visible()
    await expect(page.get_by_text("Barbara")).to_be_visible()
    await journey.check("zadanie")

    # 2. Apply, withdraw, apply again.
    await page.get_by_role("button", name="Zgłaszam się").click()
    await status(page, "Zgłoszenie wysłane")
    await expect(page.get_by_text("czeka na decyzję koordynatora")).to_be_visible()
    await journey.check("zgloszenie")
    await page.get_by_role("button", name="Wycofuję zgłoszenie").click()
    await status(page, "Zgłoszenie wycofane")
    await page.get_by_role("button", name="Zgłaszam się").click()
    await status(page, "Zgłoszenie wysłane")
    async with system.api(system.volunteer_token(volunteer)) as own:
        [application] = [
            item
            for item in await answer(await own.get("/matching/v1/me/applications"))
            if item["task_id"] == task["id"]
        ]
    async with system.api(system.staff_token("koordynatorka")) as staff:
        await answer(await staff.post(f"/matching/v1/applications/{application['id']}/accept"))
    await page.goto("/wolontariusz")
    await expect(page.get_by_role("region", name="Moje zgłoszenia")).to_contain_text("przyjęte")

    # 3. Hours for today, then the coordinator approves them.
    await page.get_by_role("link", name=re.compile("^Moje godziny")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Moje godziny")
    await journey.check("godziny")
    today = datetime.now(WARSAW).date().isoformat()
    await page.get_by_label("Dzień pracy").fill(today)
    hours = page.get_by_label(f"Liczba godzin: {TITLE}")
    await hours.fill("dwie")
    await page.get_by_role("button", name=f"Zapisz godziny: {TITLE}").click()
    await status(page, "Wpisz liczbę godzin")
    await page.get_by_label("Dzień pracy").fill(today)
    await hours.fill("2,5")
    await page.get_by_role("button", name=f"Zapisz godziny: {TITLE}").click()
    await status(page, "Godziny zapisane")
    await journey.check("godziny-zapisane")
    async with system.api(system.volunteer_token(volunteer)) as own:
        [entry] = [
            item
            for item in await answer(await own.get("/matching/v1/me/hours"))
            if item["task_id"] == task["id"]
        ]
    async with system.api(system.staff_token("koordynatorka")) as staff:
        await answer(await staff.post(f"/matching/v1/hours/{entry['id']}/approve"))
    await page.reload()
    summary = page.get_by_role("table", name="Moje godziny wolontariatu")
    await expect(summary).to_contain_text("2,5")
    await expect(page.get_by_role("region", name="Moje osiągnięcia")).to_contain_text(
        "Pierwszy dyżur"
    )
    await journey.check("godziny-zatwierdzone")

    # 5. Settings: a day's notice, no email, messages and pages in English.
    await page.goto("/wolontariusz")
    await page.get_by_role("link", name=re.compile("^Ustawienia")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ustawienia")
    await journey.check("ustawienia")
    await page.get_by_label("Przypomnienie o dyżurze").select_option("24")
    await page.get_by_label("Wiadomości e-mail").uncheck()
    await page.get_by_label("angielski").check()
    await page.get_by_role("button", name="Zapisz ustawienia").click()
    await status(page, "Settings saved")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    await journey.check("ustawienia-po-angielsku")
    async with system.api(system.volunteer_token(volunteer)) as own:
        choices = await answer(await own.get("/matching/v1/me/preferences"))
        reminders = await answer(await own.get("/notifications/v1/preferences"))
    assert (choices["consent_email"], choices["message_language"]) == (False, "en")
    assert reminders["reminder_hours_before"] == 24
    await page.goto("/wolontariusz/ustawienia?lang=pl")

    # 6. My data: both downloads through the gateway, then the coordinator's list, then
    # the erasure.
    async with system.api(system.volunteer_token(volunteer)) as own:
        me = await answer(await own.get("/matching/v1/me"))
    await page.goto("/wolontariusz")
    await page.get_by_role("link", name=re.compile("^Moje dane")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Moje dane")
    await journey.check("moje-dane")
    async with page.expect_download() as json_download:
        await page.get_by_role("link", name=re.compile("plik JSON")).click()
    saved = await (await json_download.value).path()
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["profile"]["id"] == volunteer
    assert [row["hours"] for row in data["hours"] if row["task_id"] == task["id"]] == ["2.50"]
    pdf = await page.request.get("/wolontariusz/moje-dane.pdf")
    assert pdf.ok and (await pdf.body()).startswith(b"%PDF")

    # 7. The coordinator's thank-you list names the volunteer with this year's hours.
    desk_context = await browser.new_context(base_url=system.url, locale="pl-PL")
    try:
        desk_page = await desk_context.new_page()
        desk = Journey("volunteer-self-coordinator", desk_page, axe)
        await sign_in(desk, "koordynatorka", "Barbara Wieczorek")
        await desk_page.goto("/koordynator")
        await desk_page.get_by_role("link", name="Podziękowania na koniec roku").click()
        listed = desk_page.get_by_role("table", name=re.compile("Wolontariusze według godzin"))
        await expect(listed).to_contain_text(f"{me['first_name']} {me['last_name']}")
        await desk.check("podziekowania")
    finally:
        await desk_context.close()

    # The erasure: refused without the tick, then done; the pages are closed to the link.
    await page.get_by_role("button", name="Usuń moje dane").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Moje dane")  # required
    await page.get_by_label("Rozumiem, że moje dane zostaną usunięte na zawsze").check()
    await page.get_by_role("button", name="Usuń moje dane").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Twoje dane zostały usunięte")
    await journey.check("dane-usuniete")
    async with system.api(system.staff_token("urzad")) as city:
        gone = await city.get(f"/matching/v1/volunteers/{volunteer}")
    assert gone.status_code == 200 and gone.json()["first_name"] is None
    # The session ended with the erasure.
    await page.goto("/wolontariusz")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Otwórz link z wiadomości")
