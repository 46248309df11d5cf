"""The gettext catalogues: every text the console shows has its English version, Polish
plural forms are right, numbers and dates are written as each language writes them."""

from __future__ import annotations

from datetime import date

from console import catalogues
from console.i18n import local_date, local_time, money, number, percent, translate
from console.i18n import translate_plural as plural

NBSP = "\xa0"  # Polish groups thousands with a non-breaking space


def test_every_text_the_console_shows_has_its_translation() -> None:
    texts = [message for message in catalogues.extracted() if message.id]
    assert len(texts) > 400  # the extraction read the pages, the templates and the tables
    assert catalogues.missing() == {"pl": [], "en": []}


def test_the_catalogues_carry_no_text_nobody_shows() -> None:
    assert catalogues.unused() == {"pl": [], "en": []}


def test_texts_kept_in_tables_and_passed_to_macros_are_extracted() -> None:
    ids = {message.id for message in catalogues.extracted()}
    assert "Pomoc w czytaniu" in ids  # coordinator.TASK_TYPES, marked N_
    assert "Przyjmij zgłoszenie" in ids  # a row button's label in _macros.html
    assert "Nie ma takiej strony" in ids  # web.ERROR_TITLES
    assert "Oddział {code} zapisany do edycji." in ids  # attempt(..., done=N_(...))


def test_placeholders_survive_translation() -> None:
    assert translate("en", "Zaloguj jako {name}", name="Ewa") == "Sign in as Ewa"
    assert translate("pl", "Zaloguj jako {name}", name="Ewa") == "Zaloguj jako Ewa"
    assert translate("en", "Tekst bez tłumaczenia") == "Tekst bez tłumaczenia"


def test_polish_has_three_plural_forms() -> None:
    forms = {n: plural("pl", "{num} miejsce", "{num} miejsca", n) for n in (1, 2, 5, 12, 22, 25)}
    assert forms == {
        1: "1 miejsce",
        2: "2 miejsca",
        5: "5 miejsc",
        12: "12 miejsc",
        22: "22 miejsca",
        25: "25 miejsc",
    }
    assert plural("en", "{num} miejsce", "{num} miejsca", 1) == "1 place"
    assert plural("en", "{num} miejsce", "{num} miejsca", 22) == "22 places"


def test_numbers_money_and_dates_per_language() -> None:
    assert number("pl", "1234.50") == f"1{NBSP}234,5"
    assert number("en", "1234.50") == "1,234.5"
    assert number("pl", "—") == "—"
    assert percent("pl", 0.456) == "46%" and percent("en", None) == "—"
    assert money("pl", "5000.5") == f"5{NBSP}000,50{NBSP}zł"
    assert money("en", "5000.5") == "PLN5,000.50"
    assert local_date("pl", date(2026, 12, 3)) == "3.12.2026"
    assert local_date("en", "2026-12-03") == "03/12/2026"
    # Stored in UTC, read in Warsaw's time.
    assert local_time("pl", "2026-12-03T09:00:00+00:00") == "3.12.2026, 10:00"
