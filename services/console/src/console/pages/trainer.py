"""The trainer's pages (/trener): the branches they support, each branch's stage timeline,
monitoring visits, the next stage, follow-ups due and branches at risk.

Registry holds enrolments, stages and visits; reporting computes follow-ups and risks. The
trainer's token limits both to the branches they are assigned to.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from console.i18n import N_, WARSAW
from console.pages._common import CSRF, Api, attempt, fields
from console.web import User, redirect, render, require_role

router = APIRouter()

Trainer = Annotated[User, Depends(require_role("trainer"))]

STAGES = {
    "trained": N_("Zespół przeszkolony"),
    "programme_prepared": N_("Program przygotowany"),
    "recruiting": N_("Rekrutacja wolontariuszy"),
    "volunteers_active": N_("Wolontariusze działają"),
    "evaluated": N_("Ewaluacja zakończona"),
}
RISKS = {
    "no_activity_30_days": N_("brak aktywności od ponad 30 dni"),
    "stage_stalled": N_("etap stoi w miejscu zbyt długo"),
}


def next_stage(current: str | None) -> str | None:
    order = list(STAGES)
    index = order.index(current) + 1 if current in order else 0
    return order[index] if index < len(order) else None


def today() -> str:
    return datetime.now(WARSAW).date().isoformat()


def page_helpers() -> dict[str, Any]:
    return {"stages": STAGES, "risks": RISKS}


@router.get("/trener")
async def dashboard(request: Request, user: Trainer, api: Api) -> Response:
    enrolments, monitoring = await asyncio.gather(
        api.get("registry", "/v1/enrolments", params={"status": "enrolled", "limit": 200}),
        api.get("reporting", "/v1/monitoring", params={"limit": 500}),
    )
    rows = monitoring["items"]
    return render(
        request,
        "trainer/dashboard.html",
        enrolments=enrolments["items"],
        names={item["branch"]["code"]: item["branch"]["name"] for item in enrolments["items"]},
        follow_ups=[row for row in rows if row["follow_ups_due"]],
        at_risk=[row for row in rows if row["at_risk"]],
        today=today(),
        **page_helpers(),
    )


@router.get("/trener/oddzialy/{enrolment_id}")
async def branch_page(
    request: Request, enrolment_id: uuid.UUID, user: Trainer, api: Api
) -> Response:
    base = f"/v1/enrolments/{enrolment_id}"
    enrolment, timeline, visits = await asyncio.gather(
        api.get("registry", base),
        api.get("registry", f"{base}/stages"),
        api.get("registry", "/v1/visits", params={"enrolment": str(enrolment_id), "limit": 100}),
    )
    return render(
        request,
        "trainer/branch.html",
        enrolment=enrolment,
        timeline=timeline,
        reached={record["stage"]: record for record in timeline},  # the latest of each
        visits=visits["items"],
        proposed_stage=next_stage(enrolment.get("stage")),
        today=today(),
        **page_helpers(),
    )


@router.post("/trener/oddzialy/{enrolment_id}/wizyty", dependencies=CSRF)
async def record_visit(
    request: Request, enrolment_id: uuid.UUID, user: Trainer, api: Api
) -> Response:
    form = await request.form()
    body = fields(form, "visited_on", "notes", "next_steps", "follow_up_on")
    await attempt(
        request,
        api.post("registry", f"/v1/enrolments/{enrolment_id}/visits", json=body),
        done=N_("Wizyta monitoringowa zapisana."),
        failed=N_("Nie zapisano wizyty."),
    )
    return redirect(f"/trener/oddzialy/{enrolment_id}")


@router.post("/trener/oddzialy/{enrolment_id}/etap", dependencies=CSRF)
async def reach_stage(
    request: Request, enrolment_id: uuid.UUID, user: Trainer, api: Api
) -> Response:
    body = fields(await request.form(), "stage", "reached_on", "reason")
    await attempt(
        request,
        api.post("registry", f"/v1/enrolments/{enrolment_id}/stages", json=body),
        done=N_("Etap zmieniony: {stage}."),
        failed=N_("Nie zmieniono etapu."),
        stage=STAGES.get(str(body["stage"]), str(body["stage"])),
    )
    return redirect(f"/trener/oddzialy/{enrolment_id}")
