"""Districts, organisations, branches, editions and enrolments."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from registry import branches, editions, enrolments, imports
from registry.access import ensure_in_scope, scope_of
from registry.api.common import (
    Admin,
    Limit,
    Offset,
    PageView,
    RegistryRoute,
    ServiceDep,
    Staff,
    page_of,
)
from registry.commands import (
    BranchChanges,
    BranchDetails,
    DistrictSlug,
    EditionChanges,
    EditionDetails,
    Enrol,
    EnrolmentChanges,
    Withdraw,
)
from registry.domain.editions import EditionStatus, EnrolmentStatus, InstitutionType
from registry.domain.stages import Stage
from registry.tables import Branch, Enrolment, Organisation
from shared.problems import Problem
from shared.service import Service
from shared.unit_of_work import UnitOfWork

router = APIRouter(prefix="/v1", route_class=RegistryRoute)


# -- views ---------------------------------------------------------------------------------


class DistrictView(BaseModel):
    slug: str
    name: str
    district_library: str


class OrganisationView(BaseModel):
    id: uuid.UUID
    name: str
    district: str
    institution_type: str


class OpeningHoursView(BaseModel):
    weekday: int
    opens: str
    closes: str


class BranchView(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    institution_type: InstitutionType
    district: str
    organisation_id: uuid.UUID | None
    district_library: str | None
    address: str
    opening_hours: list[OpeningHoursView]
    volunteer_spaces: int
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    created_at: datetime
    updated_at: datetime


class EditionView(BaseModel):
    id: uuid.UUID
    year: int
    name: str
    institution_type: InstitutionType
    starts_on: date
    ends_on: date
    status: EditionStatus
    opened_at: datetime | None
    closed_at: datetime | None


class BranchSummary(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    district: str
    institution_type: InstitutionType
    address: str


class EnrolmentView(BaseModel):
    id: uuid.UUID
    edition_id: uuid.UUID
    branch: BranchSummary
    funding_pln: Decimal
    enrolled_on: date
    status: EnrolmentStatus
    withdrawn_on: date | None
    withdrawal_reason: str | None
    stage: Stage | None
    stage_reached_on: date | None


def branch_view(branch: Branch, organisation: Organisation | None) -> BranchView:
    return BranchView.model_validate(
        {
            **branch.model_dump(),
            "district_library": organisation.name if organisation else None,
        }
    )


async def branch_views(uow: UnitOfWork, found: list[Branch]) -> list[BranchView]:
    organisations = await branches.organisations_by_id(
        uow, [branch.organisation_id for branch in found]
    )
    return [
        branch_view(
            branch, organisations.get(branch.organisation_id) if branch.organisation_id else None
        )
        for branch in found
    ]


def enrolment_view(enrolment: Enrolment, branch: Branch) -> EnrolmentView:
    return EnrolmentView.model_validate(
        {
            **enrolment.model_dump(),
            "branch": BranchSummary.model_validate(branch, from_attributes=True),
        }
    )


def branch_key(key: str) -> str | uuid.UUID:
    """A branch is named by its id or by its code in paths."""
    try:
        return uuid.UUID(key)
    except ValueError:
        return key.strip().lower()


# -- districts and organisations -----------------------------------------------------------


@router.get("/districts", response_model=list[DistrictView], tags=["districts"])
async def list_districts(service: ServiceDep, _: Staff) -> Any:
    """Warsaw's 18 districts with their district libraries."""
    async with service.unit_of_work() as uow:
        return [
            DistrictView.model_validate(d, from_attributes=True)
            for d in await branches.list_districts(uow)
        ]


@router.get("/organisations", response_model=list[OrganisationView], tags=["districts"])
async def list_organisations(service: ServiceDep, _: Staff) -> Any:
    """The organisations that run branches: the district libraries and others."""
    async with service.unit_of_work() as uow:
        return [
            OrganisationView.model_validate(o, from_attributes=True)
            for o in await branches.list_organisations(uow)
        ]


# -- branches ------------------------------------------------------------------------------


@router.post("/branches", status_code=201, response_model=BranchView, tags=["branches"])
async def register_branch(details: BranchDetails, service: ServiceDep, _: Admin) -> Any:
    async with service.unit_of_work() as uow:
        branch = await branches.register_branch(uow, details)
        return branch_view(branch, await branches.branch_organisation(uow, branch))


class RowErrorView(BaseModel):
    line: int
    code: str | None
    errors: list[str]


class ImportView(BaseModel):
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    errors: list[RowErrorView]


MAX_IMPORT_BYTES = 5 * 1024 * 1024
CSV_TYPES = ("text/csv", "application/csv", "text/plain")


@router.post(
    "/branches/import",
    response_model=ImportView,
    tags=["branches"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def import_branches(request: Request, service: ServiceDep, _: Admin) -> Any:
    """Register or update branches from a CSV file (``Content-Type: text/csv``), by code.

    Columns: code, name, district, address (required); institution_type, opening_hours
    ("1-5 10:00-19:00; 6 10:00-15:00"), volunteer_spaces, contact_name, contact_email,
    contact_phone. Rows with errors are listed with their line numbers; the rest import.
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in CSV_TYPES:
        raise Problem(
            415,
            "Send a CSV file",
            f"send the file as the request body with Content-Type text/csv (got '{media_type}')",
        )
    body = await request.body()
    if len(body) > MAX_IMPORT_BYTES:
        raise Problem(413, "File too large", "the file is over 5 MB: split it")
    try:
        text = imports.decode(body)
        async with service.unit_of_work() as uow:
            result = await imports.import_branches(uow, text)
    except imports.UnreadableFile as unreadable:
        raise Problem(422, "Unreadable file", str(unreadable)) from unreadable
    return ImportView.model_validate(result, from_attributes=True)


@router.get("/branches", response_model=PageView[BranchView], tags=["branches"])
async def list_branches(
    service: ServiceDep,
    principal: Staff,
    limit: Limit = 50,
    offset: Offset = 0,
    edition: Annotated[
        uuid.UUID | None, Query(description="only branches enrolled in this edition")
    ] = None,
    district: DistrictSlug | None = None,
    stage: Annotated[
        Stage | None, Query(description="only branches at this stage (in the edition, if given)")
    ] = None,
    type: Annotated[InstitutionType | None, Query(description="institution type")] = None,
) -> Any:
    """Branches, by code; trainers and coordinators see only their own."""
    filters = branches.BranchFilters(
        edition_id=edition,
        district=district,
        stage=stage.value if stage else None,
        institution_type=type.value if type else None,
    )
    async with service.unit_of_work() as uow:
        scope = await scope_of(uow, principal)
        page = await branches.list_branches(uow, filters, scope, limit=limit, offset=offset)
        return page_of(await branch_views(uow, page.items), page.total, limit, offset)


@router.get("/branches/{key}", response_model=BranchView, tags=["branches"])
async def read_branch(key: str, service: ServiceDep, principal: Staff) -> Any:
    """A branch by its id or its code (e.g. ``wola-12``)."""
    async with service.unit_of_work() as uow:
        branch = await branches.get_branch(uow, branch_key(key))
        ensure_in_scope(principal, branch)
        return branch_view(branch, await branches.branch_organisation(uow, branch))


@router.patch("/branches/{key}", response_model=BranchView, tags=["branches"])
async def update_branch(key: str, changes: BranchChanges, service: ServiceDep, _: Admin) -> Any:
    """Change a branch's details; its code never changes."""
    async with service.unit_of_work() as uow:
        branch = await branches.update_branch(uow, branch_key(key), changes)
        return branch_view(branch, await branches.branch_organisation(uow, branch))


# -- editions ------------------------------------------------------------------------------


def edition_view(edition: Any) -> EditionView:
    return EditionView.model_validate(edition, from_attributes=True)


@router.post("/editions", status_code=201, response_model=EditionView, tags=["editions"])
async def create_edition(details: EditionDetails, service: ServiceDep, _: Admin) -> Any:
    """A new edition, planned; open it when enrolment starts."""
    async with service.unit_of_work() as uow:
        return edition_view(await editions.create_edition(uow, details))


@router.get("/editions", response_model=PageView[EditionView], tags=["editions"])
async def list_editions(
    service: ServiceDep,
    _: Staff,
    limit: Limit = 50,
    offset: Offset = 0,
    type: Annotated[InstitutionType | None, Query(description="institution type")] = None,
    status: EditionStatus | None = None,
    year: Annotated[int | None, Query(ge=2010, le=2100)] = None,
) -> Any:
    filters = editions.EditionFilters(
        institution_type=type.value if type else None,
        status=status.value if status else None,
        year=year,
    )
    async with service.unit_of_work() as uow:
        page = await editions.list_editions(uow, filters, limit=limit, offset=offset)
        return page_of([edition_view(e) for e in page.items], page.total, limit, offset)


@router.get("/editions/{edition_id}", response_model=EditionView, tags=["editions"])
async def read_edition(edition_id: uuid.UUID, service: ServiceDep, _: Staff) -> Any:
    async with service.unit_of_work() as uow:
        return edition_view(await editions.get_edition(uow, edition_id))


@router.patch("/editions/{edition_id}", response_model=EditionView, tags=["editions"])
async def update_edition(
    edition_id: uuid.UUID, changes: EditionChanges, service: ServiceDep, _: Admin
) -> Any:
    async with service.unit_of_work() as uow:
        return edition_view(await editions.update_edition(uow, edition_id, changes))


@router.post("/editions/{edition_id}/open", response_model=EditionView, tags=["editions"])
async def open_edition(edition_id: uuid.UUID, service: ServiceDep, _: Admin) -> Any:
    """Open a planned edition; only one edition per institution type may be open."""
    async with service.unit_of_work() as uow:
        return edition_view(await editions.open_edition(uow, edition_id))


@router.post("/editions/{edition_id}/close", response_model=EditionView, tags=["editions"])
async def close_edition(edition_id: uuid.UUID, service: ServiceDep, _: Admin) -> Any:
    async with service.unit_of_work() as uow:
        return edition_view(await editions.close_edition(uow, edition_id))


# -- enrolments ----------------------------------------------------------------------------


@router.post(
    "/editions/{edition_id}/enrolments",
    status_code=201,
    response_model=EnrolmentView,
    tags=["enrolments"],
)
async def enrol_branch(edition_id: uuid.UUID, command: Enrol, service: ServiceDep, _: Admin) -> Any:
    """Enrol a branch in an open edition of its institution type, with its funding (PLN)."""
    async with service.unit_of_work() as uow:
        enrolment = await enrolments.enrol_branch(uow, edition_id, command)
        return enrolment_view(enrolment, await branches.get_branch(uow, enrolment.branch_id))


@router.get("/enrolments", response_model=PageView[EnrolmentView], tags=["enrolments"])
async def list_enrolments(
    service: ServiceDep,
    principal: Staff,
    limit: Limit = 50,
    offset: Offset = 0,
    edition: uuid.UUID | None = None,
    district: DistrictSlug | None = None,
    stage: Stage | None = None,
    type: Annotated[InstitutionType | None, Query(description="institution type")] = None,
    status: EnrolmentStatus | None = None,
) -> Any:
    filters = enrolments.EnrolmentFilters(
        edition_id=edition,
        district=district,
        stage=stage.value if stage else None,
        institution_type=type.value if type else None,
        status=status.value if status else None,
    )
    async with service.unit_of_work() as uow:
        scope = await scope_of(uow, principal)
        page = await enrolments.list_enrolments(uow, filters, scope, limit=limit, offset=offset)
        items = [enrolment_view(enrolment, branch) for enrolment, branch in page.items]
        return page_of(items, page.total, limit, offset)


async def scoped_enrolment(
    uow: UnitOfWork, enrolment_id: uuid.UUID, principal: Any
) -> tuple[Enrolment, Branch]:
    """The enrolment and its branch, once the caller is known to be allowed to see them."""
    enrolment = await enrolments.get_enrolment(uow, enrolment_id)
    branch = await branches.get_branch(uow, enrolment.branch_id)
    ensure_in_scope(principal, branch)
    return enrolment, branch


ViewT = TypeVar("ViewT", bound=BaseModel)


async def on_enrolment(
    service: Service,
    enrolment_id: uuid.UUID,
    principal: Any,
    use_case: Callable[[UnitOfWork], Awaitable[Any]],
    view: type[ViewT],
) -> ViewT:
    """``use_case`` in one unit of work, once the caller may act for the enrolment's branch
    (else 403), its result shown as ``view``."""
    async with service.unit_of_work() as uow:
        await scoped_enrolment(uow, enrolment_id, principal)
        return view.model_validate(await use_case(uow), from_attributes=True)


@router.get("/enrolments/{enrolment_id}", response_model=EnrolmentView, tags=["enrolments"])
async def read_enrolment(enrolment_id: uuid.UUID, service: ServiceDep, principal: Staff) -> Any:
    async with service.unit_of_work() as uow:
        return enrolment_view(*await scoped_enrolment(uow, enrolment_id, principal))


@router.patch("/enrolments/{enrolment_id}", response_model=EnrolmentView, tags=["enrolments"])
async def update_enrolment(
    enrolment_id: uuid.UUID, changes: EnrolmentChanges, service: ServiceDep, _: Admin
) -> Any:
    """Change the funding of an enrolled branch."""
    async with service.unit_of_work() as uow:
        enrolment = await enrolments.update_enrolment(uow, enrolment_id, changes)
        return enrolment_view(enrolment, await branches.get_branch(uow, enrolment.branch_id))


@router.post(
    "/enrolments/{enrolment_id}/withdraw", response_model=EnrolmentView, tags=["enrolments"]
)
async def withdraw_branch(
    enrolment_id: uuid.UUID, command: Withdraw, service: ServiceDep, _: Admin
) -> Any:
    """The branch leaves the edition; the reason is kept and told to other services."""
    async with service.unit_of_work() as uow:
        enrolment = await enrolments.withdraw_branch(uow, enrolment_id, command)
        return enrolment_view(enrolment, await branches.get_branch(uow, enrolment.branch_id))
