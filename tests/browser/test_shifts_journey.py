"""A shift on one date, from the volunteer's phone to the kiosk at the desk and the
coordinator's approval, through the gateway.

The volunteer (signed in by the link from a message) opens their shifts by date and the
date's page with its QR code; the coordinator opens the branch's kiosk on a tablet, which
signs her out of it; the kiosk takes the QR code's content (what a scanner types) to check
the volunteer in and the typed six-character code to check them out; the volunteer's page
then says they were there, the task's roster shows it, and the coordinator approves the
hours the kiosk drafted. Last, a second tablet's kiosk is lost: the coordinator closes it
from the list of the branch's kiosks, and that tablet is refused at once.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import Browser, Page, expect

from shared.signed_links import sign_link_token
from tests.browser.conftest import (
    COORDINATOR_BRANCH,
    VOLUNTEER_LINK_SECRET,
    WARSAW,
    Journey,
    System,
    answer,
    candidates_of,
    publish_flexible_task,
    sign_in,
)

TITLE = "Dyżur przy kiosku z grami planszowymi"


async def todays_task_with_a_volunteer(system: System) -> tuple[dict[str, Any], str]:
    """A one-off task today at the coordinator's branch, with a volunteer confirmed on it."""
    today = datetime.now(WARSAW).date().isoformat()
    body = {
        "branch_code": COORDINATOR_BRANCH,
        "type": "event_help",
        "title": TITLE,
        "schedule": {"kind": "one_off", "first_day": today, "start": "00:00", "end": "23:59"},
        "places": 2,
        "skills": [],
        "with_children": False,
    }
    # Candidates are ranked by when they are free: a period's task finds them all.
    period = await publish_flexible_task(system, "Porządkowanie regałów", starts_in_days=0)
    refusals = []
    async with system.api(system.staff_token("koordynatorka")) as api:
        task: dict[str, Any] = await answer(await api.post("/matching/v1/tasks", json=body))
        for candidate in await candidates_of(system, period["id"]):
            async with system.api(system.volunteer_token(candidate)) as own:
                applied = await own.post(f"/matching/v1/tasks/{task['id']}/applications")
            if not applied.is_success:
                refusals.append(applied.text)
                continue
            accepted = await api.post(f"/matching/v1/applications/{applied.json()['id']}/accept")
            if accepted.is_success:
                return task, candidate
            refusals.append(accepted.text)
    raise AssertionError(f"nobody could take today's task: {refusals[:3]}")


async def flash(page: Page, text: str) -> None:
    await expect(page.get_by_role("status")).to_contain_text(text)


async def lost_tablet(system: System, browser: Browser, axe: Axe, desk: Journey) -> None:
    """A second tablet's kiosk, closed by the coordinator from the list: refused at once."""
    spare_context = await browser.new_context(base_url=system.url, locale="pl-PL")
    try:
        spare = Journey("shifts-lost-kiosk", await spare_context.new_page(), axe)
        await sign_in(spare, "koordynatorka", "Barbara Wieczorek")
        await spare.page.goto("/koordynator/kiosk")
        await spare.page.get_by_label("Nazwa urządzenia (nieobowiązkowa)").fill("Zapasowy tablet")
        await spare.page.get_by_role("button", name="Otwórz kiosk na tym urządzeniu").click()
        await expect(spare.page.get_by_role("heading", level=1)).to_contain_text("Kiosk: ")

        tablet = desk.page
        await tablet.goto("/koordynator/kiosk")
        kiosks = tablet.get_by_role("table", name="Kioski otwarte w ostatnim tygodniu")
        await expect(
            kiosks.get_by_role("row", name=re.compile("Tablet przy ladzie"))
        ).to_contain_text("Barbara Wieczorek")
        await desk.check("kioski")
        await tablet.get_by_role("button", name="Zamknij kiosk: Zapasowy tablet").click()
        await flash(tablet, "Kiosk zamknięty")
        await expect(kiosks.get_by_role("row", name=re.compile("Zapasowy tablet"))).to_contain_text(
            "zamknięty"
        )
        await desk.check("kiosk-zamkniety")

        await spare.page.reload()
        await expect(spare.page.get_by_role("heading", level=1)).to_have_text(
            "Kiosk jest zamknięty"
        )
        await expect(
            spare.page.get_by_text("Koordynator biblioteki zamknął ten kiosk.")
        ).to_be_visible()
        await spare.check("kiosk-odwolany")
    finally:
        await spare_context.close()


async def test_shifts_journey(
    system: System, page: Page, journey: Journey, browser: Browser, axe: Axe
) -> None:
    task, volunteer = await todays_task_with_a_volunteer(system)

    # The volunteer, on their phone: my shifts by date, then today's shift and its QR code.
    link = sign_link_token(
        VOLUNTEER_LINK_SECRET, purpose="volunteer.session", subject=volunteer, lifetime_s=600
    )
    await page.goto(f"/wolontariusz/wejscie?t={link}")
    await page.get_by_role("link", name=re.compile("Moje dyżury według dat")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Moje dyżury")
    await journey.check("dyzury")
    async with system.api(system.volunteer_token(volunteer)) as api:
        mine = await answer(await api.get("/matching/v1/me/occurrences"))
    [today] = [line for line in mine if line["task_id"] == task["id"]]
    await page.locator(f'a[href="/wolontariusz/dyzury/{today["id"]}"]').click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Dyżur: {TITLE}")
    await expect(page.get_by_role("img", name=re.compile("Kod QR dyżuru"))).to_be_visible()
    await journey.check("dyzur")
    scanned = (await page.locator("#tresc-kodu").text_content() or "").strip()
    typed = (await page.locator("#kod-dyzuru").text_content() or "").strip()
    assert len(typed) == 6 and scanned.count(".") == 2

    # The tablet at the desk: the coordinator opens the kiosk, which signs her out of it.
    tablet_context = await browser.new_context(base_url=system.url, locale="pl-PL")
    try:
        tablet = await tablet_context.new_page()
        desk = Journey("shifts-kiosk", tablet, axe)
        await sign_in(desk, "koordynatorka", "Barbara Wieczorek")
        await tablet.goto("/koordynator/kiosk")
        await expect(tablet.get_by_role("heading", level=1)).to_have_text("Kiosk w bibliotece")
        await desk.check("otwarcie-kiosku")
        await tablet.get_by_label("Nazwa urządzenia (nieobowiązkowa)").fill("Tablet przy ladzie")
        await tablet.get_by_role("button", name="Otwórz kiosk na tym urządzeniu").click()
        await expect(tablet.get_by_role("heading", level=1)).to_contain_text("Kiosk: ")
        await desk.check("kiosk")
        field = tablet.get_by_label("Zeskanuj kod QR albo wpisz sześć znaków kodu dyżuru")
        await field.fill(scanned)
        await tablet.get_by_role("button", name="Zapisz przyjście lub wyjście").click()
        await flash(tablet, "Dzień dobry")
        present = tablet.get_by_role("region", name="Teraz w bibliotece")
        await expect(present.get_by_role("listitem")).to_have_count(1)
        await desk.check("przyjscie")
        await field.fill(typed.lower())
        await tablet.get_by_role("button", name="Zapisz przyjście lub wyjście").click()
        await flash(tablet, "Do widzenia")
        await desk.check("wyjscie")
        # Nothing of the coordinator is left on the tablet.
        await tablet.goto("/koordynator")
        assert "/kiosk" not in tablet.url
        await expect(tablet.get_by_role("heading", level=1)).not_to_have_text("Pulpit koordynatora")

        # The volunteer's page says they were there.
        await page.reload()
        await expect(page.get_by_text("obecność potwierdzona")).to_be_visible()

        # The coordinator, signed in again: the roster by date, then the kiosk's hours draft.
        await sign_in(desk, "koordynatorka", "Barbara Wieczorek")
        await tablet.goto(f"/koordynator/zadania/{task['id']}")
        roster = tablet.get_by_role("region", name="Dyżury według dat")
        await expect(roster).to_contain_text("obecny")
        await desk.check("zadanie")
        await tablet.get_by_role("button", name=re.compile("^Zatwierdź godziny")).first.click()
        await flash(tablet, "zatwierdz")
        await desk.check("godziny-zatwierdzone")
        await lost_tablet(system, browser, axe, desk)
    finally:
        await tablet_context.close()

    async with system.api(system.staff_token("koordynatorka")) as api:
        hours = await answer(await api.get(f"/matching/v1/tasks/{task['id']}/hours"))
    assert [(entry["logged_by"], entry["status"]) for entry in hours] == [("kiosk", "approved")]
