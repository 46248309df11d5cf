"""``python -m console.catalogues``: bring the gettext catalogues up to date with the code.

Texts are extracted from the console's Python modules and templates (the keywords in
``console.i18n.KEYWORDS``); each language's ``messages.po`` gains the new texts (with an
empty translation to fill in) and loses the ones no page uses any more. ``missing()`` lists
what still lacks a translation; a test keeps that list empty.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from console.i18n import DOMAIN, KEYWORDS, LANGUAGES, LOCALE_DIR

PACKAGE = Path(__file__).parent
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
# Languages whose catalogue must translate every text; Polish is the source and needs only
# the plural forms of the texts that have them.
TRANSLATED_IN_FULL = tuple(language for language in LANGUAGES if language != "pl")


def extracted() -> Catalog:
    """Every text the console shows, with where it is used."""
    template = Catalog(domain=DOMAIN)
    found = extract_from_dir(
        PACKAGE, METHODS, keywords=KEYWORDS, options_map=OPTIONS, comment_tags=("translators:",)
    )
    for filename, line, message, comments, context in found:
        template.add(message, None, [(filename, line)], auto_comments=comments, context=context)
    return template


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(language: str) -> Catalog:
    with catalogue_path(language).open("rb") as source:
        return read_po(source, locale=language, domain=DOMAIN)


def update() -> None:
    """Every language's catalogue gets the extracted texts, and keeps only those."""
    template = extracted()
    for language in LANGUAGES:
        catalogue = read(language)
        created = catalogue.creation_date  # kept: a date that changed on every update is noise
        catalogue.update(template, no_fuzzy_matching=True)
        catalogue.creation_date = created
        with catalogue_path(language).open("wb") as target:
            write_po(target, catalogue, width=100, ignore_obsolete=True, sort_output=False)


def _translated(message: Message | None) -> bool:
    if message is None or message.fuzzy:
        return False
    forms = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(forms)


def missing() -> dict[str, list[str]]:
    """Per language, the texts its catalogue lacks or leaves untranslated."""
    wanted = list(_messages(extracted()))
    result: dict[str, list[str]] = {}
    for language in LANGUAGES:
        catalogue = read(language)
        needed = [m for m in wanted if language in TRANSLATED_IN_FULL or m.pluralizable]
        result[language] = [
            _text(m.id) for m in needed if not _translated(catalogue.get(m.id, m.context))
        ]
    return result


def unused() -> dict[str, list[str]]:
    """Per language, the texts its catalogue still carries that no page uses."""
    wanted = {message.id for message in _messages(extracted())}
    return {
        language: [_text(m.id) for m in _messages(read(language)) if m.id not in wanted]
        for language in LANGUAGES
    }


def _messages(catalogue: Catalog) -> Iterable[Message]:
    return (message for message in catalogue if message.id)


def _text(message_id: str | tuple[str, ...] | list[str]) -> str:
    return message_id if isinstance(message_id, str) else " | ".join(message_id)


def main(argv: list[str]) -> int:
    if argv[1:] == ["update"]:
        update()
    gaps = missing()
    for language, texts in gaps.items():
        for text in texts:
            print(f"{language}: untranslated: {text}")
    return 1 if any(gaps.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
