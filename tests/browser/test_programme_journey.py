"""The programme's own work, through the gateway.

Trenerka (kc-trainer-1) sees her branches' training calendar, takes attendance at the
coordinators' forum and keeps its notes. Koordynatorka (bialoleka-29) finds her training
calendar with her own attendance, rewrites a section of the branch's volunteer programme
and submits it, and drafts the annual report from the branch's figures: hours that
are not a number are refused in Polish and nothing is saved; corrected, the report is
saved and submitted. The city office sees its staff and the branches' stages (those at
risk first), sends the programme back with a comment, the coordinator reads it and
submits again, and the city office accepts it. The forum's notes are on the forum page
for every coordinator.
"""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser.conftest import Journey, System, sign_in

FORUM_NOTES = "Wymiana doświadczeń: dyżury sobotnie i nabór w liceach."
WHO_WE_LOOK_FOR = "Licealiści z osiedla i seniorzy z klubu przy filii"
COMMENT = "Proszę dopisać, kto opiekuje się wolontariuszami w soboty."


async def flash(page: Page, text: str) -> None:
    await expect(page.get_by_role("status")).to_contain_text(text)


async def switch_to(journey: Journey, username: str, display_name: str) -> None:
    await journey.page.context.clear_cookies()
    await sign_in(journey, username, display_name)


async def test_programme_journey(system: System, page: Page, journey: Journey) -> None:
    # The trainer: the training calendar of her branches, and the forum's notes.
    await sign_in(journey, "trenerka", "Ewa Sadowska")
    await page.get_by_role("link", name="Szkolenia i obecność").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Szkolenia i obecność")
    first_module = page.get_by_role("region", name="Wolontariat w bibliotece: podstawy")
    await expect(first_module).to_contain_text("Obecni")
    await journey.check("szkolenia-trenera")
    # Attendance taken at the forum for one of her branches' coordinators.
    forum = page.get_by_role("region", name="Forum koordynatorów: wiosna")
    await forum.get_by_role("button", name="Zapisz obecność").click()
    await flash(page, "Obecność zapisana.")
    await expect(forum).to_contain_text("Obecni")
    await forum.get_by_label("Notatki ze spotkania").fill(FORUM_NOTES)
    await forum.get_by_role("button", name="Zapisz notatki").click()
    await flash(page, "Notatki ze spotkania zapisane.")
    await page.get_by_role("link", name="Dokumenty do oceny").first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Dokumenty do oceny")
    await journey.check("dokumenty-trenera")

    # The coordinator: her calendar, the programme, the annual report.
    await switch_to(journey, "koordynatorka", "Barbara Wieczorek")
    await page.get_by_role("link", name="Kalendarz szkoleń").click()
    calendar = page.get_by_role("table", name="Spotkania edycji i obecność oddziału")
    await expect(calendar.locator("tbody tr")).to_have_count(4)
    await expect(calendar).to_contain_text("obecna osoba: Barbara Wieczorek")
    await expect(page.get_by_text("Zespół oddziału ukończył wszystkie moduły")).to_be_visible()
    await journey.check("kalendarz-koordynatora")

    await page.get_by_role("link", name="Program wolontariatu").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Program wolontariatu")
    await expect(page.get_by_text("Stan programu: złożony, czeka na ocenę")).to_be_visible()
    await journey.check("program")
    await page.get_by_label("Kogo szukamy").fill(WHO_WE_LOOK_FOR)
    await page.get_by_role("button", name="Zapisz program").click()
    await flash(page, "Program zapisany jako szkic.")
    await expect(page.get_by_text("Stan programu: szkic")).to_be_visible()
    await page.get_by_role("button", name="Złóż program do oceny").click()
    await flash(page, "Program złożony")

    await page.get_by_role("link", name="Sprawozdanie roczne").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sprawozdanie roczne")
    await expect(page.get_by_text("Stan sprawozdania: jeszcze nie zapisane")).to_be_visible()
    # The first draft comes from the branch's figures in reporting.
    assert await page.get_by_label("Liczba wolontariuszy").input_value() != ""
    await journey.check("sprawozdanie-szkic")
    await page.get_by_label("Podsumowanie roku").fill("Rok czytania z dziećmi z osiedla.")
    hours = page.get_by_label("Godziny pracy wolontariuszy")
    drafted_hours = await hours.input_value()
    await hours.fill("dużo")
    await page.get_by_role("button", name="Zapisz sprawozdanie").click()
    await flash(page, "Nie zapisano sprawozdania.")
    await expect(page.get_by_text("Stan sprawozdania: jeszcze nie zapisane")).to_be_visible()
    await journey.check("sprawozdanie-odmowa")
    await page.get_by_label("Podsumowanie roku").fill("Rok czytania z dziećmi z osiedla.")
    await page.get_by_label("Liczba wolontariuszy").fill("9")
    await hours.fill(drafted_hours)
    await page.get_by_label("Wydatki z dofinansowania (zł)").fill("2500,50")
    await page.get_by_role("button", name="Zapisz sprawozdanie").click()
    await flash(page, "Sprawozdanie zapisane jako szkic.")
    await page.get_by_role("button", name="Złóż sprawozdanie").click()
    await flash(page, "Sprawozdanie złożone.")
    await expect(page.get_by_text("Stan sprawozdania: złożony, czeka na ocenę")).to_be_visible()

    await page.get_by_role("link", name="Forum i mentorzy").click()
    await expect(page.get_by_text(FORUM_NOTES)).to_be_visible()
    # Registry shows a coordinator only her own branches' mentors (hers has none).
    mentors = page.get_by_role("region", name="Kto kogo wspiera")
    await expect(mentors).to_contain_text("Żaden oddział nie ma jeszcze mentora.")
    await journey.check("forum")

    # The city office: staff, stages, and the programme sent back with a comment.
    await switch_to(journey, "urzad", "Anna Miejska")
    await page.get_by_role("link", name="Kadra programu").click()
    await expect(page.get_by_role("table", name="Oddziały i ich koordynatorzy")).to_contain_text(
        "Barbara Wieczorek"
    )
    await journey.check("kadra")
    await page.get_by_role("link", name="Etapy w oddziałach").click()
    stages = page.get_by_role("table", name="Oddziały, najpierw zagrożone")
    await expect(stages.locator("tbody tr").first).to_be_visible()
    await journey.check("etapy")

    await page.goto("/trener/dokumenty")
    programmes = page.get_by_role("region", name="Program wolontariatu")
    row = programmes.locator("tbody tr").filter(has_text="nr 29").filter(has_text="ul. Targowa")
    await expect(row).to_contain_text("złożony, czeka na ocenę")
    await row.get_by_role("link").click()
    await expect(page.get_by_text(WHO_WE_LOOK_FOR)).to_be_visible()
    await journey.check("program-do-oceny")
    await page.get_by_label("Twoje uwagi").fill(COMMENT)
    await page.get_by_label("Odeślij dokument koordynatorowi do poprawy").check()
    await page.get_by_role("button", name="Zapisz uwagi").click()
    await flash(page, "dokument wrócił do koordynatora do poprawy")
    program_page = page.url

    await switch_to(journey, "koordynatorka", "Barbara Wieczorek")
    await page.goto("/koordynator/program")
    await expect(page.get_by_role("region", name="Uwagi trenera")).to_contain_text(COMMENT)
    await expect(page.get_by_text("Stan programu: szkic")).to_be_visible()
    await journey.check("program-uwagi")
    await page.get_by_role("button", name="Złóż program do oceny").click()
    await flash(page, "Program złożony")

    await switch_to(journey, "urzad", "Anna Miejska")
    await page.goto(program_page)
    await page.get_by_role("button", name="Zaakceptuj program").click()
    await flash(page, "Program zaakceptowany.")
    await expect(page.get_by_text("Stan: zaakceptowany")).to_be_visible()
    await journey.check("program-zaakceptowany")
