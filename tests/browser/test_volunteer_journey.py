"""A volunteer's pages, opened from real emails, through the gateway: no password.

The scene is set through matching's API as the people concerned would act: the volunteer
worked hours at bialoleka-29 that the coordinator approved, and the coordinator proposed
two more tasks to them. Notifications mails both proposals (caught by the MailCatcher).
The link to "my volunteering" in the first email opens the volunteer's pages: the
proposal accepted there, my shifts, my hours, a certificate on request (its PDF), my iCal
link. The second email's "accept" link opens the no-login answer page, in a browser with
no session at all.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Page, expect

from tests.browser.conftest import (
    Journey,
    System,
    answer,
    apply_as_volunteer,
    assignment_of,
    candidates_of,
    log_hours_as_volunteer,
    mail_containing,
    publish_flexible_task,
    reachable_by_email,
)

WORKED = "Inwentaryzacja księgozbioru"
FIRST_PROPOSAL = "Kiermasz książek na podwórku"
SECOND_PROPOSAL = "Spotkanie z autorką"


def link_after(label: str, body: str) -> str:
    found = re.search(rf"{label} (\S+)", body)
    assert found, f"no '{label}' link in: {body}"
    return found.group(1)


async def propose(system: System, task_id: str, volunteer_id: str) -> dict[str, Any]:
    async with system.api(system.staff_token("koordynatorka")) as api:
        proposal: dict[str, Any] = await answer(
            await api.post(
                f"/matching/v1/tasks/{task_id}/proposals",
                json={"volunteer_id": volunteer_id, "expires_in_hours": 48},
            )
        )
    return proposal


async def volunteer_with_approved_hours(system: System) -> str:
    """A volunteer who may get email, with hours approved at the branch today."""
    worked = await publish_flexible_task(system, WORKED, starts_in_days=0)
    reachable = [
        candidate
        for candidate in await candidates_of(system, worked["id"])
        if await reachable_by_email(system, candidate)
    ]
    assert reachable, "no candidate who may get email"
    volunteer = reachable[0]
    application = await apply_as_volunteer(system, worked["id"], volunteer)
    async with system.api(system.staff_token("koordynatorka")) as api:
        await answer(await api.post(f"/matching/v1/applications/{application['id']}/accept"))
        entry = await log_hours_as_volunteer(
            system, await assignment_of(system, worked["id"], volunteer), hours="4"
        )
        await answer(await api.post(f"/matching/v1/hours/{entry['id']}/approve"))
    return volunteer


async def test_volunteer_journey(system: System, page: Page, journey: Journey) -> None:
    volunteer = await volunteer_with_approved_hours(system)
    first = await publish_flexible_task(system, FIRST_PROPOSAL, starts_in_days=30)
    second = await publish_flexible_task(system, SECOND_PROPOSAL, starts_in_days=60)
    first_proposal = await propose(system, first["id"], volunteer)
    second_proposal = await propose(system, second["id"], volunteer)

    # The first email's link to "my volunteering" opens a session: no password.
    first_mail = await mail_containing(system, first_proposal["id"])
    assert first_mail.subject == f"Propozycja zadania: {FIRST_PROPOSAL}"
    my_page = next(link for link in re.findall(r"\S+/wolontariusz/wejscie\?t=\S+", first_mail.body))
    assert my_page.startswith(system.url)
    await page.goto(my_page)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Moje wolontariaty")
    await expect(page.get_by_role("heading", name=FIRST_PROPOSAL)).to_be_visible()
    await journey.check("moje-wolontariaty")

    await page.get_by_role("button", name=f"Przyjmij propozycję: {FIRST_PROPOSAL}").click()
    await expect(page.get_by_role("status")).to_contain_text("Propozycja przyjęta")
    shifts = page.get_by_role("table", name="Dyżury, na które jestem zapisany")
    await expect(shifts.locator("tbody tr").filter(has_text=FIRST_PROPOSAL)).to_have_count(1)
    await expect(shifts.locator("tbody tr").filter(has_text=WORKED)).to_have_count(1)
    await journey.check("propozycja-przyjeta")

    # My hours and a certificate on request.
    await expect(page.get_by_text("Zatwierdzone godziny razem: 4")).to_be_visible()
    await page.get_by_role("button", name="Poproś o zaświadczenie").click()
    certificate = page.get_by_role("link", name="Pobierz zaświadczenie (PDF)")
    await expect(certificate).to_be_visible()
    await journey.check("zaswiadczenie")
    href = await certificate.get_attribute("href")
    assert href is not None
    pdf = await page.request.get(href)
    assert pdf.status == 200
    assert (await pdf.body()).startswith(b"%PDF-")

    # My calendar: a private iCal link that a calendar app can subscribe to.
    await page.get_by_role("button", name="Utwórz link do kalendarza").click()
    feed = page.get_by_label("Link do kalendarza (iCal)")
    await expect(feed).to_be_visible()
    await journey.check("kalendarz")
    feed_url = await feed.input_value()
    assert feed_url.startswith(f"{system.url}/api/")
    calendar = await page.request.get(feed_url)
    assert calendar.status == 200
    text = await calendar.text()
    assert text.startswith("BEGIN:VCALENDAR")
    assert FIRST_PROPOSAL in text

    # The second email's "accept" link, in a browser that has no session at all.
    second_mail = await mail_containing(system, second_proposal["id"])
    accept = link_after("Przyjmuję:", second_mail.body)
    await page.context.clear_cookies()
    await page.goto(accept)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Propozycja wolontariatu")
    await journey.check("odpowiedz-z-emaila")
    await page.get_by_role("button", name="Potwierdzam: przyjmuję propozycję").click()
    await expect(page.get_by_text("Dziękujemy! Propozycja przyjęta.")).to_be_visible()
    await journey.check("odpowiedz-zapisana")
    async with system.api(system.volunteer_token(volunteer)) as api:
        mine = await answer(await api.get("/matching/v1/me/proposals"))
    assert {p["id"]: p["status"] for p in mine}[second_proposal["id"]] == "accepted"
