"""A district library's administrator (/dyrekcja): the library's branches with their
enrolment, stage and coordinators, and the calls for applications, where they apply for any
of the library's branches and amend what the city office sent back.

Registry says which branches are the library's (those of the organisations the city office
assigned the person to administer) and refuses anything about another library's branch;
the refusal is shown here as a sentence, and nothing changes.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from console.api import ApiClient
from console.i18n import N_
from console.pages._common import CSRF, Api, field
from console.pages.applications import (
    APPLICATION_STATUSES,
    amend_and_return,
    apply_and_return,
    call_of,
    today,
)
from console.pages.coordinator._common import TASK_TYPES
from console.pages.trainer import STAGES
from console.web import User, render, require_role

router = APIRouter()

DistrictAdmin = Annotated[User, Depends(require_role("district_admin"))]
ENROLMENT_STATUSES = {"enrolled": N_("w programie"), "withdrawn": N_("wycofany")}
MANY = {"limit": 500}


def page_helpers() -> dict[str, Any]:
    return {
        "application_statuses": APPLICATION_STATUSES,
        "enrolment_statuses": ENROLMENT_STATUSES,
        "stages": STAGES,
        "task_types": TASK_TYPES,
    }


async def library_branches(api: ApiClient) -> list[dict[str, Any]]:
    """The branches the person acts for, as registry scopes them."""
    found = await api.get("registry", "/v1/branches", params=MANY)
    return list(found["items"])


@router.get("/dyrekcja")
async def branches_page(request: Request, user: DistrictAdmin, api: Api) -> Response:
    branches, enrolments = await asyncio.gather(
        library_branches(api), api.get("registry", "/v1/enrolments", params=MANY)
    )
    coordinators = await asyncio.gather(
        *(api.get("registry", f"/v1/branches/{b['code']}/coordinators") for b in branches)
    )
    # The latest enrolment of each branch (the list is oldest first).
    enrolled = {item["branch"]["code"]: item for item in enrolments["items"]}
    return render(
        request,
        "district/branches.html",
        libraries=sorted({b["district_library"] for b in branches if b["district_library"]}),
        rows=[
            {
                "branch": branch,
                "enrolment": enrolled.get(branch["code"]),
                "coordinators": [row["staff"]["name"] for row in found],
            }
            for branch, found in zip(branches, coordinators, strict=True)
        ],
        **page_helpers(),
    )


@router.get("/dyrekcja/nabor")
async def calls_page(request: Request, user: DistrictAdmin, api: Api) -> Response:
    # A call may run before its edition opens: planned and open editions both count.
    found, applied = await asyncio.gather(
        api.get("registry", "/v1/editions", params={"limit": 50}),
        api.get("registry", "/v1/applications"),
    )
    current = [e for e in found["items"] if e["status"] != "closed"]
    terms = await asyncio.gather(*(call_of(api, e["id"]) for e in current))
    calls = [
        {
            "edition": edition,
            "call": call,
            "applications": [a for a in applied if a["edition_id"] == edition["id"]],
        }
        for edition, call in zip(current, terms, strict=True)
        if call is not None
    ]
    listed = {edition["id"] for edition in current}
    return render(
        request,
        "district/calls.html",
        calls=calls,
        earlier=[a for a in applied if a["edition_id"] not in listed],
        **page_helpers(),
    )


@router.get("/dyrekcja/nabor/{edition_id}")
async def apply_page(
    request: Request, edition_id: uuid.UUID, user: DistrictAdmin, api: Api
) -> Response:
    """The form: a branch of the library that has not applied to this edition yet."""
    edition, call, applied, branches = await asyncio.gather(
        api.get("registry", f"/v1/editions/{edition_id}"),
        call_of(api, str(edition_id)),
        api.get("registry", "/v1/applications", params={"edition": str(edition_id)}),
        library_branches(api),
    )
    taken = {application["branch_code"] for application in applied}
    return render(
        request,
        "district/apply.html",
        edition=edition,
        call=call,
        branch_choices=[
            (b["code"], f"{b['name']}, {b['address']}") for b in branches if b["code"] not in taken
        ],
        today=today(),
        **page_helpers(),
    )


@router.get("/dyrekcja/wnioski/{application_id}")
async def application_page(
    request: Request, application_id: uuid.UUID, user: DistrictAdmin, api: Api
) -> Response:
    application = await api.get("registry", f"/v1/applications/{application_id}")
    return render(
        request,
        "district/application.html",
        application=application,
        call=await call_of(api, application["edition_id"]),
        **page_helpers(),
    )


@router.post("/dyrekcja/nabor/{edition_id}", dependencies=CSRF)
async def apply(request: Request, edition_id: uuid.UUID, user: DistrictAdmin, api: Api) -> Response:
    """For the branch chosen in the form: registry refuses another library's branch."""
    code = field(await request.form(), "branch_code")
    return await apply_and_return(request, api, edition_id, code, back="/dyrekcja/nabor")


@router.post("/dyrekcja/wnioski/{application_id}", dependencies=CSRF)
async def amend(
    request: Request, application_id: uuid.UUID, user: DistrictAdmin, api: Api
) -> Response:
    back = f"/dyrekcja/wnioski/{application_id}"
    return await amend_and_return(request, api, application_id, back=back)
