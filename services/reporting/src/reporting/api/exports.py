"""Exports: the open data, an edition's PDF report, and any view as CSV or XLSX."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response

from reporting import exports, reports
from reporting.api.common import CityAdmin, FiltersQuery, ServiceDep, Staff, scoped, today
from reporting.domain import views
from shared.problems import Problem
from shared.validation import SaneDate

router = APIRouter()
View = Literal[
    "summary", "breakdown", "timeseries", "retention", "branches", "monitoring", "messages"
]


_CSV: dict[int | str, dict[str, Any]] = {
    200: {"description": "CSV (RFC 4180)", "content": {"text/csv": {}}}
}


@router.get("/exports/open-data.csv", tags=["exports"], response_class=Response, responses=_CSV)
async def open_data(service: ServiceDep, _: CityAdmin) -> Response:
    """Anonymous aggregates per edition and district; counts under 3 are suppressed."""
    body = await asyncio.to_thread(exports.open_data_csv, await reports.current_state(service))
    return _download(body, "text/csv; charset=utf-8", "dane-otwarte.csv")


@router.get(
    "/exports/editions/{edition_id}/report.pdf",
    tags=["exports"],
    response_class=Response,
    responses={200: {"description": "PDF", "content": {"application/pdf": {}}}},
)
async def edition_report(edition_id: uuid.UUID, service: ServiceDep, _: CityAdmin) -> Response:
    """The edition report in Polish, with charts, for the city office."""
    state = await reports.current_state(service)
    edition = state.editions.get(edition_id)
    if edition is None:
        raise Problem(404, "Not found", f"reporting knows no edition '{edition_id}'")
    body = await asyncio.to_thread(exports.edition_report_pdf, state, edition, today())
    return _download(body, "application/pdf", f"raport-{edition.year}.pdf")


@router.get(
    "/exports/{view}.{fmt}",
    tags=["exports"],
    response_class=Response,
    responses={
        200: {
            "description": "CSV (RFC 4180) lub XLSX / CSV (RFC 4180) or XLSX",
            "content": {"text/csv": {}, exports.XLSX_MEDIA_TYPE: {}},
        }
    },
)
async def export_view(
    view: View,
    fmt: Literal["csv", "xlsx"],
    service: ServiceDep,
    principal: Staff,
    query: FiltersQuery,
    by: views.Dimension = "district",
    period: views.Period = "month",
    retention_by: Literal["edition", "month"] = "edition",
    trainer_id: uuid.UUID | None = None,
    as_of: SaneDate | None = None,
) -> Response:
    """Any view as CSV or XLSX, with the same filters as the view."""
    filters = scoped(query, principal)
    rows: list[dict[str, Any]]
    if view == "summary":
        rows = [(await reports.summary(service, filters)).__dict__]
    elif view == "breakdown":
        rows = await reports.breakdown(service, filters, by)
    elif view == "timeseries":
        rows = await reports.timeseries(service, filters, period)
    elif view == "messages":
        if "city_admin" not in principal.roles:
            raise Problem(403, "Forbidden", "messages are counted for the whole programme")
        rows = await reports.message_counts(service)
    elif view == "retention":
        rows = await reports.view_rows(service, "retention", filters, retention_by)
    elif view == "branches":
        rows = await reports.branch_stages(service, filters)
    else:
        rows = await reports.monitoring(service, filters, as_of or today(), trainer_id)
    if fmt == "csv":
        body = await asyncio.to_thread(exports.to_csv, rows)
        return _download(body, "text/csv; charset=utf-8", f"{view}.csv")
    body = await asyncio.to_thread(exports.to_xlsx, rows, view)
    return _download(body, exports.XLSX_MEDIA_TYPE, f"{view}.xlsx")


def _download(body: bytes, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
