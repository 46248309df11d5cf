"""The city office's work in the console, through the gateway.

Urząd (city_admin) imports a small CSV file of branches, creates and opens an edition
for culture centres (the libraries' 2019 edition is the open one of its type), enrols the
imported branch, assigns a trainer to it, reads the reports with their charts and
downloads an export.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from playwright.async_api import FilePayload, Page, expect

from tests.browser.conftest import WARSAW, Journey, System, sign_in

BRANCH_CODE = "targowek-90"
BRANCH_NAME = "Dom Kultury Zacisze"


def branches_csv() -> bytes:
    rows = [
        ["code", "name", "district", "address", "institution_type", "volunteer_spaces"],
        [BRANCH_CODE, BRANCH_NAME, "targowek", "ul. Blokowa 1", "culture_centre", "4"],
        ["bad code!", "Bez poprawnego kodu", "targowek", "ul. Blokowa 2", "", ""],
    ]
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode()


async def flash(page: Page, text: str) -> None:
    await expect(page.get_by_role("status")).to_contain_text(text)


async def test_city_journey(system: System, page: Page, journey: Journey) -> None:
    await sign_in(journey, "urzad", "Anna Miejska")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Program w mieście")
    await journey.check("start")

    # Branches from a CSV file: one good row, one with an error.
    await page.get_by_role("link", name="Oddziały i import CSV").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Oddziały")
    await journey.check("oddzialy")
    await page.get_by_label("Plik CSV").set_input_files(
        files=FilePayload(name="oddzialy.csv", mimeType="text/csv", buffer=branches_csv())
    )
    await page.get_by_role("button", name="Importuj oddziały z CSV").click()
    await flash(page, "Import zakończony.")
    result = page.get_by_role("region", name="Wynik importu")
    await expect(result).to_contain_text("Nowe oddziały: 1")
    await expect(result).to_contain_text("Wiersze z błędami: 1")
    await expect(
        page.get_by_role("table", name="Oddziały według kodu").get_by_role(
            "rowheader", name=BRANCH_CODE
        )
    ).to_be_visible()
    await journey.check("import-csv")

    # A new edition for culture centres, opened for enrolment.
    year = datetime.now(WARSAW).year + 1
    edition_name = f"Domy kultury {year}"
    await page.get_by_role("link", name="Edycje programu").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Edycje programu")
    await journey.check("edycje")
    await page.get_by_label("Rok").fill(str(year))
    await page.get_by_label("Nazwa edycji").fill(edition_name)
    await page.get_by_label("Rodzaj instytucji").select_option("culture_centre")
    await page.get_by_label("Początek").fill(f"{year}-01-15")
    await page.get_by_label("Koniec").fill(f"{year}-12-15")
    await page.get_by_role("button", name="Utwórz edycję").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Edycja: {edition_name}")
    await flash(page, "Edycja utworzona")
    await journey.check("edycja-utworzona")
    await page.get_by_role("button", name=f"Otwórz edycję: {edition_name}").click()
    await expect(page.get_by_role("heading", name="Zapisz oddział")).to_be_visible()
    await journey.check("edycja-otwarta")

    # Enrol the imported branch, then assign it a trainer.
    await page.get_by_label("Oddział", exact=True).select_option(BRANCH_CODE)
    await page.get_by_label("Dofinansowanie (zł)").fill("4500,00")
    await page.get_by_role("button", name="Zapisz oddział do edycji").click()
    await flash(page, f"Oddział {BRANCH_CODE} zapisany do edycji.")
    enrolled = page.get_by_role("table", name="Oddziały zapisane do edycji, ich etap i trenerzy")
    await expect(enrolled.locator("tbody tr").filter(has_text=BRANCH_CODE)).to_have_count(1)
    await journey.check("oddzial-zapisany")
    await page.get_by_label(f"Trener dla oddziału {BRANCH_CODE}").select_option(
        label="Ewa Sadowska"
    )
    await page.get_by_role("button", name=f"Przypisz trenera: {BRANCH_CODE}").click()
    await flash(page, "Trener przypisany do oddziału.")
    await journey.check("trener-przypisany")

    # Reports with charts, and an export.
    await page.get_by_role("link", name="Raporty i eksporty").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Raporty")
    charts = page.locator("svg.chart[role=img]")
    assert await charts.count() >= 1
    await expect(charts.first).to_be_visible()
    await journey.check("raporty")
    await page.get_by_label("Zestawienie według").select_option("district")
    await page.get_by_role("button", name="Pokaż raport").click()
    await expect(page.get_by_role("heading", name="Zestawienie: Dzielnica")).to_be_visible()
    await journey.check("raporty-dzielnice")

    link = page.get_by_role("link", name="Pobierz zestawienie (CSV)")
    href = await link.get_attribute("href")
    assert href is not None
    export = await page.request.get(href)
    assert export.status == 200
    assert export.headers["content-type"].startswith("text/csv")
    header = (await export.text()).splitlines()[0]
    assert "approved_hours" in header
