"""Every text of the shared layout, sign-in and volunteer pages has its English version."""

from __future__ import annotations

import re
from pathlib import Path

from console.i18n import CATALOGUES, translate
from console.pages import volunteer
from console.web import ERROR_TEXTS, ERROR_TITLES, ROLE_NAMES, STATUS_REASONS

TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "console" / "templates"
# Areas this test covers; the staff areas check their own texts.
COVERED = ["base.html", "error.html", "signin", "volunteer"]
LITERAL = re.compile(r"""_\(\s*(?:"([^"]+)"|'([^']+)')""")


def template_texts() -> set[str]:
    texts: set[str] = set()
    for area in COVERED:
        path = TEMPLATES / area
        for template in [path] if path.is_file() else sorted(path.rglob("*.html")):
            for double, single in LITERAL.findall(template.read_text(encoding="utf-8")):
                texts.add(double or single)
    return texts


def test_template_texts_have_english() -> None:
    texts = template_texts()
    assert len(texts) > 60  # the scan found the templates
    missing = sorted(text for text in texts if text not in CATALOGUES["en"])
    assert missing == []


def test_texts_made_in_code_have_english() -> None:
    texts = [
        *ERROR_TITLES.values(),
        *ERROR_TEXTS.values(),
        *STATUS_REASONS.values(),
        *ROLE_NAMES.values(),
        *volunteer.PROPOSAL_STATUS.values(),
        *volunteer.SHIFT_STATUS.values(),
        *volunteer.HOURS_STATUS.values(),
        *volunteer.LINK_ERRORS.values(),
        volunteer.LINK_USED,
    ]
    assert [text for text in texts if text not in CATALOGUES["en"]] == []


def test_placeholders_survive_translation() -> None:
    assert translate("en", "Zaloguj jako {name}", name="Ewa") == "Sign in as Ewa"
    assert translate("pl", "Zaloguj jako {name}", name="Ewa") == "Zaloguj jako Ewa"
    assert translate("en", "Tekst bez tłumaczenia") == "Tekst bez tłumaczenia"
