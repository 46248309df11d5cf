"""Input bounds every API shares: one definition of what a request may carry.

Every query, path and body parameter of the services' APIs, and every inbound event field
that reaches Postgres, is typed with these (or with a stricter type of its own):

- ``PageOffset`` 0..1,000,000 and ``PageLimit`` 1..1,000: an unbounded integer never
  reaches a query;
- ``Int32`` / ``PositiveInt32``: integers that fit a Postgres ``integer``;
- ``SaneDate`` / ``SaneDateTime``: years 1900..2100 (Postgres takes far more, reports and
  calendars do not);
- ``SingleLine`` / ``MultiLine``: text without NUL, without control characters (C0, DEL,
  C1) and without lone surrogates; ``MultiLine`` allows line feed, carriage return and tab.
  ``single_line(n)`` / ``multi_line(n)`` give the same with another length limit.
- ``CleanInput``: a base model whose every string, however nested, is held to the
  ``MultiLine`` rule, for request bodies and inbound events with many text fields.

A refusal is a 422 problem+json (``shared.problems``) naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from annotated_types import Interval, MaxLen
from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler, field_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

MAX_OFFSET = 1_000_000
MAX_LIMIT = 1_000
INT32_MAX = 2**31 - 1
FIRST_YEAR, LAST_YEAR = 1900, 2100

# C0 controls, DEL, C1 controls and UTF-16 surrogates (which cannot be encoded as UTF-8).
_FORBIDDEN_MULTI = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_FORBIDDEN_SINGLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# The same rules as JSON Schema patterns (ECMA 262), for the OpenAPI documents.
_PATTERN_MULTI = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"
_PATTERN_SINGLE = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"

SINGLE_LINE_MAX = 500
MULTI_LINE_MAX = 10_000


def refuse_control_characters(value: str, *, multiline: bool) -> str:
    """``value`` unchanged, or ``ValueError`` naming the first forbidden character."""
    found = (_FORBIDDEN_MULTI if multiline else _FORBIDDEN_SINGLE).search(value)
    if found is not None:
        code = f"U+{ord(found.group()):04X}"
        allowed = " (poza nową linią i tabulatorem / except line feed and tab)" if multiline else ""
        raise ValueError(
            f"niedozwolony znak sterujący {code}{allowed} / control character {code} not allowed"
        )
    return value


@dataclass(frozen=True)
class NoControlCharacters:
    """Annotated marker: the string holds no NUL/control characters (tab and newlines only
    when ``multiline``); documented as a ``pattern`` so generated clients know."""

    multiline: bool = False

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        multiline = self.multiline

        def check(value: Any) -> Any:
            if isinstance(value, str):
                return refuse_control_characters(value, multiline=multiline)
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        target = handler.resolve_ref_schema(json_schema)
        if target.get("type") == "string" and "pattern" not in target:
            target["pattern"] = _PATTERN_MULTI if self.multiline else _PATTERN_SINGLE
        return json_schema


def single_line(max_length: int = SINGLE_LINE_MAX) -> Any:
    return Annotated[str, MaxLen(max_length), NoControlCharacters(multiline=False)]


def multi_line(max_length: int = MULTI_LINE_MAX) -> Any:
    return Annotated[str, MaxLen(max_length), NoControlCharacters(multiline=True)]


SingleLine = Annotated[str, MaxLen(SINGLE_LINE_MAX), NoControlCharacters(multiline=False)]
MultiLine = Annotated[str, MaxLen(MULTI_LINE_MAX), NoControlCharacters(multiline=True)]
# Codes (branch codes, task types, templates...): one short line.
Code = Annotated[str, MaxLen(100), NoControlCharacters(multiline=False)]

PageOffset = Annotated[int, Interval(ge=0, le=MAX_OFFSET)]
PageLimit = Annotated[int, Interval(ge=1, le=MAX_LIMIT)]
Int32 = Annotated[int, Interval(ge=-INT32_MAX - 1, le=INT32_MAX)]
NonNegativeInt32 = Annotated[int, Interval(ge=0, le=INT32_MAX)]
PositiveInt32 = Annotated[int, Interval(ge=1, le=INT32_MAX)]
# Hours and other amounts: finite, and small enough for numeric(10,2)-like columns.
BoundedDecimal = Annotated[Decimal, Interval(ge=Decimal(-99_999_999), le=Decimal(99_999_999))]


def _sane_year(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(
            f"rok spoza zakresu {FIRST_YEAR}-{LAST_YEAR} / year outside {FIRST_YEAR}-{LAST_YEAR}"
        )
    return value


@dataclass(frozen=True)
class _YearRange:
    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(_sane_year, handler(source))


SaneDate = Annotated[date, _YearRange()]
SaneDateTime = Annotated[datetime, _YearRange()]


def _refuse_nested(value: Any) -> Any:
    if isinstance(value, str):
        refuse_control_characters(value, multiline=True)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _refuse_nested(key)
            _refuse_nested(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _refuse_nested(item)
    return value


class CleanInput(BaseModel):
    """Base for request bodies and inbound events: no string anywhere in it holds NUL,
    control characters (other than line feed, carriage return and tab) or lone surrogates."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        return _refuse_nested(value)
