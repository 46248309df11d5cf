"""Use cases for districts, organisations and their branches (libraries)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from registry import events
from registry.clock import now
from registry.commands import (
    BranchChanges,
    BranchDetails,
)
from registry.domain import NotFound, RuleViolation
from registry.domain.editions import (
    EnrolmentStatus,
)
from registry.scope import Page, Scope, one_page
from registry.tables import (
    Branch,
    District,
    Enrolment,
    Organisation,
)
from shared.unit_of_work import UnitOfWork

# -- districts and organisations ---------------------------------------------------------


async def list_districts(uow: UnitOfWork) -> Sequence[District]:
    return (await uow.session.exec(select(District).order_by(District.slug))).all()


async def list_organisations(uow: UnitOfWork) -> Sequence[Organisation]:
    return (await uow.session.exec(select(Organisation).order_by(Organisation.name))).all()


# -- branches ------------------------------------------------------------------------------


async def get_branch(uow: UnitOfWork, key: str | uuid.UUID) -> Branch:
    """A branch by id or by code."""
    branch = await find_branch(uow, key)
    if branch is None:
        raise NotFound(f"no branch with {'id' if isinstance(key, uuid.UUID) else 'code'} '{key}'")
    return branch


async def find_branch(uow: UnitOfWork, key: str | uuid.UUID) -> Branch | None:
    if isinstance(key, uuid.UUID):
        return await uow.session.get(Branch, key)
    return (await uow.session.exec(select(Branch).where(Branch.code == key))).first()


async def _organisation_for(
    uow: UnitOfWork, organisation_id: uuid.UUID | None, district: str, institution_type: str
) -> Organisation | None:
    if organisation_id is not None:
        organisation = await uow.session.get(Organisation, organisation_id)
        if organisation is None:
            raise NotFound(f"no organisation with id '{organisation_id}'")
        return organisation
    if institution_type != "library_branch":
        return None
    # A library branch belongs to its district's library unless told otherwise.
    district_row = await uow.session.get(District, district)
    assert district_row is not None, "districts are validated against the reference data"
    return (
        await uow.session.exec(
            select(Organisation).where(Organisation.name == district_row.district_library)
        )
    ).first()


# Other services name weekdays as the events do (Monday first).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _branch_facts(branch: Branch, organisation: Organisation | None) -> dict[str, Any]:
    return {
        "branch_id": branch.id,
        "code": branch.code,
        "name": branch.name,
        "district": branch.district,
        "institution_type": branch.institution_type,
        "district_library": organisation.name if organisation else None,
        "address": branch.address,
        "opening_hours": [
            {
                "day": WEEKDAYS[entry["weekday"] - 1],
                "opens": entry["opens"],
                "closes": entry["closes"],
            }
            for entry in branch.opening_hours
        ],
    }


async def branch_organisation(uow: UnitOfWork, branch: Branch) -> Organisation | None:
    if branch.organisation_id is None:
        return None
    return await uow.session.get(Organisation, branch.organisation_id)


async def register_branch(uow: UnitOfWork, details: BranchDetails) -> Branch:
    if await find_branch(uow, details.code) is not None:
        raise RuleViolation(
            f"a branch with code '{details.code}' already exists; codes are unique and stable",
            title="Branch already exists",
        )
    organisation = await _organisation_for(
        uow, details.organisation_id, details.district, details.institution_type
    )
    branch = Branch(
        **details.model_dump(exclude={"organisation_id", "opening_hours"}, mode="json"),
        opening_hours=[entry.model_dump() for entry in details.opening_hours],
        organisation_id=organisation.id if organisation else None,
    )
    uow.session.add(branch)
    await uow.session.flush()
    await uow.emit(
        events.BranchRegistered(**_branch_facts(branch, organisation)), subject=branch.code
    )
    return branch


async def update_branch(uow: UnitOfWork, key: str | uuid.UUID, changes: BranchChanges) -> Branch:
    branch = await get_branch(uow, key)
    await _apply_branch_changes(uow, branch, changes.model_dump(exclude_unset=True, mode="json"))
    return branch


async def _apply_branch_changes(uow: UnitOfWork, branch: Branch, values: dict[str, Any]) -> bool:
    """Apply the changed fields; emit ``branch.updated`` only when something really changed."""
    if "institution_type" in values and values["institution_type"] != branch.institution_type:
        enrolled = (
            await uow.session.exec(select(Enrolment.id).where(Enrolment.branch_id == branch.id))
        ).first()
        if enrolled is not None:
            raise RuleViolation(
                f"branch '{branch.code}' has taken part in an edition; its institution type "
                "can no longer change"
            )
    if "organisation_id" in values and values["organisation_id"] is not None:
        organisation_id = uuid.UUID(str(values["organisation_id"]))
        if await uow.session.get(Organisation, organisation_id) is None:
            raise NotFound(f"no organisation with id '{organisation_id}'")
        values["organisation_id"] = organisation_id
    changed = False
    for field, value in values.items():
        if getattr(branch, field) != value:
            setattr(branch, field, value)
            changed = True
    if not changed:
        return False
    branch.updated_at = now()
    uow.session.add(branch)
    await uow.session.flush()
    organisation = await branch_organisation(uow, branch)
    await uow.emit(events.BranchUpdated(**_branch_facts(branch, organisation)), subject=branch.code)
    return True


UpsertOutcome = Literal["created", "updated", "unchanged"]


async def register_or_update_branch(
    uow: UnitOfWork, details: BranchDetails
) -> tuple[Branch, UpsertOutcome]:
    """Idempotent by code: what bulk imports and the seed use."""
    branch = await find_branch(uow, details.code)
    if branch is None:
        return await register_branch(uow, details), "created"
    values = details.model_dump(exclude={"code"}, mode="json")
    if details.organisation_id is None:
        organisation = await _organisation_for(
            uow, None, details.district, details.institution_type
        )
        values["organisation_id"] = organisation.id if organisation else None
    changed = await _apply_branch_changes(uow, branch, values)
    return branch, "updated" if changed else "unchanged"


@dataclass(frozen=True)
class BranchFilters:
    edition_id: uuid.UUID | None = None
    district: str | None = None
    stage: str | None = None
    institution_type: str | None = None


def _filtered_branches(filters: BranchFilters, scope: Scope) -> SelectOfScalar[Branch]:
    query = select(Branch)
    if filters.edition_id is not None or filters.stage is not None:
        enrolled = select(Enrolment.branch_id).where(
            Enrolment.status == EnrolmentStatus.ENROLLED.value
        )
        if filters.edition_id is not None:
            enrolled = enrolled.where(Enrolment.edition_id == filters.edition_id)
        if filters.stage is not None:
            enrolled = enrolled.where(Enrolment.stage == filters.stage)
        query = query.where(col(Branch.id).in_(enrolled))
    if filters.district is not None:
        query = query.where(Branch.district == filters.district)
    if filters.institution_type is not None:
        query = query.where(Branch.institution_type == filters.institution_type)
    if not scope.everything:
        query = query.where(col(Branch.id).in_(scope.branch_ids))
    return query.order_by(Branch.code)


async def list_branches(
    uow: UnitOfWork, filters: BranchFilters, scope: Scope, *, limit: int, offset: int
) -> Page[Branch]:
    return await one_page(uow, _filtered_branches(filters, scope), limit, offset)


async def organisations_by_id(
    uow: UnitOfWork, ids: Sequence[uuid.UUID | None]
) -> dict[uuid.UUID, Organisation]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await uow.session.exec(select(Organisation).where(col(Organisation.id).in_(wanted)))
    return {row.id: row for row in rows}
