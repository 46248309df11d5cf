"""Bulk import of branches from a CSV file: idempotent by code, row by row.

The first line names the columns (comma or semicolon separated, as spreadsheets in Poland
often save them). Required: code, name, district, address. Optional: institution_type,
opening_hours ("1-5 10:00-19:00; 6 10:00-15:00", Monday = 1), volunteer_spaces,
contact_name, contact_email, contact_phone. A row with an error is reported with its line
number and the others still import; importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from registry import branches
from registry.commands import BranchDetails
from registry.domain import NotFound, RuleViolation
from shared.unit_of_work import UnitOfWork

REQUIRED = ("code", "name", "district", "address")
OPTIONAL = (
    "institution_type",
    "opening_hours",
    "volunteer_spaces",
    "contact_name",
    "contact_email",
    "contact_phone",
)
MAX_ROWS = 5000
TOO_MANY_CELLS = "\0too-many-cells"
_DAYS = re.compile(r"^([1-7])(?:-([1-7]))?\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$")


class UnreadableFile(ValueError):
    """The file as a whole cannot be read: nothing was imported."""


@dataclass
class RowError:
    line: int
    code: str | None
    errors: list[str]


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            f"the file is not UTF-8 (byte {error.start}): save it as 'CSV UTF-8' and send it again"
        ) from error


def parse_opening_hours(text: str) -> list[dict[str, Any]]:
    """``1-5 10:00-19:00; 6 10:00-15:00`` → one entry per weekday."""
    hours: list[dict[str, Any]] = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        match = _DAYS.match(part)
        if match is None:
            raise ValueError(
                f"opening_hours: '{part}' is not like '1-5 10:00-19:00' (days 1-7, Monday = 1)"
            )
        first, last, opens, closes = match.groups()
        for weekday in range(int(first), int(last or first) + 1):
            hours.append({"weekday": weekday, "opens": opens.zfill(5), "closes": closes.zfill(5)})
    return hours


def _details(row: dict[str, str]) -> BranchDetails:
    values: dict[str, Any] = {key: value.strip() for key, value in row.items() if value.strip()}
    if "opening_hours" in values:
        values["opening_hours"] = parse_opening_hours(values["opening_hours"])
    return BranchDetails.model_validate(values)


def read_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """The data rows with the line each ends on (a quoted field may span lines)."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [column.strip().lower() for column in next(reader)]
    except StopIteration:
        raise UnreadableFile("the file is empty: the first line must name the columns") from None
    missing = [column for column in REQUIRED if column not in header]
    unknown = [column for column in header if column not in (*REQUIRED, *OPTIONAL)]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown column(s) {', '.join(unknown)}")
        raise UnreadableFile(
            f"{'; '.join(problems)}; the columns are {', '.join((*REQUIRED, *OPTIONAL))}"
        )
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise UnreadableFile(f"more than {MAX_ROWS} rows: split the file")
            row = dict(zip(header, [*cells, *[""] * (len(header) - len(cells))], strict=False))
            if len(cells) > len(header):
                row[TOO_MANY_CELLS] = "yes"
            rows.append((reader.line_num, row))
    except csv.Error as error:
        raise UnreadableFile(f"line {reader.line_num}: {error}") from error
    return rows


async def import_branches(uow: UnitOfWork, text: str) -> ImportResult:
    """Each row in its own savepoint: a bad row rolls back alone."""
    result = ImportResult()
    for line, row in read_rows(text):
        code = row.get("code", "").strip().lower() or None
        if TOO_MANY_CELLS in row:
            result.errors.append(RowError(line, code, ["more cells than the header has columns"]))
            continue
        try:
            details = _details(row)
        except ValidationError as error:
            result.errors.append(RowError(line, code, _messages(error)))
            continue
        except ValueError as error:
            result.errors.append(RowError(line, code, [str(error)]))
            continue
        try:
            async with uow.session.begin_nested():
                _, outcome = await branches.register_or_update_branch(uow, details)
        except (RuleViolation, NotFound) as error:
            result.errors.append(RowError(line, code, [error.detail]))
            continue
        _outcomes(result, outcome).append(details.code)
    return result


def _outcomes(
    result: ImportResult, outcome: Literal["created", "updated", "unchanged"]
) -> list[str]:
    return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}[
        outcome
    ]


def _messages(error: ValidationError) -> list[str]:
    return [
        f"{'.'.join(str(part) for part in item['loc']) or 'row'}: {item['msg']}"
        for item in error.errors(include_url=False)
    ]
