"""Branches apply to an edition, through the gateway.

Urząd (city_admin) creates next year's libraries' edition and announces its call for
applications with a budget. Koordynatorka (bialoleka-29, shown by its name and address)
applies for her branch. The city
office tries to grant more than the budget (refused, in Polish, nothing changes), asks for
changes instead; the coordinator reads the request and submits the amended application;
the city office rejects it with a reason, which the coordinator then reads.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from playwright.async_api import Page, expect

from tests.browser.conftest import COORDINATOR_BRANCH, WARSAW, Journey, System, sign_in

CHANGES = "Proszę dopisać, kto poprowadzi dyżury w soboty."
REASON = "W tej edycji wybieramy oddziały z dzielnic bez wolontariatu."


async def flash(page: Page, text: str) -> None:
    await expect(page.get_by_role("status")).to_contain_text(text)


async def switch_to(journey: Journey, username: str, display_name: str) -> None:
    await journey.page.context.clear_cookies()
    await sign_in(journey, username, display_name)


async def test_applications_journey(system: System, page: Page, journey: Journey) -> None:
    today = datetime.now(WARSAW).date()
    year = today.year + 1
    edition_name = f"Biblioteki {year}"

    # The city office: a planned edition and its call, with a budget.
    await sign_in(journey, "urzad", "Anna Miejska")
    await page.get_by_role("link", name="Edycje programu").click()
    await page.get_by_label("Rok").fill(str(year))
    await page.get_by_label("Nazwa edycji").fill(edition_name)
    await page.get_by_label("Rodzaj instytucji").select_option("library_branch")
    await page.get_by_label("Początek").fill(f"{year}-01-15")
    await page.get_by_label("Koniec").fill(f"{year}-12-15")
    await page.get_by_role("button", name="Utwórz edycję").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Edycja: {edition_name}")
    await page.get_by_role("link", name="Nabór wniosków i budżet").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Nabór wniosków: {edition_name}"
    )
    await expect(page.get_by_text("Ta edycja nie ma jeszcze ogłoszonego naboru.")).to_be_visible()
    await journey.check("nabor-pusty")
    await page.get_by_label("Początek naboru").fill(today.isoformat())
    await page.get_by_label("Koniec naboru").fill((today + timedelta(days=30)).isoformat())
    await page.get_by_label("Kryteria wyboru oddziałów").fill("Sala dla dzieci, dyżury po 15:00")
    await page.get_by_label("Budżet edycji (zł)").fill("10000")
    await page.get_by_role("button", name="Ogłoś nabór").click()
    await flash(page, "Nabór ogłoszony")
    budget = page.get_by_role("region", name="Budżet edycji")
    await expect(budget).to_contain_text("10\xa0000,00\xa0zł")
    await expect(
        budget.get_by_text("Żaden oddział nie dostał jeszcze dofinansowania w tej edycji.")
    ).to_be_visible()
    await journey.check("nabor-ogloszony")

    # The coordinator applies for her branch.
    await switch_to(journey, "koordynatorka", "Barbara Wieczorek")
    await page.get_by_role("link", name="Wniosek do programu").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Wniosek do programu")
    # The branch by its name and address from registry, not only by its code.
    await expect(page.locator("p.lead")).to_contain_text(
        "Oddział: Wypożyczalnia dla Dorosłych i Młodzieży nr 29, ul. Targowa 13"
    )
    call = page.get_by_role("region", name=f"Nabór do edycji {edition_name}")
    await expect(call).to_contain_text("Sala dla dzieci")
    await journey.check("wniosek-formularz")
    await call.get_by_label("Dlaczego oddział chce wziąć udział").fill(
        "Chcemy prowadzić popołudniowe czytanie z dziećmi z osiedla."
    )
    team = call.get_by_label("Zespół: kto będzie koordynować")
    await team.fill("Kierowniczka i dwie bibliotekarki")
    await call.get_by_label("Pomoc w czytaniu").check()
    await call.get_by_label("Pomoc w lekcjach").check()
    await call.get_by_role("button", name="Złóż wniosek").click()
    await flash(page, f"Wniosek oddziału {COORDINATOR_BRANCH} złożony.")
    await expect(call).to_contain_text("czeka na decyzję")
    await journey.check("wniosek-zlozony")

    # The city office: more than the budget is refused; it asks for changes instead.
    await switch_to(journey, "urzad", "Anna Miejska")
    await page.get_by_role("link", name="Wnioski oddziałów").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Wnioski oddziałów")
    waiting = page.get_by_role("table", name="Wnioski czekające na decyzję, od najstarszego")
    await expect(waiting.locator("tbody tr").filter(has_text=edition_name)).to_have_count(1)
    await journey.check("wnioski")
    await waiting.locator("tbody tr").filter(has_text=edition_name).get_by_role("link").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Wniosek oddziału")
    await journey.check("wniosek")
    await page.get_by_label("Przyznane dofinansowanie (zł)").fill("12000")
    await page.get_by_role("button", name="Przyjmij wniosek").click()
    await flash(page, "Kwota przekracza budżet edycji: zostało 10\xa0000,00\xa0zł")
    await expect(page.get_by_role("button", name="Przyjmij wniosek")).to_be_visible()
    await journey.check("budzet-przekroczony")
    await page.get_by_label("Co oddział ma poprawić").fill(CHANGES)
    await page.get_by_role("button", name="Poproś o poprawki").click()
    await flash(page, f"Oddział {COORDINATOR_BRANCH} poproszony o poprawki.")

    # The coordinator reads the request and submits the amended application.
    await switch_to(journey, "koordynatorka", "Barbara Wieczorek")
    await page.get_by_role("link", name="Wniosek do programu").click()
    await expect(call).to_contain_text("do poprawy")
    await expect(call).to_contain_text(CHANGES)
    await journey.check("wniosek-do-poprawy")
    await team.fill("Kierowniczka, dwie bibliotekarki i wolontariusz-senior w soboty")
    await call.get_by_role("button", name="Złóż poprawiony wniosek").click()
    await flash(page, "Zmiany we wniosku zapisane")
    await expect(call).to_contain_text("czeka na decyzję")

    # The city office rejects it with a reason; the coordinator reads it.
    await switch_to(journey, "urzad", "Anna Miejska")
    await page.goto("/miasto/wnioski")
    waiting = page.get_by_role("table", name="Wnioski czekające na decyzję, od najstarszego")
    await waiting.locator("tbody tr").filter(has_text=edition_name).get_by_role("link").click()
    await expect(page.get_by_text("wolontariusz-senior w soboty")).to_be_visible()
    await page.get_by_label("Powód odrzucenia").fill(REASON)
    await page.get_by_role("button", name="Odrzuć wniosek").click()
    await flash(page, f"Wniosek oddziału {COORDINATOR_BRANCH} odrzucony.")
    await switch_to(journey, "koordynatorka", "Barbara Wieczorek")
    await page.get_by_role("link", name="Wniosek do programu").click()
    await expect(call).to_contain_text("odrzucony")
    await expect(call).to_contain_text(REASON)
    await journey.check("wniosek-odrzucony")
