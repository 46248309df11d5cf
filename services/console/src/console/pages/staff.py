"""The city office's people and progress pages.

- /miasto/kadra: staff accounts (coordinators, by branch) and trainers; a new account,
  a coordinator assigned to a branch, a mentor to an enrolled branch, an administrator to a
  district library (who then sees and applies for its branches at /dyrekcja).
- /miasto/etapy: the programme's stages across branches, those at risk first.

Registry owns people and assignments; reporting computes the risks.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.api import ApiClient
from console.i18n import N_
from console.pages._common import CSRF, Api, attempt_and_return, field, fields
from console.pages.city import CityOffice
from console.pages.trainer import RISKS, STAGES
from console.web import render

router = APIRouter()

MANY = {"limit": 500}


@router.get("/miasto/kadra")
async def staff_page(request: Request, user: CityOffice, api: Api) -> Response:
    staff, trainers, branches, enrolments, coordinators = await asyncio.gather(
        api.get("registry", "/v1/staff", params=MANY),
        api.get("registry", "/v1/trainers", params=MANY),
        api.get("registry", "/v1/branches", params=MANY),
        api.get("registry", "/v1/enrolments", params={**MANY, "status": "enrolled"}),
        api.get("registry", "/v1/coordinators"),
    )
    by_branch: dict[str, list[dict[str, Any]]] = {}
    for row in coordinators:
        by_branch.setdefault(row["branch_id"], []).append(row["staff"])
    libraries = await district_libraries(api)
    people = [person for person in staff["items"] if person["email"]]  # not the erased
    return render(
        request,
        "city/staff.html",
        staff_choices=[(person["id"], person["name"]) for person in people],
        branch_choices=[(b["code"], f"{b['name']}, {b['address']}") for b in branches["items"]],
        enrolment_choices=[(e["id"], e["branch"]["name"]) for e in enrolments["items"]],
        trainers=trainers["items"],
        libraries=libraries,
        branches=[
            {"branch": branch, "coordinators": by_branch.get(branch["id"], [])}
            for branch in branches["items"]
        ],
    )


@router.post("/miasto/kadra/konta", dependencies=CSRF)
async def create_account(request: Request, user: CityOffice, api: Api) -> Response:
    form = await request.form()
    kind = "trainers" if field(form, "rola") == "trener" else "staff"
    body = {
        key: value
        for key, value in fields(form, "name", "email", "subject", "organisation").items()
        if value is not None and (key != "organisation" or kind == "trainers")
    }
    return await attempt_and_return(
        request,
        api.post("registry", f"/v1/{kind}", json=body),
        done=N_("Konto {name} utworzone."),
        failed=N_("Nie utworzono konta."),
        name=body.get("name", ""),
        back="/miasto/kadra",
    )


async def assign_person(
    request: Request, api: ApiClient, *, path: str, target: str, done: str, failed: str
) -> Response:
    """Assign the chosen person (``staff_id``) to what the form's ``target`` names: ``path``
    with it in place of ``{}``."""
    form = await request.form()
    return await attempt_and_return(
        request,
        api.post(
            "registry",
            path.format(field(form, target) or ""),
            json={"staff_id": field(form, "staff_id")},
        ),
        done=done,
        failed=failed,
        back="/miasto/kadra",
    )


@router.post("/miasto/kadra/koordynatorzy", dependencies=CSRF)
async def assign_coordinator(request: Request, user: CityOffice, api: Api) -> Response:
    return await assign_person(
        request,
        api,
        path="/v1/branches/{}/coordinators",
        target="branch_code",
        done=N_("Koordynator przypisany do oddziału."),
        failed=N_("Nie przypisano koordynatora."),
    )


@router.post("/miasto/kadra/mentorzy", dependencies=CSRF)
async def assign_mentor(request: Request, user: CityOffice, api: Api) -> Response:
    return await assign_person(
        request,
        api,
        path="/v1/enrolments/{}/mentors",
        target="enrolment_id",
        done=N_("Mentor przypisany do oddziału."),
        failed=N_("Nie przypisano mentora."),
    )


async def district_libraries(api: ApiClient) -> list[dict[str, Any]]:
    """The district libraries, each with the people who administer it now."""
    found = await api.get("registry", "/v1/organisations")
    libraries = [o for o in found if o["institution_type"] == "library_branch"]
    by_library: dict[str, list[str]] = {}
    for row in await api.get("registry", "/v1/administrators"):
        by_library.setdefault(row["organisation_id"], []).append(row["staff"]["name"])
    return [
        {"organisation": library, "administrators": by_library.get(library["id"], [])}
        for library in libraries
    ]


@router.post("/miasto/kadra/dyrekcje", dependencies=CSRF)
async def assign_administrator(request: Request, user: CityOffice, api: Api) -> Response:
    return await assign_person(
        request,
        api,
        path="/v1/organisations/{}/administrators",
        target="organisation_id",
        done=N_("Osoba przypisana do dyrekcji biblioteki dzielnicowej."),
        failed=N_("Nie przypisano osoby do dyrekcji biblioteki."),
    )


def at_risk_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Branches at risk first (most reasons first), then the least advanced."""
    order = list(STAGES)

    def key(row: dict[str, Any]) -> tuple[int, int, int, str]:
        stage = row.get("current_stage")
        position = order.index(stage) if stage in order else -1
        return (0 if row["at_risk"] else 1, -len(row["risks"]), position, row["branch"])

    return sorted(rows, key=key)


@router.get("/miasto/etapy")
async def stages_page(request: Request, user: CityOffice, api: Api) -> Response:
    monitoring, enrolments = await asyncio.gather(
        api.get("reporting", "/v1/monitoring", params={"limit": 1000}),
        api.get("registry", "/v1/enrolments", params={**MANY, "status": "enrolled"}),
    )
    # One row per branch (reporting has one per trainer and branch).
    rows: dict[str, dict[str, Any]] = {}
    for row in monitoring["items"]:
        rows.setdefault(row["branch"], row)
    names = {item["branch"]["code"]: item["branch"] for item in enrolments["items"]}
    return render(
        request,
        "city/stages.html",
        rows=at_risk_first(list(rows.values())),
        names=names,
        stages=STAGES,
        risks=RISKS,
    )
