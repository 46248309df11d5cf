"""A branch coordinator's day in the console, through the gateway.

Koordynatorka (bialoleka-29) signs in on the development issuer's page, looks at the
branch's dashboard, publishes a task, proposes its best-ranked candidate, accepts a
volunteer's application, approves logged hours and issues a certificate whose PDF she
downloads. The application and the hours come through matching's API, as the volunteers themselves
send them (the demo seed leaves none waiting).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from playwright.async_api import Page, expect

from tests.browser.conftest import (
    COORDINATOR_BRANCH,
    WARSAW,
    Journey,
    System,
    answer,
    apply_as_volunteer,
    assignment_of,
    log_hours_as_volunteer,
    mail_containing,
    sign_in,
)

TASK_TITLE = "Dyżur w czytelni dla dorosłych"


async def flash(page: Page, text: str) -> None:
    await expect(page.get_by_role("status")).to_contain_text(text)


async def test_coordinator_journey(system: System, page: Page, journey: Journey) -> None:
    await sign_in(journey, "koordynatorka", "Barbara Wieczorek")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Pulpit koordynatora")
    await expect(page.get_by_text(COORDINATOR_BRANCH).first).to_be_visible()
    await journey.check("pulpit")

    # A new task: hours to share out over the coming weeks, from today.
    await page.get_by_role("link", name="Nowe zadanie").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Nowe zadanie")
    await journey.check("nowe-zadanie")
    today = datetime.now(WARSAW).date()
    await page.get_by_label("Tytuł").fill(TASK_TITLE)
    await page.get_by_label("Rodzaj zadania").select_option("daily_work")
    await page.get_by_label("Liczba miejsc").fill("3")
    await page.get_by_label("Elastyczne (godziny w okresie)").check()
    await page.get_by_label("Pierwszy dzień").fill(today.isoformat())
    await page.get_by_label("Ostatni dzień (zadania elastyczne)").fill(
        (today + timedelta(days=20)).isoformat()
    )
    await page.get_by_label("Liczba godzin (zadania elastyczne)").fill("12")
    await page.get_by_role("button", name="Opublikuj zadanie").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Zadanie: {TASK_TITLE}")
    await flash(page, "opublikowane")
    task_url = page.url
    task_id = task_url.rstrip("/").rsplit("/", 1)[-1]
    await journey.check("zadanie")

    # Ranked candidates with their reasons; the best one gets a proposal.
    await page.get_by_role("link", name="Zobacz kandydatów").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Kandydaci do zadania: {TASK_TITLE}"
    )
    table = page.get_by_role("table", name="Kandydaci od najlepiej dopasowanego")
    rows = table.locator("tbody tr")
    assert await rows.count() >= 2, "fewer than two candidates for the new task"
    await journey.check("kandydaci")
    ranked = await table.locator('input[name="volunteer_id"]').evaluate_all(
        "inputs => inputs.map(input => input.value)"
    )
    chosen, applicant = ranked[0], ranked[1]
    await rows.first.get_by_role("button").click()
    await flash(page, "Propozycja wysłana do wolontariusza.")
    await journey.check("propozycja-wyslana")

    async with system.api(system.volunteer_token(chosen)) as api:
        proposals = await answer(await api.get("/matching/v1/me/proposals"))
    proposed = next(p for p in proposals if p["task_id"] == task_id)
    assert proposed["status"] == "proposed"
    mail = await mail_containing(system, proposed["id"])
    assert mail.subject == f"Propozycja zadania: {TASK_TITLE}"

    # Another candidate applies on their own; the coordinator accepts the application.
    await apply_as_volunteer(system, task_id, applicant)
    await page.goto(task_url)
    applications = page.get_by_role("table", name="Zgłoszenia czekające na decyzję")
    await expect(applications.locator("tbody tr")).to_have_count(1)
    await journey.check("zadanie-zgloszenie")
    await applications.get_by_role("button", name="Przyjmij zgłoszenie").click()
    await flash(page, "Zgłoszenie przyjęte.")
    await expect(
        page.get_by_role("table", name="Przydziały wolontariuszy do zadania").locator("tbody tr")
    ).to_have_count(1)
    await journey.check("zgloszenie-przyjete")

    # The applicant logs hours worked today; they wait on the dashboard.
    entry = await log_hours_as_volunteer(system, await assignment_of(system, task_id, applicant))
    await page.get_by_role("link", name="Pulpit oddziału").click()
    waiting = page.get_by_role("table", name="Zgłoszone godziny czekające na zatwierdzenie")
    row = waiting.locator("tbody tr").filter(has_text=applicant.split("-")[0])
    await expect(row).to_have_count(1)
    await journey.check("pulpit-godziny")
    await row.get_by_role("button", name="Zatwierdź godziny").click()
    await flash(page, "Godziny zatwierdzone.")
    await journey.check("godziny-zatwierdzone")
    async with system.api(system.staff_token("koordynatorka")) as api:
        hours = await answer(await api.get(f"/matching/v1/tasks/{task_id}/hours"))
    assert {h["id"]: h["status"] for h in hours}[entry["id"]] == "approved"

    # The volunteer's page in the branch: a certificate, and its PDF.
    await page.goto(task_url)
    shifts = page.get_by_role("table", name="Przydziały wolontariuszy do zadania")
    # The shift's row names the volunteer and links to their page in the branch.
    await shifts.locator(f'a[href^="/koordynator/wolontariusze/{applicant}"]').click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Wolontariusz w oddziale")
    await journey.check("wolontariusz")
    await page.get_by_role("button", name="Wystaw zaświadczenie").click()
    await flash(page, "Zaświadczenie wystawione.")
    await journey.check("zaswiadczenie")
    link = page.get_by_role("link", name="Pobierz zaświadczenie (PDF)")
    href = await link.get_attribute("href")
    assert href is not None
    pdf = await page.request.get(href)
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert (await pdf.body()).startswith(b"%PDF-")
