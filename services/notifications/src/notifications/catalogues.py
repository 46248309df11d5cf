"""``python -m notifications.catalogues``: bring the messages' gettext catalogues up to date
with the templates.

Texts are extracted from ``templates/*.txt`` (their ``{% trans %}`` blocks); each language's
``messages.po`` gains the new texts (with an empty translation to fill in) and loses the ones
no template uses any more. ``missing()`` lists what still lacks a translation; a test keeps
that list empty.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from notifications.domain.rules import LANGUAGES
from notifications.i18n import DEFAULT_LANGUAGE, DOMAIN, LOCALE_DIR
from notifications.rendering import TEMPLATES_DIR

METHODS = [("*.txt", "jinja2")]
OPTIONS = {"*.txt": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
HEADER = (
    "Texts of the messages notifications sends (Polish is the source language).\n"
    "Update with `make translations`; a test fails while a text lacks its translation."
)


def extracted() -> Catalog:
    """Every text the templates hold, with where it is used."""
    template = Catalog(domain=DOMAIN, project="notifications")
    for filename, line, message, comments, context in extract_from_dir(
        TEMPLATES_DIR, METHODS, options_map=OPTIONS
    ):
        template.add(message, None, [(filename, line)], auto_comments=comments, context=context)
    return template


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(language: str) -> Catalog:
    path = catalogue_path(language)
    if not path.exists():
        comment = "\n".join(f"# {line}" for line in HEADER.splitlines())
        return Catalog(
            locale=language, domain=DOMAIN, project="notifications", header_comment=comment
        )
    with path.open("rb") as source:
        return read_po(source, locale=language, domain=DOMAIN)


def update() -> None:
    """Every language's catalogue gets the extracted texts, and keeps only those."""
    template = extracted()
    for language in LANGUAGES:
        catalogue = read(language)
        created = catalogue.creation_date  # kept: a date that changed on every update is noise
        catalogue.update(template, no_fuzzy_matching=True)
        catalogue.creation_date = created
        catalogue.revision_date = created
        catalogue.fuzzy = False  # a fuzzy header would be left out, and its plural forms too
        path = catalogue_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as target:
            write_po(target, catalogue, width=100, ignore_obsolete=True, sort_output=False)


def _translated(message: Message | None) -> bool:
    if message is None or message.fuzzy:
        return False
    forms = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(forms)


def missing() -> dict[str, list[str]]:
    """Per language, the texts its catalogue lacks or leaves untranslated: every text in a
    translated language, the plural forms in the source language."""
    wanted = list(_messages(extracted()))
    result: dict[str, list[str]] = {}
    for language in LANGUAGES:
        catalogue = read(language)
        needed = [m for m in wanted if language != DEFAULT_LANGUAGE or m.pluralizable]
        result[language] = [
            _text(m.id) for m in needed if not _translated(catalogue.get(m.id, m.context))
        ]
    return result


def unused() -> dict[str, list[str]]:
    """Per language, the texts its catalogue still carries that no template uses."""
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
