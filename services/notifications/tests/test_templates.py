"""Every template renders in both languages with sample data (a person may edit them)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from notifications.domain.rules import LANGUAGES, SMS_TEMPLATES
from notifications.rendering import TEMPLATES_DIR, Renderer

SAMPLE: dict[str, Any] = {
    "name": "Ola",
    "task_title": "Pomoc w czytelni",
    "branch_code": "wola-12",
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
}

RENDERER = Renderer()
NAMES = RENDERER.template_names()


def test_every_template_exists_in_every_language() -> None:
    for language in LANGUAGES:
        found = sorted(path.stem for path in (TEMPLATES_DIR / language).glob("*.txt"))
        assert found == sorted([*NAMES, "_my_page"]), language
    assert len(NAMES) == 18


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
