"""The city office's pages (/miasto): editions, enrolment of branches (one at a time or from
a CSV file), trainers' assignment, and reports with charts and exports.

Registry owns editions, branches and enrolments; reporting the figures and the exports,
which these pages stream to the browser as the services send them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup, escape
from starlette.datastructures import UploadFile

from console.api import ApiClient, ApiError
from console.i18n import N_, local_date
from console.pages._common import (
    CSRF,
    Api,
    attempt,
    attempt_and_return,
    field,
    fields,
    flash_refusal,
)
from console.pages.coordinator._common import TASK_TYPES
from console.pages.trainer import STAGES
from console.web import (
    User,
    error_page,
    flash,
    language,
    page_text,
    redirect,
    render,
    require_role,
)

router = APIRouter()

CityOffice = Annotated[User, Depends(require_role("city_admin"))]

INSTITUTION_TYPES = {
    "library_branch": N_("Biblioteka"),
    "culture_centre": N_("Dom kultury"),
    "care_home": N_("Dom opieki"),
}
EDITION_STATUSES = {"planned": N_("planowana"), "open": N_("otwarta"), "closed": N_("zamknięta")}
DIMENSIONS = {
    "district": N_("Dzielnica"),
    "branch": N_("Oddział"),
    "edition": N_("Edycja"),
    "institution_type": N_("Rodzaj instytucji"),
    "task_type": N_("Rodzaj zadania"),
}
PERIODS = {"month": N_("Miesiąc"), "week": N_("Tydzień")}
EXPORT_VIEWS = {
    "summary": N_("Podsumowanie"),
    "breakdown": N_("Zestawienie"),
    "timeseries": N_("Przebieg w czasie"),
    "retention": N_("Powroty wolontariuszy"),
    "branches": N_("Etapy oddziałów"),
    "monitoring": N_("Monitoring"),
}
# The filters a report page passes on to reporting (and to its exports), nothing else.
REPORT_FILTERS = ("edition_id", "district", "branch", "institution_type", "task_type")
EXPORT_OPTIONS = (*REPORT_FILTERS, "date_from", "date_to", "by", "period")
MAX_CSV_BYTES = 5 * 1024 * 1024
IMPORT_KEY = "city_import_result"


def page_helpers() -> dict[str, Any]:
    return {
        "institution_types": INSTITUTION_TYPES,
        "edition_statuses": EDITION_STATUSES,
        "stages": STAGES,
        "dimensions": DIMENSIONS,
        "periods": PERIODS,
        "export_views": EXPORT_VIEWS,
        "task_types": TASK_TYPES,
    }


# -- charts -----------------------------------------------------------------------------------


def bar_chart(chart_id: str, title: str, bars: Sequence[tuple[str, float]], unit: str) -> Markup:
    """A horizontal bar chart as inline SVG; its title and a description listing every value
    are its text alternative (the table beside it holds the same figures)."""
    label_width, bar_width, row_height = 220, 380, 28
    largest = max((value for _, value in bars), default=0) or 1
    height = row_height * max(len(bars), 1) + 8
    described = "; ".join(f"{label}: {_number(value)} {unit}" for label, value in bars)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="100%" viewBox="0 0 {label_width + bar_width + 90} {height}" '
        f'aria-labelledby="{chart_id}-tytul {chart_id}-opis">',
        f'<title id="{chart_id}-tytul">{escape(title)}</title>',
        f'<desc id="{chart_id}-opis">{escape(described or "brak danych")}</desc>',
    ]
    for index, (label, value) in enumerate(bars):
        top = index * row_height + 4
        length = round(bar_width * value / largest) if value > 0 else 0
        middle = top + row_height / 2 + 5
        parts += [
            f'<text x="{label_width - 8}" y="{middle}" text-anchor="end" fill="#1b1b1b" '
            f'font-size="14">{escape(_shorten(label))}</text>',
            f'<rect x="{label_width}" y="{top + 4}" width="{length}" '
            f'height="{row_height - 8}" fill="#0a4f94"></rect>',
            f'<text x="{label_width + length + 6}" y="{middle}" fill="#1b1b1b" '
            f'font-size="14">{escape(_number(value))}</text>',
        ]
    parts.append("</svg>")
    return Markup("".join(parts))


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _shorten(label: str, limit: int = 28) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def as_float(value: Any) -> float:
    return float(Decimal(str(value))) if value is not None else 0.0


# -- the start page ---------------------------------------------------------------------------


@router.get("/miasto")
async def start(request: Request, user: CityOffice, api: Api) -> Response:
    editions, summary = await asyncio.gather(
        api.get("registry", "/v1/editions", params={"limit": 100}),
        api.get("reporting", "/v1/reports/summary"),
    )
    return render(
        request,
        "city/start.html",
        editions=editions["items"],
        summary=summary,
        **page_helpers(),
    )


# -- editions ---------------------------------------------------------------------------------


@router.get("/miasto/edycje")
async def editions(request: Request, user: CityOffice, api: Api) -> Response:
    found = await api.get("registry", "/v1/editions", params={"limit": 200})
    return render(request, "city/editions.html", editions=found["items"], **page_helpers())


@router.post("/miasto/edycje", dependencies=CSRF)
async def create_edition(request: Request, user: CityOffice, api: Api) -> Response:
    form = await request.form()
    body = {
        **fields(form, "year", "name", "starts_on", "ends_on"),
        "institution_type": field(form, "institution_type") or "library_branch",
    }
    edition = await attempt(
        request,
        api.post("registry", "/v1/editions", json=body),
        done=N_("Edycja utworzona (planowana). Otwórz ją, gdy zaczyna się nabór."),
        failed=N_("Nie utworzono edycji."),
    )
    return redirect(f"/miasto/edycje/{edition['id']}" if edition else "/miasto/edycje")


@router.post("/miasto/edycje/{edition_id}/otwarcie", dependencies=CSRF)
async def open_edition(
    request: Request, edition_id: uuid.UUID, user: CityOffice, api: Api
) -> Response:
    """Open a planned edition (registry allows one open edition per institution type)."""
    done, failed = N_("Edycja otwarta."), N_("Nie otwarto edycji.")
    return await _edition_step(request, api, edition_id, "open", done=done, failed=failed)


@router.post("/miasto/edycje/{edition_id}/zamkniecie", dependencies=CSRF)
async def close_edition(
    request: Request, edition_id: uuid.UUID, user: CityOffice, api: Api
) -> Response:
    done, failed = N_("Edycja zamknięta."), N_("Nie zamknięto edycji.")
    return await _edition_step(request, api, edition_id, "close", done=done, failed=failed)


async def _edition_step(
    request: Request, api: ApiClient, edition_id: uuid.UUID, step: str, *, done: str, failed: str
) -> Response:
    return await attempt_and_return(
        request,
        api.post("registry", f"/v1/editions/{edition_id}/{step}"),
        done=done,
        failed=failed,
        back=await _back(request, edition_id),
    )


async def _back(request: Request, edition_id: uuid.UUID) -> str:
    """Back to the edition's page when the form came from there, else to the list."""
    form = await request.form()
    edition_page = f"/miasto/edycje/{edition_id}"
    return edition_page if field(form, "wroc") == edition_page else "/miasto/edycje"


@router.get("/miasto/edycje/{edition_id}")
async def edition_page(
    request: Request, edition_id: uuid.UUID, user: CityOffice, api: Api
) -> Response:
    edition, enrolments, trainers, branches, monitoring = await asyncio.gather(
        api.get("registry", f"/v1/editions/{edition_id}"),
        api.get("registry", "/v1/enrolments", params={"edition": str(edition_id), "limit": 500}),
        api.get("registry", "/v1/trainers", params={"limit": 500}),
        api.get("registry", "/v1/branches", params={"limit": 500}),
        api.get(
            "reporting", "/v1/monitoring", params={"edition_id": str(edition_id), "limit": 1000}
        ),
    )
    trainer_names = {item["id"]: item["name"] for item in trainers["items"]}
    trainers_by_branch: dict[str, list[str]] = {}
    for row in monitoring["items"]:
        name = trainer_names.get(row["trainer_id"], row["trainer_id"][:8])
        trainers_by_branch.setdefault(row["branch"], []).append(name)
    enrolled = {item["branch"]["code"] for item in enrolments["items"]}
    return render(
        request,
        "city/edition.html",
        edition=edition,
        enrolments=enrolments["items"],
        trainers=trainers["items"],
        trainers_by_branch=trainers_by_branch,
        branches=[b for b in branches["items"] if b["code"] not in enrolled],
        **page_helpers(),
    )


@router.post("/miasto/edycje/{edition_id}/zapisy", dependencies=CSRF)
async def enrol_branch(
    request: Request, edition_id: uuid.UUID, user: CityOffice, api: Api
) -> Response:
    form = await request.form()
    body = {
        "branch_code": field(form, "branch_code"),
        "funding_pln": (field(form, "funding_pln") or "0").replace(",", "."),
    }
    return await attempt_and_return(
        request,
        api.post("registry", f"/v1/editions/{edition_id}/enrolments", json=body),
        done=N_("Oddział {code} zapisany do edycji."),
        failed=N_("Nie zapisano oddziału."),
        code=body["branch_code"] or "",
        back=f"/miasto/edycje/{edition_id}",
    )


@router.post("/miasto/zapisy/{enrolment_id}/trenerzy", dependencies=CSRF)
async def assign_trainer(
    request: Request, enrolment_id: uuid.UUID, user: CityOffice, api: Api
) -> Response:
    form = await request.form()
    await attempt(
        request,
        api.post(
            "registry",
            f"/v1/enrolments/{enrolment_id}/trainers",
            json={"trainer_id": field(form, "trainer_id")},
        ),
        done=N_("Trener przypisany do oddziału."),
        failed=N_("Nie przypisano trenera."),
    )
    edition = field(form, "edycja")
    return redirect(f"/miasto/edycje/{uuid.UUID(edition)}" if edition else "/miasto/edycje")


# -- branches and the CSV import --------------------------------------------------------------


@router.get("/miasto/oddzialy")
async def branches(request: Request, user: CityOffice, api: Api) -> Response:
    found = await api.get("registry", "/v1/branches", params={"limit": 500})
    return render(
        request,
        "city/branches.html",
        branches=found["items"],
        total=found["total"],
        result=request.session.pop(IMPORT_KEY, None),
        **page_helpers(),
    )


@router.post("/miasto/oddzialy/import", dependencies=CSRF)
async def import_branches(request: Request, user: CityOffice, api: Api) -> Response:
    """The uploaded file's text goes to registry as text/csv; its answer (what was created,
    updated, unchanged, and the lines with errors) is shown on the next page."""
    form = await request.form()
    upload = form.get("plik")
    if not isinstance(upload, UploadFile) or not upload.filename:
        flash(request, "Wybierz plik CSV z oddziałami.", kind="error")
        return redirect("/miasto/oddzialy")
    content = await upload.read(MAX_CSV_BYTES + 1)
    if len(content) > MAX_CSV_BYTES:
        flash(request, "Plik jest większy niż 5 MB — podziel go na części.", kind="error")
        return redirect("/miasto/oddzialy")
    try:
        result = await api.post(
            "registry",
            "/v1/branches/import",
            content=content,
            headers={"content-type": "text/csv; charset=utf-8"},
        )
    except ApiError as error:
        if error.status == 401:
            raise
        flash_refusal(request, error, N_("Nie zaimportowano pliku."))
        return redirect("/miasto/oddzialy")
    request.session[IMPORT_KEY] = import_summary(result)
    flash(request, "Import zakończony.", kind="success")
    return redirect("/miasto/oddzialy")


def import_summary(result: Mapping[str, Any], shown_errors: int = 20) -> dict[str, Any]:
    """What the page shows of an import: counts, and the first lines with errors (the
    session cookie has room for a summary, not for a whole file's report)."""
    errors = result.get("errors") or []
    return {
        "created": len(result.get("created") or []),
        "updated": len(result.get("updated") or []),
        "unchanged": len(result.get("unchanged") or []),
        "error_count": len(errors),
        "errors": [
            {
                "line": item.get("line"),
                "code": item.get("code"),
                "errors": "; ".join(item.get("errors") or []),
            }
            for item in errors[:shown_errors]
        ],
    }


# -- reports and exports ----------------------------------------------------------------------


def report_filters(request: Request) -> dict[str, str]:
    """The report's filters from the page's query (empty ones dropped)."""
    query = request.query_params
    return {name: query[name] for name in EXPORT_OPTIONS if query.get(name)}


@router.get("/miasto/raporty")
async def reports(request: Request, user: CityOffice, api: Api) -> Response:
    chosen = report_filters(request)
    by = chosen.get("by", "district")
    by = by if by in DIMENSIONS else "district"
    period = chosen.get("period", "month")
    period = period if period in PERIODS else "month"
    filters = {name: value for name, value in chosen.items() if name in REPORT_FILTERS}
    summary, breakdown, timeseries, editions = await asyncio.gather(
        api.get("reporting", "/v1/reports/summary", params=filters),
        api.get("reporting", "/v1/reports/breakdown", params={**filters, "by": by}),
        api.get("reporting", "/v1/reports/timeseries", params={**filters, "period": period}),
        api.get("registry", "/v1/editions", params={"limit": 100}),
    )
    rows = breakdown["items"]
    for row in rows:
        key = row.get("key")
        row["name"] = row.get("label") or TASK_TYPES.get(key or "", key or "—")
    periods = timeseries["items"]
    lang = language(request)
    period_bars = [
        (local_date(lang, period["period_start"]), as_float(period["approved_hours"]))
        for period in periods
    ]
    hours_title, unit = page_text(request, "Zatwierdzone godziny"), page_text(request, "godz.")
    return render(
        request,
        "city/reports.html",
        summary=summary,
        breakdown=rows,
        timeseries=periods,
        editions=editions["items"],
        chosen=chosen,
        by=by,
        period=period,
        breakdown_chart=bar_chart(
            "wykres-zestawienie",
            f"{hours_title} — {page_text(request, DIMENSIONS[by]).lower()}",
            [(page_text(request, row["name"]), as_float(row["approved_hours"])) for row in rows],
            unit,
        ),
        timeseries_chart=bar_chart(
            "wykres-przebieg",
            f"{hours_title} — {page_text(request, PERIODS[period]).lower()}",
            period_bars,
            unit,
        ),
        export_query=chosen,
        **page_helpers(),
    )


@router.get("/miasto/eksport/dane-otwarte.csv")
async def open_data(request: Request, user: CityOffice, api: Api) -> Response:
    return await api.stream("reporting", "/v1/exports/open-data.csv")


@router.get("/miasto/eksport/edycje/{edition_id}/raport.pdf")
async def edition_report(
    request: Request, edition_id: uuid.UUID, user: CityOffice, api: Api
) -> Response:
    return await api.stream("reporting", f"/v1/exports/editions/{edition_id}/report.pdf")


@router.get("/miasto/eksport/{view}.{fmt}")
async def export_view(
    request: Request, view: str, fmt: str, user: CityOffice, api: Api
) -> Response:
    """Any report view as CSV or XLSX, with the page's filters."""
    if view not in EXPORT_VIEWS or fmt not in ("csv", "xlsx"):
        return error_page(request, 404)
    return await api.stream(
        "reporting", f"/v1/exports/{view}.{fmt}", params=report_filters(request)
    )
