"""Texts and formats per language, with gettext catalogues (Babel) and ``jinja2.ext.i18n``.

Polish is the source language: each text is written in Polish where it is used and looked up
in ``console/locale/<lang>/LC_MESSAGES/messages.po``. The English catalogue translates every
text; the Polish one carries only the plural forms (Polish has three: 1 wolontariusz,
2 wolontariusze, 5 wolontariuszy). A text may carry ``{placeholders}``
filled after translation: ``_("Witaj, {name}", name=...)``; ``ngettext`` fills ``{num}``.

Texts reach the catalogues by extraction (``make translations``): the keywords below mark
them, ``N_`` marks a text kept in a table and translated where it is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import Translations

DEFAULT_LANGUAGE = "pl"
LANGUAGES = ("pl", "en")
LANGUAGE_NAMES = {"pl": "Polski", "en": "English"}
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
# The locale each page language formats numbers and dates in: Warsaw's English readers
# expect day-month-year, so British English rather than the American default.
FORMAT_LOCALES = {"pl": "pl_PL", "en": "en_GB"}
CURRENCY = "PLN"
WARSAW = ZoneInfo("Europe/Warsaw")

# The extraction keywords: function name -> the positions of its message arguments.
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "N_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "translate": (2,),
    "translate_plural": (2, 3),
    "page_text": (2,),
    "flash": (2,),
}


def N_(text: str) -> str:
    """Marks a Polish text for the catalogues where it is defined (a table of labels)."""
    return text


@cache
def translations(language: str) -> Translations:
    """The language's catalogue, compiled in memory from its ``.po`` file once."""
    with (LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def translate(language: str, text: str, **values: Any) -> str:
    """``text`` in ``language`` (the Polish source when the catalogue has no translation)."""
    translated = translations(language).gettext(text)
    return translated.format(**values) if values else translated


def translate_plural(language: str, singular: str, plural: str, num: int, **values: Any) -> str:
    """The form of ``singular``/``plural`` that ``num`` takes in ``language``; ``{num}`` is
    filled with the number as the language writes it."""
    translated = translations(language).ngettext(singular, plural, num)
    return translated.format(num=number(language, num), **values)


def translator(language: str) -> Callable[..., str]:
    """The ``_`` function templates get for one request's language."""

    def gettext(text: str, **values: Any) -> str:
        return translate(language, text, **values)

    return gettext


def plural_translator(language: str) -> Callable[..., str]:
    """The ``ngettext`` function templates get for one request's language."""

    def ngettext(singular: str, plural: str, num: int, **values: Any) -> str:
        return translate_plural(language, singular, plural, num, **values)

    return ngettext


# -- numbers and dates as each language writes them -----------------------------------------


def _locale(language: str) -> str:
    return FORMAT_LOCALES.get(language, FORMAT_LOCALES[DEFAULT_LANGUAGE])


def number(language: str, value: float | int | Decimal | str | None) -> str:
    """1 234,5 in Polish, 1,234.5 in English; empty for no value; a text that is not a
    number (a dash, a share already written) as it is."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return format_decimal(amount, locale=_locale(language))


def percent(language: str, share: float | None) -> str:
    """A share (0.46) as "46%"; a dash when there is none."""
    if share is None:
        return "—"
    return format_percent(share, locale=_locale(language))


def money(language: str, amount: float | Decimal | str | None) -> str:
    """An amount in złoty: "1 234,50 zł" in Polish, "PLN1,234.50" in English."""
    if amount is None or amount == "":
        return ""
    return format_currency(Decimal(str(amount)), CURRENCY, locale=_locale(language))


def local_date(language: str, value: str | date | None) -> str:
    """A day as "3.12.2026" (Polish) or "03/12/2026" (English)."""
    if not value:
        return ""
    day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return format_date(day, "short", locale=_locale(language))


def local_time(language: str, value: str | datetime | None) -> str:
    """A moment as people in Warsaw read it: "3.12.2026, 10:00"."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        # A time without a zone is already Warsaw's (as the forms send it).
        moment = moment.replace(tzinfo=WARSAW)
    return format_datetime(moment, "short", tzinfo=WARSAW, locale=_locale(language))
