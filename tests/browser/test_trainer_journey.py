"""A trainer's round in the console, through the gateway.

Trenerka (kc-trainer-1) sees the branches she supports, opens one branch's stage timeline,
records a monitoring visit with a follow-up date, moves the branch to its next stage, and
finds the follow-up among the visits due on her start page, next to the branches at risk.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from playwright.async_api import Page, expect

from tests.browser.conftest import WARSAW, Journey, System, sign_in

VISIT_NOTES = "Zespół gotowy do rekrutacji; omówiono plan dyżurów."


async def test_trainer_journey(system: System, page: Page, journey: Journey) -> None:
    await sign_in(journey, "trenerka", "Ewa Sadowska")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Moje oddziały")
    branches = page.get_by_role("table", name="Oddziały zapisane do programu").locator("tbody tr")
    assert await branches.count() >= 1
    await expect(page.get_by_role("heading", name="Oddziały zagrożone")).to_be_visible()
    await journey.check("moje-oddzialy")

    # A branch that has a next stage to reach.
    open_branch = branches.filter(has_not_text="Ewaluacja zakończona").first
    # Branches go by their names and addresses, as librarians know them, not by codes.
    name = (await open_branch.get_by_role("link").inner_text()).strip()
    address = (await open_branch.locator("td").first.inner_text()).strip()
    assert address and not name.startswith("Oddział ")
    await open_branch.get_by_role("link").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(name)
    await expect(page.get_by_text(address)).to_be_visible()
    await expect(page.get_by_role("heading", name="Etapy wdrażania")).to_be_visible()
    await journey.check("oddzial")

    today = datetime.now(WARSAW).date()
    follow_up = today + timedelta(days=7)
    await page.get_by_label("Notatki z wizyty").fill(VISIT_NOTES)
    await page.get_by_label("Uzgodnione następne kroki").fill("Ogłoszenie naboru w szkołach.")
    await page.get_by_label("Termin kolejnej wizyty").fill(follow_up.isoformat())
    await page.get_by_role("button", name="Zapisz wizytę").click()
    await expect(page.get_by_role("status")).to_contain_text("Wizyta monitoringowa zapisana.")
    visits = page.get_by_role("table", name="Wizyty, od najnowszej")
    await expect(visits.locator("tbody tr").filter(has_text=VISIT_NOTES)).to_have_count(1)
    await journey.check("wizyta-zapisana")

    stage = page.get_by_label("Nowy etap")
    proposed = await stage.evaluate("select => select.options[select.selectedIndex].text")
    await page.get_by_role("button", name="Zmień etap").click()
    await expect(page.get_by_role("status")).to_contain_text(f"Etap zmieniony: {proposed}.")
    await expect(page.get_by_text(f"Obecny etap: {proposed}")).to_be_visible()
    await journey.check("etap-zmieniony")

    # Reporting learns of the visit from registry's events: the follow-up shows up as due.
    await page.get_by_role("link", name="Wróć do listy oddziałów").click()
    due = page.get_by_role("table", name="Uzgodnione terminy kolejnych wizyt").locator("tbody tr")
    for _ in range(40):
        if await due.filter(has_text=name).count():
            break
        await page.wait_for_timeout(250)
        await page.reload()
    await expect(due.filter(has_text=name)).to_have_count(1)
    # Branches at risk: the list, or the sentence that none is.
    at_risk = page.get_by_role("region", name="Oddziały zagrożone")
    await expect(
        at_risk.get_by_role("table", name="Oddziały, które potrzebują uwagi, i powody").or_(
            at_risk.get_by_text("Żaden oddział nie jest zagrożony.")
        )
    ).to_be_visible()
    await journey.check("wizyty-do-ponowienia")
