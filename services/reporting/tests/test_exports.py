"""Exports opened and read back: CSV, XLSX, open data and the Polish edition PDF."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook  # type: ignore[import-untyped]
from pypdf import PdfReader

from reporting import demo, exports
from reporting.domain import facts as f
from reporting.domain import views
from reporting.domain.entities import fold
from reporting.domain.views import Filters, State

EDITION_2026 = uuid.UUID(demo.uid("edition:2026"))


def demo_state(events: list[dict[str, Any]] | None = None) -> State:
    facts = [
        (
            e["type"],
            f.READERS[e["type"]].model_validate(e["data"]),
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
    rows = views.monitoring(demo_state(), Filters(), date(2026, 6, 1))

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
