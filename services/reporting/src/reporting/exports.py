"""Exports: CSV and XLSX of every view, the anonymous open-data CSV, the edition PDF.

Open data suppresses small cells so that nobody can be singled out: a count of people
(volunteers recruited or active, no-shows) of 1 or 2 is published as "<3", and the
approved hours of a cell with fewer than 3 active volunteers are left empty (they would
tell how much one or two people worked). Zero counts name nobody and are published.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import matplotlib
from fpdf import FPDF
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from reporting.domain import views
from reporting.domain.entities import Edition
from reporting.domain.facts import STAGES
from reporting.domain.monitoring import branch_stages
from reporting.domain.views import Filters, Item, State
from shared.spreadsheet import neutralise_formula

# Figures are drawn without pyplot (no global state, safe in worker threads) on the Agg
# canvas; DejaVu Sans has every Polish glyph.
matplotlib.rcParams["font.family"] = "DejaVu Sans"

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SMALL_CELL = 3
SUPPRESSED = "<3"

# DejaVu Sans ships inside matplotlib and has every Polish glyph: no font to download.
FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"

STAGE_LABELS = {
    "trained": "przeszkolona",
    "programme_prepared": "program przygotowany",
    "recruiting": "rekrutacja",
    "volunteers_active": "wolontariusze aktywni",
    "evaluated": "ewaluacja",
}
RISK_LABELS = {
    "no_activity_30_days": "brak aktywności od 30 dni",
    "stage_stalled": "etap bez postępu",
}


def _plain_cell(value: Any) -> Any:
    """A value as a spreadsheet cell: text for ids, lists and dates; numbers stay numbers."""
    if isinstance(value, list):
        return "; ".join(
            f"{item['stage']}:{item['reached_on']}" if isinstance(item, dict) else str(item)
            for item in value
        )
    if isinstance(value, uuid.UUID | date):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    if rows:
        # RFC 4180: CRLF after every record.
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: _csv_cell(value) for key, value in row.items()})
    # A BOM, so that spreadsheet programs read the Polish letters as UTF-8.
    return ("\ufeff" + out.getvalue()).encode()


def _csv_cell(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else _cell(value)


def _cell(value: Any) -> Any:
    """A cell of an export, with text a spreadsheet would take for a formula neutralised."""
    return neutralise_formula(_plain_cell(value))


def to_xlsx(rows: list[dict[str, Any]], title: str) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    if rows:
        sheet.append(list(rows[0]))
        for row in rows:
            sheet.append([_xlsx_cell(value) for value in row.values()])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_cell(value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]

    cell = _cell(value)
    # XLSX (XML 1.0) cannot hold control characters; text from before the bounds on input
    # may still have them.
    return ILLEGAL_CHARACTERS_RE.sub("", cell) if isinstance(cell, str) else cell


def open_data_rows(state: State) -> list[dict[str, Any]]:
    """Aggregates per edition and district, small cells suppressed (see the module doc)."""
    groups: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for item in views.items(state):
        edition_id = item.dims["edition"]
        if edition_id is None:
            continue
        edition = state.editions.get(uuid.UUID(edition_id))
        year = str(edition.year) if edition else "?"
        groups[(year, item.dims["district"] or "nieznana")].append(item)
    rows = []
    for (year, district), bucket in sorted(groups.items()):
        numbers = views.figures(state, bucket)
        rows.append(
            {
                "edition_year": year,
                "district": district,
                "branches_enrolled": numbers.branches_enrolled,
                "tasks_published": numbers.tasks_published,
                "tasks_filled": numbers.tasks_filled,
                "volunteers_recruited": _suppress(numbers.volunteers_recruited),
                "volunteers_active": _suppress(numbers.volunteers_active),
                "no_shows": _suppress(numbers.no_shows),
                "approved_hours": (
                    str(numbers.approved_hours) if numbers.volunteers_active >= SMALL_CELL else ""
                ),
            }
        )
    return rows


def _suppress(count: int) -> int | str:
    return SUPPRESSED if 0 < count < SMALL_CELL else count


def open_data_csv(state: State) -> bytes:
    return to_csv(open_data_rows(state))


# -- the edition report -----------------------------------------------------------------


def _chart(figure: Figure) -> io.BytesIO:
    out = io.BytesIO()
    figure.tight_layout()
    figure.savefig(out, format="png", dpi=150)
    out.seek(0)
    return out


def _district_chart(rows: list[dict[str, Any]]) -> io.BytesIO:
    figure = Figure(figsize=(7, 3.2))
    left = figure.subplots()
    names = [row["label"] or "nieznana" for row in rows]
    positions = range(len(rows))
    active = left.bar(
        [p - 0.2 for p in positions],
        [r["volunteers_active"] for r in rows],
        0.4,
        label="wolontariusze aktywni",
        color="#1f5fa8",
    )
    left.set_ylabel("wolontariusze")
    left.yaxis.set_major_locator(MaxNLocator(integer=True))
    right = left.twinx()
    hours = right.bar(
        [p + 0.2 for p in positions],
        [float(r["approved_hours"]) for r in rows],
        0.4,
        label="zatwierdzone godziny",
        color="#e0a030",
    )
    right.set_ylabel("godziny")
    left.set_xticks(list(positions), names, rotation=30, ha="right")
    left.legend(handles=[active, hours], loc="upper left", fontsize=8)
    left.set_title("Wolontariusze i godziny według dzielnic")
    return _chart(figure)


def _stage_chart(rows: list[dict[str, Any]]) -> io.BytesIO:
    figure = Figure(figsize=(7, 3))
    axes = figure.subplots()
    counts = [sum(1 for r in rows if r[f"{stage}_on"] is not None) for stage in STAGES]
    axes.barh([STAGE_LABELS[s] for s in STAGES], counts, color="#2e8b57")
    axes.invert_yaxis()
    axes.set_xlabel("placówki, które osiągnęły etap")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title("Postęp etapów wdrożenia w placówkach")
    return _chart(figure)


def _trend_chart(rows: list[dict[str, Any]]) -> io.BytesIO:
    figure = Figure(figsize=(7, 3))
    axes = figure.subplots()
    months = [row["period_start"].strftime("%Y-%m") for row in rows]
    axes.plot(months, [float(r["approved_hours"]) for r in rows], marker="o", label="godziny")
    axes.plot(
        months, [r["volunteers_active"] for r in rows], marker="s", label="wolontariusze aktywni"
    )
    axes.set_title("Trend w czasie (miesięcznie)")
    axes.legend(fontsize=8)
    axes.tick_params(axis="x", rotation=30)
    return _chart(figure)


class _Report(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(auto=True, margin=15)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", "", 8)
        self.cell(0, 8, f"Strona {self.page_no()}", align="C")

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font("DejaVu", "B", 13)
        self.cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", "", 10)

    def rows(self, header: list[str], body: list[list[str]], widths: tuple[int, ...]) -> None:
        self.set_font("DejaVu", "", 8)
        with self.table(col_widths=widths, text_align="LEFT", line_height=5) as table:
            table.row(header)
            for values in body:
                table.row(values)
        self.set_font("DejaVu", "", 10)


def _number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value * 100:.0f}%"
    return str(value)


def edition_report_pdf(state: State, edition: Edition, today: date) -> bytes:
    """The edition report in Polish: figures, charts, branches and their stages."""
    filters = Filters(edition_id=edition.edition_id)
    numbers = views.summary(state, filters)
    districts = views.breakdown(state, filters, "district")
    branches = branch_stages(state, filters)
    months = views.timeseries(state, filters, "month")

    pdf = _Report()
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(0, 9, f"Raport z edycji programu: {edition.name}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(
        0,
        6,
        "Program rozwoju wolontariatu w bibliotekach m.st. Warszawy. "
        f"Okres edycji: {edition.starts_on} – {edition.ends_on}. "
        f"Stan na dzień {today}. Raport nie zawiera danych osobowych.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.heading("Podsumowanie")
    pdf.rows(
        ["Wskaźnik", "Wartość"],
        [
            ["Placówki w programie", _number(numbers.branches_enrolled)],
            ["Wolontariusze zrekrutowani", _number(numbers.volunteers_recruited)],
            [
                "Wolontariusze aktywni (co najmniej 1 zatwierdzona godzina)",
                _number(numbers.volunteers_active),
            ],
            ["Zatwierdzone godziny", _number(numbers.approved_hours)],
            ["Zadania opublikowane", _number(numbers.tasks_published)],
            ["Zadania odwołane", _number(numbers.tasks_cancelled)],
            ["Zadania obsadzone", _number(numbers.tasks_filled)],
            ["Wskaźnik obsadzenia zadań", _number(numbers.fill_rate)],
            ["Nieobecności wolontariuszy", _number(numbers.no_shows)],
            ["Udział osób niepełnoletnich", _number(numbers.minors_share)],
            ["Propozycje zadań przedstawione wolontariuszom", _number(numbers.proposals_made)],
            ["Propozycje przyjęte", _number(numbers.proposals_accepted)],
            [
                "Propozycje odrzucone lub wygasłe",
                _number(numbers.proposals_declined + numbers.proposals_expired),
            ],
            ["Wydane zaświadczenia", _number(numbers.certificates_issued)],
        ],
        (120, 50),
    )
    pdf.heading("Wolontariusze i godziny według dzielnic")
    pdf.image(_district_chart(districts), w=170)
    pdf.heading("Postęp etapów wdrożenia w placówkach")
    pdf.image(_stage_chart(branches), w=170)
    pdf.heading("Trend w czasie")
    pdf.image(_trend_chart(months), w=170)
    pdf.heading("Placówki i etapy wdrożenia")
    pdf.rows(
        ["Placówka", "Dzielnica", "Obecny etap", "Przeszkolona", "Rekrutacja", "Ewaluacja"],
        [
            [
                str(row["branch"]),
                str(row["district"] or "—"),
                STAGE_LABELS.get(row["current_stage"] or "", "—"),
                _number(row["trained_on"]),
                _number(row["recruiting_on"]),
                _number(row["evaluated_on"]),
            ]
            for row in branches
        ],
        (30, 28, 40, 24, 24, 24),
    )
    retention = [
        row
        for row in views.retention(state, Filters(), "edition")
        if row["period"] == str(edition.edition_id)
    ]
    if retention:
        row = retention[0]
        pdf.heading("Retencja wolontariuszy")
        pdf.multi_cell(
            0,
            6,
            f"Aktywni w tej edycji: {row['volunteers_active']}; "
            f"w tym powracający z wcześniejszych edycji: {row['returning_from_earlier']}; "
            f"aktywni ponownie w kolejnych edycjach: {row['returned_later']}.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(pdf.output())
