"""Every template renders in both languages with sample data (a person may edit them); every
text has its translation; plurals, dates and numbers follow the language."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from notifications import catalogues
from notifications.branches import map_link
from notifications.domain.rules import LANGUAGES, SMS_TEMPLATES
from notifications.rendering import TEMPLATES_DIR, Renderer

SAMPLE: dict[str, Any] = {
    "name": "Ola",
    "task_title": "Pomoc w czytelni",
    "branch_code": "wola-12",
    "branch_name": "Biblioteka Wola, Filia 12",
    "branch_address": "ul. Górczewska 7, 01-180 Warszawa",
    "map_url": "https://mapa.um.warszawa.pl/?q=ul.%20G%C3%B3rczewska%207%2C%2001-180%20Warszawa",
    "opening_hours": [
        {"day": "tue", "opens": "12:00", "closes": "20:00"},
        {"day": "mon", "opens": "10:00", "closes": "19:00"},
    ],
    "occurrence_date": date(2026, 12, 1),
    "milestone": "hours_10",
    "starts_at": datetime(2026, 12, 1, 15, 0, tzinfo=UTC),
    "ends_at": datetime(2026, 12, 1, 17, 0, tzinfo=UTC),
    "expires_at": datetime(2026, 11, 28, 12, 0, tzinfo=UTC),
    "accept_url": "http://matching/v1/proposals/1/respond?token=a",
    "decline_url": "http://matching/v1/proposals/1/respond?token=d",
    "reason": "remont",
    "hours": "2.5",
    "worked_on": date(2026, 11, 20),
    "confirmed": 1,
    "places": 3,
    "visited_on": date(2026, 11, 2),
    "follow_up_on": date(2026, 12, 2),
    "ward_name": "Ola",
    "original_subject": "Potwierdzenie dyżuru",
    "original_body": "Treść",
    "items": ["wola-12: Nowe zgłoszenie: Pomoc w czytelni", "wola-12: Nieobecność na dyżurze"],
    "expires_on": date(2026, 12, 4),
    "volunteer_url": "http://127.0.0.1:8080/koordynator/wolontariusze/1",
    "task_url": "http://127.0.0.1:8080/koordynator/zadania/1",
    "references_url": "http://127.0.0.1:8080/koordynator/opinie",
    "agreements_url": "http://127.0.0.1:8080/wolontariusz/porozumienia",
}

RENDERER = Renderer()
NAMES = RENDERER.template_names()


def test_one_template_per_message_with_its_texts_in_every_catalogue() -> None:
    found = sorted(path.stem for path in TEMPLATES_DIR.glob("*.txt"))
    parts = ["_branch", "_greeting", "_hours", "_my_page", "_platform", "_team"]
    assert found == sorted([*NAMES, *parts])
    assert len(NAMES) == 24
    assert catalogues.missing() == {language: [] for language in LANGUAGES}
    assert catalogues.unused() == {language: [] for language in LANGUAGES}


def test_a_text_without_its_translation_is_found(tmp_path: Any, monkeypatch: Any) -> None:
    (tmp_path / "certificate_issued.txt").write_text(
        "{% block subject %}{% trans %}Nowy tekst bez tłumaczenia{% endtrans %}{% endblock %}"
    )
    monkeypatch.setattr(catalogues, "TEMPLATES_DIR", tmp_path)
    gaps = catalogues.missing()
    assert gaps["en"] == ["Nowy tekst bez tłumaczenia"]
    assert gaps["pl"] == []  # Polish is the source: only its plural forms are needed


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", NAMES)
def test_template_renders_with_sample_data(name: str, language: str) -> None:
    rendered = RENDERER.render(name, language, SAMPLE)
    assert rendered.subject and "\n" not in rendered.subject
    assert rendered.body
    if name in SMS_TEMPLATES:
        assert rendered.sms and len(rendered.sms) <= 320


def test_times_are_shown_in_warsaw_time() -> None:
    rendered = RENDERER.render("shift_reminder", "pl", SAMPLE)
    assert "01.12.2026 16:00" in rendered.body  # 15:00 UTC is 16:00 in Warsaw in December
    english = RENDERER.render("shift_reminder", "en", SAMPLE)
    assert english.subject.startswith("Reminder:")


def test_unknown_language_falls_back_to_polish() -> None:
    assert RENDERER.render("certificate_issued", "de", SAMPLE).subject.startswith("Zaświadczenie")


@pytest.mark.parametrize(
    ("count", "polish", "english"),
    [
        (1, "Potrzebny jest jeszcze 1 wolontariusz.", "1 more volunteer is needed."),
        (2, "Potrzeba jeszcze 2 wolontariuszy.", "2 more volunteers are needed."),
        (5, "Potrzeba jeszcze 5 wolontariuszy.", "5 more volunteers are needed."),
    ],
)
def test_polish_plural_forms_of_volunteers(count: int, polish: str, english: str) -> None:
    context = {**SAMPLE, "places": 10, "confirmed": 10 - count}
    assert polish in RENDERER.render("task_unfilled", "pl", context).body
    assert english in RENDERER.render("task_unfilled", "en", context).body


@pytest.mark.parametrize(
    ("hours", "polish", "english"),
    [
        ("1", "1 godzina", "1 hour"),
        ("2.00", "2 godziny", "2 hours"),
        ("5", "5 godzin", "5 hours"),
        ("22", "22 godziny", "22 hours"),
        ("12", "12 godzin", "12 hours"),
        ("2.5", "2,5 godziny", "2.5 hours"),
    ],
)
def test_polish_plural_forms_of_hours(hours: str, polish: str, english: str) -> None:
    context = {**SAMPLE, "hours": hours}
    assert f": {polish}. Dziękujemy!" in RENDERER.render("hours_approved", "pl", context).body
    assert f": {english}. Thank you!" in RENDERER.render("hours_approved", "en", context).body


def test_dates_and_numbers_as_each_language_writes_them() -> None:
    polish = RENDERER.render("hours_approved", "pl", {**SAMPLE, "hours": "1234.5"})
    assert polish.subject == "Zatwierdzone godziny: 1\xa0234,5 h"
    assert "z dnia 20.11.2026" in polish.body
    english = RENDERER.render("hours_approved", "en", {**SAMPLE, "hours": "1234.5"})
    assert english.subject == "Hours approved: 1,234.5 h"
    assert "on 20 November 2026" in english.body
    reminder = RENDERER.render("shift_reminder", "en", SAMPLE)
    assert "1 December 2026, 16:00–18:00" in reminder.body


# What sends a person to the branch names it, with its address, map and opening hours.
GOING_THERE = [
    "application_accepted",
    "application_promoted",
    "assignment_confirmed",
    "certificate_issued",
    "proposal_made",
    "reference_ready",
    "shift_changed",
    "shift_promoted",
    "shift_reminder",
]


@pytest.mark.parametrize("name", GOING_THERE)
def test_a_message_that_sends_a_person_somewhere_says_where_and_when_it_is_open(
    name: str,
) -> None:
    polish = RENDERER.render(name, "pl", SAMPLE).body
    assert "w bibliotece Biblioteka Wola, Filia 12" in polish
    assert "Adres: ul. Górczewska 7, 01-180 Warszawa" in polish
    assert f"Mapa: {SAMPLE['map_url']}" in polish
    assert "Godziny otwarcia: pon. 10:00–19:00, wt. 12:00–20:00" in polish
    english = RENDERER.render(name, "en", SAMPLE).body
    assert "Opening hours: Mon 10:00–19:00, Tue 12:00–20:00" in english
    # A branch registry has not described yet: its code, and nothing made up.
    unknown = {**SAMPLE, "branch_name": "wola-12", "branch_address": None, "opening_hours": []}
    body = RENDERER.render(name, "pl", unknown).body
    assert "wola-12" in body and "Adres:" not in body and "Godziny otwarcia" not in body


def test_the_map_link_carries_the_address_encoded() -> None:
    assert map_link("ul. Górczewska 7, 01-180 Warszawa") == SAMPLE["map_url"]


MILESTONES = ["first_shift", "hours_10", "hours_25", "hours_50", "hours_100", "one_year"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_milestone_has_its_own_thanks(language: str) -> None:
    rendered = [
        RENDERER.render("milestone_reached", language, {**SAMPLE, "milestone": milestone})
        for milestone in MILESTONES
    ]
    assert len({r.subject for r in rendered}) == len({r.body for r in rendered}) == 6
    hundred = rendered[MILESTONES.index("hours_100")]
    assert ("100 godzin" if language == "pl" else "100 hours") in hundred.subject


def test_milestone_thanks_count_hours_in_polish() -> None:
    first = {**SAMPLE, "milestone": "first_shift", "hours": "1"}
    assert "Zatwierdzony czas Twojej pracy: 1 godzina." in (
        RENDERER.render("milestone_reached", "pl", first).body
    )
    ten = {**SAMPLE, "milestone": "hours_10", "hours": "10.00"}
    assert "Zatwierdzony czas Twojej pracy: 10 godzin." in (
        RENDERER.render("milestone_reached", "pl", ten).body
    )
    assert "Your approved time: 10 hours." in RENDERER.render("milestone_reached", "en", ten).body
