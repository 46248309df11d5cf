"""Polish is the source language; English catalogues map Polish texts to English.

Templates call ``{{ _("Zadania") }}``; code calls ``translate(lang, "Zadania")``. A text may
carry ``{placeholders}`` filled after translation: ``_("Witaj, {name}", name=...)``. Each area
of the console keeps its texts in ``console/translations/<area>.py`` as a dict ``EN``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from console.translations import city, coordinator, core, trainer, volunteer

DEFAULT_LANGUAGE = "pl"
LANGUAGES = ("pl", "en")
LANGUAGE_NAMES = {"pl": "Polski", "en": "English"}

CATALOGUES: dict[str, dict[str, str]] = {
    "en": {**core.EN, **volunteer.EN, **coordinator.EN, **trainer.EN, **city.EN},
}


def translate(language: str, text: str, **values: Any) -> str:
    """``text`` in ``language`` (Polish, the source, when no translation is known)."""
    translated = CATALOGUES.get(language, {}).get(text, text)
    return translated.format(**values) if values else translated


def translator(language: str) -> Callable[..., str]:
    """The ``_`` function templates get for one request's language."""

    def gettext(text: str, **values: Any) -> str:
        return translate(language, text, **values)

    return gettext
