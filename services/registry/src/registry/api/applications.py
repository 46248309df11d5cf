"""An edition's call for applications, and branches' applications to it.

A coordinator sees and writes only their own branches' applications, a district library's
administrator those of the library's branches; another branch's application is not found
for them (404), as if it did not exist.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from registry import applications, branches, editions
from registry.access import scope_of
from registry.api.common import Admin, Applying, RegistryRoute, ServiceDep, Staff
from registry.commands import (
    AcceptApplication,
    ApplicationDraft,
    Apply,
    CallDetails,
    Code,
    RejectApplication,
    RequestChanges,
)
from registry.domain import NotFound
from registry.tables import Application, ApplicationCall, Branch, Edition
from shared.auth import Principal
from shared.unit_of_work import UnitOfWork

router = APIRouter(prefix="/v1", route_class=RegistryRoute)

ApplicationStatus = Literal["submitted", "changes_requested", "accepted", "rejected"]


class CallView(BaseModel):
    edition_id: uuid.UUID
    opens_on: date
    closes_on: date
    criteria: str
    budget_pln: Decimal
    granted_pln: Decimal
    left_pln: Decimal
    announced_at: datetime
    updated_at: datetime


class ApplicationView(BaseModel):
    id: uuid.UUID
    edition_id: uuid.UUID
    edition_name: str
    branch_id: uuid.UUID
    branch_code: str
    branch_name: str
    motivation: str
    team: str
    task_types: list[str]
    status: ApplicationStatus
    submitted_on: date
    funding_pln: Decimal | None
    answer: str | None
    decided_on: date | None
    enrolment_id: uuid.UUID | None
    updated_at: datetime


class BranchFundingView(BaseModel):
    branch_code: str
    branch_name: str
    enrolment_status: str
    granted_pln: Decimal
    report_status: str | None
    spent_pln: Decimal | None
    settled: bool


class BudgetView(BaseModel):
    edition_id: uuid.UUID
    budget_pln: Decimal | None
    granted_pln: Decimal
    left_pln: Decimal | None
    spent_pln: Decimal
    branches: list[BranchFundingView]


async def call_view(uow: UnitOfWork, call: ApplicationCall) -> CallView:
    granted = await applications.granted_in(uow, call.edition_id)
    return CallView.model_validate(
        {**call.model_dump(), "granted_pln": granted, "left_pln": call.budget_pln - granted}
    )


def application_view(application: Application, branch: Branch, edition: Edition) -> ApplicationView:
    return ApplicationView.model_validate(
        {
            **application.model_dump(),
            "edition_name": edition.name,
            "branch_code": branch.code,
            "branch_name": branch.name,
        }
    )


async def visible_application(
    uow: UnitOfWork, application_id: uuid.UUID, principal: Principal
) -> tuple[Application, Branch, Edition]:
    """The application, its branch and edition; one of a branch the caller does not work
    for is not found."""
    application = await applications.get_application(uow, application_id)
    branch = await branches.get_branch(uow, application.branch_id)
    if not principal.can_act_for_branch(branch.code):
        raise NotFound(f"no application {application_id}")
    return application, branch, await editions.get_edition(uow, application.edition_id)


# -- the call --------------------------------------------------------------------------------


@router.put("/editions/{edition_id}/call", response_model=CallView, tags=["applications"])
async def announce_call(
    edition_id: uuid.UUID, details: CallDetails, service: ServiceDep, _: Admin
) -> Any:
    """Announce the edition's call for applications (dates, criteria, budget), or change
    its terms."""
    async with service.unit_of_work() as uow:
        return await call_view(uow, await applications.announce_call(uow, edition_id, details))


@router.get("/editions/{edition_id}/call", response_model=CallView, tags=["applications"])
async def read_call(edition_id: uuid.UUID, service: ServiceDep, _: Staff) -> Any:
    """The call's terms, with what has been granted of the budget and what is left."""
    async with service.unit_of_work() as uow:
        return await call_view(uow, await applications.get_call(uow, edition_id))


@router.get("/editions/{edition_id}/budget", response_model=BudgetView, tags=["applications"])
async def read_budget(edition_id: uuid.UUID, service: ServiceDep, _: Admin) -> Any:
    """The edition's budget: the call's total, what was granted per branch and what is
    left, and what the branches spent by their accepted annual reports."""
    async with service.unit_of_work() as uow:
        budget = await applications.edition_budget(uow, edition_id)
    return BudgetView(
        edition_id=edition_id,
        budget_pln=budget.call.budget_pln if budget.call else None,
        granted_pln=budget.granted,
        left_pln=budget.left,
        spent_pln=budget.spent,
        branches=[
            BranchFundingView(
                branch_code=row.branch.code,
                branch_name=row.branch.name,
                enrolment_status=row.enrolment.status,
                granted_pln=row.enrolment.funding_pln,
                report_status=row.report.status if row.report else None,
                spent_pln=row.report.spent_pln if row.report else None,
                settled=row.settled,
            )
            for row in budget.branches
        ],
    )


# -- applications ----------------------------------------------------------------------------


@router.post(
    "/editions/{edition_id}/applications",
    status_code=201,
    response_model=ApplicationView,
    tags=["applications"],
)
async def apply(
    edition_id: uuid.UUID, command: Apply, service: ServiceDep, principal: Applying
) -> Any:
    """A branch applies to the edition: its coordinator, its district library's
    administrator, or the city office for it."""
    async with service.unit_of_work() as uow:
        if not principal.can_act_for_branch(command.branch_code):
            raise NotFound(
                f"no branch '{command.branch_code}' to apply for among yours",
                title="Not your branch",
            )
        application = await applications.apply(uow, edition_id, command)
        return application_view(
            application,
            await branches.get_branch(uow, application.branch_id),
            await editions.get_edition(uow, edition_id),
        )


@router.get("/applications", response_model=list[ApplicationView], tags=["applications"])
async def list_applications(
    service: ServiceDep,
    principal: Staff,
    edition: uuid.UUID | None = None,
    status: ApplicationStatus | None = None,
    branch: Annotated[Code | None, Query(description="a branch's code")] = None,
) -> Any:
    """Applications (at most 500), those waiting for a decision first; coordinators and
    trainers see their own branches'."""
    filters = applications.ApplicationFilters(edition_id=edition, status=status, branch_code=branch)
    async with service.unit_of_work() as uow:
        scope = await scope_of(uow, principal)
        rows = await applications.list_applications(uow, filters, scope)
        return [application_view(*row) for row in rows]


@router.get("/applications/{application_id}", response_model=ApplicationView, tags=["applications"])
async def read_application(application_id: uuid.UUID, service: ServiceDep, principal: Staff) -> Any:
    async with service.unit_of_work() as uow:
        return application_view(*await visible_application(uow, application_id, principal))


@router.put("/applications/{application_id}", response_model=ApplicationView, tags=["applications"])
async def amend_application(
    application_id: uuid.UUID,
    draft: ApplicationDraft,
    service: ServiceDep,
    principal: Applying,
) -> Any:
    """Change the application before the decision; one the city office asked to change
    is submitted again."""
    async with service.unit_of_work() as uow:
        _, branch, edition = await visible_application(uow, application_id, principal)
        application = await applications.amend(uow, application_id, draft)
        return application_view(application, branch, edition)


@router.post(
    "/applications/{application_id}/accept",
    response_model=ApplicationView,
    tags=["applications"],
)
async def accept_application(
    application_id: uuid.UUID, command: AcceptApplication, service: ServiceDep, _: Admin
) -> Any:
    """Accept with funding: the branch is enrolled in the edition."""
    async with service.unit_of_work() as uow:
        application = await applications.accept(uow, application_id, command)
        return await _view(uow, application)


@router.post(
    "/applications/{application_id}/reject",
    response_model=ApplicationView,
    tags=["applications"],
)
async def reject_application(
    application_id: uuid.UUID, command: RejectApplication, service: ServiceDep, _: Admin
) -> Any:
    async with service.unit_of_work() as uow:
        application = await applications.reject(uow, application_id, command)
        return await _view(uow, application)


@router.post(
    "/applications/{application_id}/request-changes",
    response_model=ApplicationView,
    tags=["applications"],
)
async def request_changes(
    application_id: uuid.UUID, command: RequestChanges, service: ServiceDep, _: Admin
) -> Any:
    """Ask the branch to change its application; the branch amends it and it comes back."""
    async with service.unit_of_work() as uow:
        application = await applications.request_changes(uow, application_id, command)
        return await _view(uow, application)


async def _view(uow: UnitOfWork, application: Application) -> ApplicationView:
    return application_view(
        application,
        await branches.get_branch(uow, application.branch_id),
        await editions.get_edition(uow, application.edition_id),
    )
