"""Training and the coordinators' forum.

- The trainer (/trener/szkolenia): the modules and forum meetings of the editions their
  branches take part in, each session with who attended for which branch, attendance
  taken for a branch's coordinator, and a forum meeting's notes.
- The coordinator (/koordynator/szkolenia): the training calendar with the branch's own
  attendance and what is still missing before the branch counts as trained.
- Everyone on staff (/program/forum): the forum meetings with their notes, and who mentors
  which branch.

Registry owns modules, sessions, attendance, notes and mentors.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from console.api import ApiClient
from console.i18n import N_
from console.pages._common import CSRF, Api, attempt_and_return, field
from console.pages.coordinator._common import (
    Coordinator,
    branch_place,
    choose_branch_page,
    chosen_branch,
)
from console.pages.programme_documents import branch_enrolment
from console.pages.trainer import Trainer
from console.web import User, render, require_role

router = APIRouter()

AnyStaff = Annotated[User, Depends(require_role("trainer", "coordinator"))]
KINDS = {"module": N_("Moduł szkolenia"), "forum": N_("Forum koordynatorów")}


async def enrolled(api: ApiClient) -> list[dict[str, Any]]:
    """The enrolments the caller may see (registry limits them to their branches)."""
    page = await api.get("registry", "/v1/enrolments", params={"status": "enrolled", "limit": 500})
    return list(page["items"])


async def calendar(
    api: ApiClient, edition_ids: set[str], *, attendance: bool = True
) -> list[dict[str, Any]]:
    """Every session of the editions' modules and forum meetings, by date, with its module
    and (when asked) who attended for the branches the caller may see."""
    module_lists = await asyncio.gather(
        *(api.get("registry", f"/v1/editions/{edition}/modules") for edition in sorted(edition_ids))
    )
    modules = [module for found in module_lists for module in found]
    session_lists = await asyncio.gather(
        *(api.get("registry", f"/v1/modules/{module['id']}/sessions") for module in modules)
    )
    sessions = [
        {**session, "module": module}
        for module, found in zip(modules, session_lists, strict=True)
        for session in found
    ]
    if attendance:
        lists = await asyncio.gather(
            *(api.get("registry", f"/v1/sessions/{s['id']}/attendance") for s in sessions)
        )
        for session, present in zip(sessions, lists, strict=True):
            session["attendance"] = present
    return sorted(sessions, key=lambda session: session["held_on"])


# -- the trainer -------------------------------------------------------------------------------


@router.get("/trener/szkolenia")
async def trainer_training(request: Request, user: Trainer, api: Api) -> Response:
    enrolments = await enrolled(api)
    sessions, coordinators = await asyncio.gather(
        calendar(api, {item["edition_id"] for item in enrolments}),
        asyncio.gather(
            *(
                api.get("registry", f"/v1/branches/{item['branch']['code']}/coordinators")
                for item in enrolments
            )
        ),
    )
    # One choice per branch's coordinator: who attended, on behalf of which branch.
    people = [
        (f"{item['branch']['code']}|{person['staff']['id']}",
         f"{person['staff']['name']} — {item['branch']['name']}")
        for item, found in zip(enrolments, coordinators, strict=True)
        for person in found
    ]  # fmt: skip
    names = {item["branch"]["code"]: item["branch"]["name"] for item in enrolments}
    return render(
        request,
        "trainer/training.html",
        sessions=sessions,
        people=people,
        names=names,
        kinds=KINDS,
    )


@router.post("/trener/szkolenia/{session_id}/obecnosc", dependencies=CSRF)
async def take_attendance(
    request: Request, session_id: uuid.UUID, user: Trainer, api: Api
) -> Response:
    chosen = field(await request.form(), "uczestnik") or ""
    branch_code, _, staff_id = chosen.partition("|")
    return await attempt_and_return(
        request,
        api.post(
            "registry",
            f"/v1/sessions/{session_id}/attendance",
            json={"branch_code": branch_code or None, "staff_id": staff_id or None},
        ),
        done=N_("Obecność zapisana."),
        failed=N_("Nie zapisano obecności."),
        back=f"/trener/szkolenia#spotkanie-{session_id}",
    )


@router.post("/trener/szkolenia/{session_id}/notatki", dependencies=CSRF)
async def keep_notes(request: Request, session_id: uuid.UUID, user: Trainer, api: Api) -> Response:
    notes = field(await request.form(), "notes")
    return await attempt_and_return(
        request,
        api.put("registry", f"/v1/sessions/{session_id}/notes", json={"notes": notes}),
        done=N_("Notatki ze spotkania zapisane."),
        failed=N_("Nie zapisano notatek."),
        back=f"/trener/szkolenia#spotkanie-{session_id}",
    )


# -- the coordinator ---------------------------------------------------------------------------


@router.get("/koordynator/szkolenia")
async def coordinator_training(request: Request, user: Coordinator, api: Api) -> Response:
    branch = chosen_branch(request, user)
    if branch is None:
        return await choose_branch_page(request, user, api)
    enrolment = await branch_enrolment(api, branch)
    sessions: list[dict[str, Any]] = []
    progress = None
    if enrolment is not None:
        sessions, progress = await asyncio.gather(
            calendar(api, {enrolment["edition_id"]}),
            api.get("registry", f"/v1/enrolments/{enrolment['id']}/training"),
        )
    for session in sessions:
        session["ours"] = [row for row in session["attendance"] if row["branch_code"] == branch]
    return render(
        request,
        "coordinator/training.html",
        branch=branch,
        place=await branch_place(api, branch),
        enrolment=enrolment,
        sessions=sessions,
        progress=progress,
        kinds=KINDS,
    )


# -- the forum and mentors ---------------------------------------------------------------------


@router.get("/program/forum")
async def forum(request: Request, user: AnyStaff, api: Api) -> Response:
    enrolments = await enrolled(api)
    sessions, teams = await asyncio.gather(
        calendar(api, {item["edition_id"] for item in enrolments}, attendance=False),
        asyncio.gather(
            *(api.get("registry", f"/v1/enrolments/{item['id']}/team") for item in enrolments)
        ),
    )
    mentoring = [
        {"branch": item["branch"], "mentors": team["mentors"], "coordinators": team["coordinators"]}
        for item, team in zip(enrolments, teams, strict=True)
        if team["mentors"]
    ]
    return render(
        request,
        "forum.html",
        meetings=[s for s in sessions if s["module"]["kind"] == "forum"],
        mentoring=mentoring,
    )
