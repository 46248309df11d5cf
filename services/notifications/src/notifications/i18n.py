"""Message texts per language: gettext catalogues (Babel) and dates and numbers as each
language writes them.

Polish is the source language: the templates are written in Polish inside
``{% trans %}`` blocks and looked up in ``locale/<lang>/LC_MESSAGES/messages.po``. The English
catalogue translates every text; the Polish one carries only the plural forms (Polish has
three: 1 godzina, 2 godziny, 5 godzin). ``python -m notifications.catalogues update`` brings
the catalogues up to date with the templates; a test fails while a text lacks a translation.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime, format_time, get_day_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from notifications.domain.rules import LANGUAGES, WARSAW

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "pl"
# Warsaw's English readers expect day-month-year: British English, not the American default.
FORMAT_LOCALES = {"pl": "pl_PL", "en": "en_GB"}
# A message names a day and a time the way a letter does: "01.12.2026 16:00" in Polish,
# "1 December 2026, 16:00" in English; the month's name comes from the locale.
DATE_PATTERNS = {"pl": "dd.MM.yyyy", "en": "d MMMM yyyy"}
DATETIME_PATTERNS = {"pl": "dd.MM.yyyy HH:mm", "en": "d MMMM yyyy, HH:mm"}
TIME_PATTERN = "HH:mm"


def language_of(language: str) -> str:
    """The language a message is written in: the recipient's, Polish when unknown."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


@cache
def translations(language: str) -> Translations:
    """The language's catalogue, compiled in memory from its ``.po`` file once."""
    with (LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as source:
        catalogue = read_po(source, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def _moment(value: datetime | str) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def local_time(language: str, value: datetime | date | str | None) -> str:
    """A moment as people in Warsaw read it (a day alone, when it is only a day)."""
    if value is None or value == "":
        return ""
    if isinstance(value, date) and not isinstance(value, datetime):
        return local_date(language, value)
    return format_datetime(
        _moment(value),
        DATETIME_PATTERNS[language_of(language)],
        tzinfo=WARSAW,
        locale=FORMAT_LOCALES[language_of(language)],
    )


def local_span(language: str, starts: datetime | str | None, ends: datetime | str | None) -> str:
    """From-until: "01.12.2026 16:00–18:00" on one day, both moments in full across days."""
    if starts is None:
        return ""
    if ends is None:
        return local_time(language, starts)
    start, end = _moment(starts).astimezone(WARSAW), _moment(ends).astimezone(WARSAW)
    if start.date() == end.date():
        until = format_time(end, TIME_PATTERN, locale=FORMAT_LOCALES[language_of(language)])
        return f"{local_time(language, start)}–{until}"
    return f"{local_time(language, start)} – {local_time(language, end)}"


def local_date(language: str, value: date | str | None) -> str:
    if value is None or value == "":
        return ""
    day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    if isinstance(day, datetime):
        day = day.astimezone(WARSAW).date()
    return format_date(
        day, DATE_PATTERNS[language_of(language)], locale=FORMAT_LOCALES[language_of(language)]
    )


def number(language: str, value: Decimal | int | float | str | None) -> str:
    """2,5 in Polish, 2.5 in English; no trailing zeros ("2.50" is 2,5)."""
    if value is None or value == "":
        return ""
    amount = Decimal(str(value))
    if amount == amount.to_integral_value():
        amount = amount.quantize(Decimal(1))
    return format_decimal(amount.normalize(), locale=FORMAT_LOCALES[language_of(language)])


def is_whole(value: Decimal | int | float | str | None) -> bool:
    """A number without a fraction (it takes the plural forms of a count)."""
    return value is not None and value != "" and Decimal(str(value)) % 1 == 0


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def opening_hours(language: str, hours: list[dict[str, Any]]) -> str:
    """Opening hours as the language names the days: "pon. 10:00–19:00, wt. 12:00–20:00"."""
    names = get_day_names("abbreviated", locale=FORMAT_LOCALES[language_of(language)])
    ordered = sorted(hours, key=lambda entry: (WEEKDAYS.index(entry["day"]), entry["opens"]))
    return ", ".join(
        f"{names[WEEKDAYS.index(entry['day'])]} {entry['opens']}–{entry['closes']}"
        for entry in ordered
    )
