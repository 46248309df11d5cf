"""A district library's director in the console, through the gateway.

The city office has announced a call for an edition two years ahead (through the API) and
sees on its staff page who runs each district library. Dyrektorka (Białołęka's district
library, assigned by the demo seed) reads her library's branches with their stage and
coordinators, applies for one of them, and a tampered form naming another library's branch
is refused with a readable message that changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from playwright.async_api import Page, expect

from tests.browser.conftest import WARSAW, Journey, System, answer, sign_in

LIBRARY = "Białołęka"


async def flash(page: Page, text: str) -> None:
    await expect(page.get_by_role("status")).to_contain_text(text)


async def announce_call(system: System, name: str) -> None:
    today = datetime.now(WARSAW).date()
    year = today.year + 2
    async with system.api(system.staff_token("urzad")) as api:
        edition = await answer(
            await api.post(
                "/registry/v1/editions",
                json={
                    "year": year,
                    "name": name,
                    "institution_type": "library_branch",
                    "starts_on": f"{year}-01-15",
                    "ends_on": f"{year}-12-15",
                },
            )
        )
        await answer(
            await api.put(
                f"/registry/v1/editions/{edition['id']}/call",
                json={
                    "opens_on": today.isoformat(),
                    "closes_on": (today + timedelta(days=30)).isoformat(),
                    "criteria": "Filie z godzinami popołudniowymi",
                    "budget_pln": "20000",
                },
            )
        )


async def library_branches(system: System) -> int:
    """How many branches Białołęka's district library runs, as the city office sees them."""
    async with system.api(system.staff_token("urzad")) as api:
        found = await answer(
            await api.get("/registry/v1/branches", params={"district": "bialoleka", "limit": 500})
        )
    return sum(
        1 for b in found["items"] if b["district_library"] and LIBRARY in b["district_library"]
    )


async def test_district_journey(system: System, page: Page, journey: Journey) -> None:
    edition = f"Biblioteki dzielnic {datetime.now(WARSAW).year + 2}"
    await announce_call(system, edition)

    # The city office sees who runs each district library.
    await sign_in(journey, "urzad", "Anna Miejska")
    await page.goto("/miasto/kadra")
    libraries = page.get_by_role("table", name="Biblioteki dzielnicowe i osoby")
    await expect(libraries.get_by_role("row").filter(has_text=LIBRARY)).to_contain_text("Dyrekcja")
    await journey.check("kadra-dyrekcje")
    await page.context.clear_cookies()

    # The director: her library's branches only, with their stage and coordinators.
    await sign_in(journey, "dyrektorka", "Dyrekcja Biblioteki Białołęka")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Filie biblioteki w programie")
    await expect(page.locator("p.lead")).to_contain_text(LIBRARY)
    branches = page.get_by_role("table", name="Filie biblioteki: udział w programie")
    rows = branches.locator("tbody tr")
    await expect(rows).to_have_count(await library_branches(system))
    await expect(rows.filter(has_text="w programie").first).to_be_visible()
    await journey.check("filie")

    # She applies for a branch of her library.
    await page.get_by_role("link", name="Nabór wniosków").click()
    call = page.get_by_role("region", name=f"Nabór do edycji {edition}")
    await expect(call).to_contain_text("Filie z godzinami popołudniowymi")
    await journey.check("nabor")
    await call.get_by_role("link", name=f"Złóż wniosek filii do edycji {edition}").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Wniosek filii do edycji {edition}"
    )
    await journey.check("wniosek-formularz")
    choice = page.get_by_label("Oddział, który składa wniosek")
    code = await choice.input_value()
    assert code.startswith("bialoleka-"), code
    await page.get_by_label("Dlaczego oddział chce wziąć udział").fill(
        "Chcemy otworzyć czytelnię dla seniorów w soboty."
    )
    await page.get_by_label("Zespół: kto będzie koordynować").fill("Kierowniczka filii")
    await page.get_by_label("Pomoc w czytaniu").check()
    await page.get_by_role("button", name="Złóż wniosek").click()
    await flash(page, f"Wniosek oddziału {code} złożony.")
    await expect(call.locator("tbody tr")).to_have_count(1)
    await expect(call).to_contain_text("czeka na decyzję")
    await journey.check("wniosek-zlozony")

    # A form tampered to name another library's branch: refused, and nothing is added.
    await call.get_by_role("link", name=f"Złóż wniosek filii do edycji {edition}").click()
    await page.get_by_label("Oddział, który składa wniosek").evaluate(
        "select => { select.options[0].value = 'mokotow-5'; }"
    )
    await page.get_by_label("Dlaczego oddział chce wziąć udział").fill("Wniosek za cudzą filię")
    await page.get_by_label("Zespół: kto będzie koordynować").fill("Ktoś")
    await page.get_by_label("Pomoc w czytaniu").check()
    await page.get_by_role("button", name="Złóż wniosek").click()
    await flash(page, "Oddział mokotow-5 nie jest jednym z Twoich oddziałów")
    await expect(call.locator("tbody tr")).to_have_count(1)
    await journey.check("wniosek-odmowa")
