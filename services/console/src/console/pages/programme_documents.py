"""What a branch writes in the programme, and who reviews it.

- The coordinator (/koordynator/program, /koordynator/sprawozdanie): the branch's volunteer
  programme, section by section, submitted for review with the trainer's comments beside
  it; the annual report, its first draft filled from the figures reporting already has for
  the branch (volunteers, approved hours, tasks by kind), then edited and submitted.
- The trainer (/trener/dokumenty, /trener/oddzialy/{id}/program|sprawozdanie): programmes
  and reports waiting for review; a comment, sending a document back for changes,
  accepting a programme.

Registry owns the documents and the comments; reporting the figures.
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.api import ApiClient, ApiError
from console.i18n import N_
from console.pages._common import CSRF, Api, attempt_and_return, field, fields
from console.pages.coordinator._common import (
    TASK_TYPES,
    Coordinator,
    branch_place,
    choose_branch_page,
    chosen_branch,
)
from console.pages.trainer import STAGES, Trainer, today
from console.web import error_page, render

router = APIRouter()

# The documents by the word their pages use in the address.
DOCUMENTS = {"program": "programme", "sprawozdanie": "report"}
DOCUMENT_NAMES = {
    "programme": N_("Program wolontariatu"),
    "report": N_("Sprawozdanie roczne"),
}
DOCUMENT_STATUSES = {
    "draft": N_("szkic"),
    "submitted": N_("złożony, czeka na ocenę"),
    "accepted": N_("zaakceptowany"),
}
PROGRAMME_SECTIONS = {
    "spaces": N_("Miejsca pracy wolontariuszy"),
    "hours_available": N_("Dni i godziny dla wolontariuszy"),
    "volunteer_profiles": N_("Kogo szukamy"),
    "welcome_and_care": N_("Powitanie i opieka nad wolontariuszami"),
}
REPORT_FIELDS = ("summary", "volunteers_count", "volunteer_hours", "conclusions", "spent_pln")


def page_helpers() -> dict[str, Any]:
    return {
        "document_names": DOCUMENT_NAMES,
        "document_statuses": DOCUMENT_STATUSES,
        "sections": PROGRAMME_SECTIONS,
        "task_types": TASK_TYPES,
        "stages": STAGES,
    }


async def optional(api: ApiClient, service: str, path: str) -> Any | None:
    """The resource, or None when the service has none yet (404)."""
    try:
        return await api.get(service, path)
    except ApiError as error:
        if error.status == 404:
            return None
        raise


async def branch_enrolment(api: ApiClient, branch: str) -> dict[str, Any] | None:
    """The branch's enrolment in the programme (the latest edition it takes part in)."""
    page = await api.get("registry", "/v1/enrolments", params={"status": "enrolled", "limit": 200})
    own = [item for item in page["items"] if item["branch"]["code"] == branch]
    return own[-1] if own else None


# -- the coordinator ---------------------------------------------------------------------------


@router.get("/koordynator/program")
async def programme_page(request: Request, user: Coordinator, api: Api) -> Response:
    branch = chosen_branch(request, user)
    if branch is None:
        return await choose_branch_page(request, user, api)
    enrolment = await branch_enrolment(api, branch)
    programme = comments = None
    if enrolment is not None:
        base = f"/v1/enrolments/{enrolment['id']}/programme"
        programme, comments = await asyncio.gather(
            optional(api, "registry", base), api.get("registry", f"{base}/comments")
        )
    return render(
        request,
        "coordinator/programme.html",
        branch=branch,
        place=await branch_place(api, branch),
        enrolment=enrolment,
        programme=programme,
        comments=comments or [],
        **page_helpers(),
    )


@router.post("/koordynator/program/{enrolment_id}", dependencies=CSRF)
async def save_programme(
    request: Request, enrolment_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    form = await request.form()
    body = {
        **{name: field(form, name) for name in PROGRAMME_SECTIONS},
        "task_types": [value for value in form.getlist("task_types") if value in TASK_TYPES],
    }
    return await attempt_and_return(
        request,
        api.put("registry", f"/v1/enrolments/{enrolment_id}/programme", json=body),
        done=N_("Program zapisany jako szkic."),
        failed=N_("Nie zapisano programu."),
        back="/koordynator/program",
    )


@router.post("/koordynator/program/{enrolment_id}/zlozenie", dependencies=CSRF)
async def submit_programme(
    request: Request, enrolment_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    return await attempt_and_return(
        request,
        api.post("registry", f"/v1/enrolments/{enrolment_id}/programme/submit", json={}),
        done=N_("Program złożony; trener oceni go na tej stronie."),
        failed=N_("Nie złożono programu."),
        back="/koordynator/program",
    )


async def report_draft(api: ApiClient, branch: str, edition_id: str) -> dict[str, Any]:
    """A first draft from the branch's figures in reporting: active volunteers, approved
    hours, and the tasks by kind."""
    params = {"branch": branch, "edition_id": edition_id}
    summary, breakdown = await asyncio.gather(
        api.get("reporting", "/v1/reports/summary", params=params),
        api.get("reporting", "/v1/reports/breakdown", params={**params, "by": "task_type"}),
    )
    kinds = [row for row in breakdown["items"] if row.get("tasks_published")]
    return {
        "summary": "",
        "volunteers_count": summary.get("volunteers_active") or 0,
        "volunteer_hours": str(Decimal(str(summary.get("approved_hours") or 0))),
        "tasks_carried_out": [
            {"kind": row["key"], "tasks": row["tasks_published"], "hours": row["approved_hours"]}
            for row in kinds
        ],
        "conclusions": "",
        "spent_pln": None,
        "status": None,
    }


@router.get("/koordynator/sprawozdanie")
async def report_page(request: Request, user: Coordinator, api: Api) -> Response:
    branch = chosen_branch(request, user)
    if branch is None:
        return await choose_branch_page(request, user, api)
    enrolment = await branch_enrolment(api, branch)
    report = comments = draft = None
    if enrolment is not None:
        base = f"/v1/enrolments/{enrolment['id']}/report"
        report, comments = await asyncio.gather(
            optional(api, "registry", base), api.get("registry", f"{base}/comments")
        )
        if report is None:
            draft = await report_draft(api, branch, enrolment["edition_id"])
    return render(
        request,
        "coordinator/report.html",
        branch=branch,
        place=await branch_place(api, branch),
        enrolment=enrolment,
        report=report,
        draft=draft,
        comments=comments or [],
        **page_helpers(),
    )


def kind_lines(form: Any) -> list[str]:
    """The report's "tasks carried out": one line each, as the coordinator wrote them."""
    text = field(form, "tasks_carried_out") or ""
    return [line.strip() for line in text.splitlines() if line.strip()]


@router.post("/koordynator/sprawozdanie/{enrolment_id}", dependencies=CSRF)
async def save_report(
    request: Request, enrolment_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    form = await request.form()
    body: dict[str, Any] = {**fields(form, *REPORT_FIELDS), "tasks_carried_out": kind_lines(form)}
    for name in ("volunteer_hours", "spent_pln"):
        if body[name]:
            body[name] = str(body[name]).replace(",", ".").replace(" ", "")
    return await attempt_and_return(
        request,
        api.put("registry", f"/v1/enrolments/{enrolment_id}/report", json=body),
        done=N_("Sprawozdanie zapisane jako szkic."),
        failed=N_("Nie zapisano sprawozdania."),
        back="/koordynator/sprawozdanie",
    )


@router.post("/koordynator/sprawozdanie/{enrolment_id}/zlozenie", dependencies=CSRF)
async def submit_report(
    request: Request, enrolment_id: uuid.UUID, user: Coordinator, api: Api
) -> Response:
    return await attempt_and_return(
        request,
        api.post("registry", f"/v1/enrolments/{enrolment_id}/report/submit", json={}),
        done=N_("Sprawozdanie złożone."),
        failed=N_("Nie złożono sprawozdania."),
        back="/koordynator/sprawozdanie",
    )


# -- the trainer -------------------------------------------------------------------------------


@router.get("/trener/dokumenty")
async def documents_page(request: Request, user: Trainer, api: Api) -> Response:
    programmes, reports = await asyncio.gather(
        api.get("registry", "/v1/documents/programme"),
        api.get("registry", "/v1/documents/report"),
    )
    # What waits for the trainer first, then the rest by state.
    order = {"submitted": 0, "draft": 1, "accepted": 2}
    return render(
        request,
        "trainer/documents.html",
        programmes=sorted(programmes, key=lambda row: order.get(row["status"], 3)),
        reports=sorted(reports, key=lambda row: order.get(row["status"], 3)),
        **page_helpers(),
    )


@router.get("/trener/oddzialy/{enrolment_id}/{word}")
async def document_page(
    request: Request, enrolment_id: uuid.UUID, word: str, user: Trainer, api: Api
) -> Response:
    document = DOCUMENTS.get(word)
    if document is None:
        return error_page(request, 404)
    base = f"/v1/enrolments/{enrolment_id}"
    enrolment, written, comments = await asyncio.gather(
        api.get("registry", base),
        optional(api, "registry", f"{base}/{document}"),
        api.get("registry", f"{base}/{document}/comments"),
    )
    return render(
        request,
        "trainer/document.html",
        enrolment=enrolment,
        document=document,
        word=word,
        written=written,
        comments=comments,
        today=today(),
        **page_helpers(),
    )


@router.post("/trener/oddzialy/{enrolment_id}/{word}/uwagi", dependencies=CSRF)
async def comment(
    request: Request, enrolment_id: uuid.UUID, word: str, user: Trainer, api: Api
) -> Response:
    document = DOCUMENTS.get(word)
    if document is None:
        return error_page(request, 404)
    form = await request.form()
    back = field(form, "do_poprawy") == "tak"
    return await attempt_and_return(
        request,
        api.post(
            "registry",
            f"/v1/enrolments/{enrolment_id}/{document}/comments",
            json={"body": field(form, "body"), "return_for_changes": back},
        ),
        done=N_("Uwagi zapisane; dokument wrócił do koordynatora do poprawy.")
        if back
        else N_("Uwagi zapisane."),
        failed=N_("Nie zapisano uwag."),
        back=f"/trener/oddzialy/{enrolment_id}/{word}",
    )


@router.post("/trener/oddzialy/{enrolment_id}/program/akceptacja", dependencies=CSRF)
async def accept_programme(
    request: Request, enrolment_id: uuid.UUID, user: Trainer, api: Api
) -> Response:
    return await attempt_and_return(
        request,
        api.post("registry", f"/v1/enrolments/{enrolment_id}/programme/accept", json={}),
        done=N_("Program zaakceptowany."),
        failed=N_("Nie zaakceptowano programu."),
        back=f"/trener/oddzialy/{enrolment_id}/program",
    )
