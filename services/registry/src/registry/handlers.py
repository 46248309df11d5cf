"""Registry's use cases: one function per command or consumed event.

Each runs inside the caller's unit of work: the change and the integration events it
causes commit together (the outbox), or neither does.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from registry import events
from registry.commands import (
    BranchChanges,
    BranchDetails,
    EditionChanges,
    EditionDetails,
    Enrol,
    EnrolmentChanges,
    Withdraw,
)
from registry.domain import NotFound, RuleViolation
from registry.domain.editions import (
    EditionStatus,
    EnrolmentStatus,
    check_can_change_dates,
    check_can_close,
    check_can_enrol,
    check_can_open,
    check_can_withdraw,
)
from registry.tables import Branch, District, Edition, Enrolment, Organisation
from shared.unit_of_work import UnitOfWork

WARSAW = ZoneInfo("Europe/Warsaw")
T = TypeVar("T")


def today() -> date:
    """Today in Warsaw: a date a person in the office would write."""
    return datetime.now(WARSAW).date()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Scope:
    """The branches a caller may see: every one (``everything``), or those listed."""

    everything: bool
    branch_ids: frozenset[uuid.UUID] = frozenset()

    def allows(self, branch_id: uuid.UUID) -> bool:
        return self.everything or branch_id in self.branch_ids


EVERYTHING = Scope(everything=True)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


async def _page(uow: UnitOfWork, query: SelectOfScalar[T], limit: int, offset: int) -> Page[T]:
    total = (await uow.session.exec(select(sa.func.count()).select_from(query.subquery()))).one()
    items = list((await uow.session.exec(query.limit(limit).offset(offset))).all())
    return Page(items=items, total=int(total), limit=limit, offset=offset)


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


def _branch_facts(branch: Branch, organisation: Organisation | None) -> dict[str, Any]:
    return {
        "branch_id": branch.id,
        "code": branch.code,
        "name": branch.name,
        "district": branch.district,
        "institution_type": branch.institution_type,
        "district_library": organisation.name if organisation else None,
        "address": branch.address,
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
    branch.updated_at = _now()
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
    return await _page(uow, _filtered_branches(filters, scope), limit, offset)


async def organisations_by_id(
    uow: UnitOfWork, ids: Sequence[uuid.UUID | None]
) -> dict[uuid.UUID, Organisation]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await uow.session.exec(select(Organisation).where(col(Organisation.id).in_(wanted)))
    return {row.id: row for row in rows}


# -- editions ------------------------------------------------------------------------------


def edition_label(edition: Edition) -> str:
    return f"{edition.year} ({edition.name})"


def _edition_facts(edition: Edition) -> dict[str, Any]:
    return {
        "edition_id": edition.id,
        "year": edition.year,
        "name": edition.name,
        "institution_type": edition.institution_type,
        "starts_on": edition.starts_on,
        "ends_on": edition.ends_on,
    }


async def get_edition(uow: UnitOfWork, edition_id: uuid.UUID, *, lock: bool = False) -> Edition:
    query = select(Edition).where(Edition.id == edition_id)
    if lock:
        query = query.with_for_update()
    edition = (await uow.session.exec(query)).first()
    if edition is None:
        raise NotFound(f"no edition with id '{edition_id}'")
    return edition


async def find_edition(uow: UnitOfWork, institution_type: str, year: int) -> Edition | None:
    return (
        await uow.session.exec(
            select(Edition).where(
                Edition.institution_type == institution_type, Edition.year == year
            )
        )
    ).first()


async def open_edition_for(uow: UnitOfWork, institution_type: str) -> Edition | None:
    return (
        await uow.session.exec(
            select(Edition).where(
                Edition.institution_type == institution_type,
                Edition.status == EditionStatus.OPEN.value,
            )
        )
    ).first()


async def create_edition(uow: UnitOfWork, details: EditionDetails) -> Edition:
    existing = await find_edition(uow, details.institution_type, details.year)
    if existing is not None:
        raise RuleViolation(
            f"there is already an edition {details.year} for {details.institution_type}: "
            f"'{existing.name}' ({existing.id})",
            title="Edition already exists",
        )
    edition = Edition(**details.model_dump())
    uow.session.add(edition)
    await uow.session.flush()
    return edition


async def update_edition(
    uow: UnitOfWork, edition_id: uuid.UUID, changes: EditionChanges
) -> Edition:
    edition = await get_edition(uow, edition_id, lock=True)
    values = changes.model_dump(exclude_unset=True)
    if "starts_on" in values or "ends_on" in values:
        check_can_change_dates(edition_label(edition), EditionStatus(edition.status))
    for field, value in values.items():
        if value is None:
            raise RuleViolation(f"{field} cannot be emptied", title="Invalid change")
        setattr(edition, field, value)
    if edition.ends_on < edition.starts_on:
        raise RuleViolation(
            f"ends_on ({edition.ends_on}) must not be before starts_on ({edition.starts_on})",
            title="Invalid change",
        )
    uow.session.add(edition)
    await uow.session.flush()
    return edition


async def open_edition(uow: UnitOfWork, edition_id: uuid.UUID) -> Edition:
    edition = await get_edition(uow, edition_id, lock=True)
    other = await open_edition_for(uow, edition.institution_type)
    check_can_open(
        edition_label(edition),
        EditionStatus(edition.status),
        edition_label(other) if other is not None and other.id != edition.id else None,
        edition.institution_type,
    )
    edition.status = EditionStatus.OPEN.value
    edition.opened_at = _now()
    uow.session.add(edition)
    # Flushed here so that a concurrent opening trips the partial unique index now.
    await uow.session.flush()
    await uow.emit(events.EditionOpened(**_edition_facts(edition)), subject=str(edition.id))
    return edition


async def close_edition(uow: UnitOfWork, edition_id: uuid.UUID) -> Edition:
    edition = await get_edition(uow, edition_id, lock=True)
    check_can_close(edition_label(edition), EditionStatus(edition.status))
    edition.status = EditionStatus.CLOSED.value
    edition.closed_at = _now()
    uow.session.add(edition)
    await uow.session.flush()
    await uow.emit(events.EditionClosed(**_edition_facts(edition)), subject=str(edition.id))
    return edition


@dataclass(frozen=True)
class EditionFilters:
    institution_type: str | None = None
    status: str | None = None
    year: int | None = None


async def list_editions(
    uow: UnitOfWork, filters: EditionFilters, *, limit: int, offset: int
) -> Page[Edition]:
    query = select(Edition)
    if filters.institution_type is not None:
        query = query.where(Edition.institution_type == filters.institution_type)
    if filters.status is not None:
        query = query.where(Edition.status == filters.status)
    if filters.year is not None:
        query = query.where(Edition.year == filters.year)
    return await _page(
        uow, query.order_by(col(Edition.year).desc(), Edition.institution_type), limit, offset
    )


# -- enrolments ----------------------------------------------------------------------------


async def get_enrolment(
    uow: UnitOfWork, enrolment_id: uuid.UUID, *, lock: bool = False
) -> Enrolment:
    query = select(Enrolment).where(Enrolment.id == enrolment_id)
    if lock:
        query = query.with_for_update()
    enrolment = (await uow.session.exec(query)).first()
    if enrolment is None:
        raise NotFound(f"no enrolment with id '{enrolment_id}'")
    return enrolment


async def find_enrolment(
    uow: UnitOfWork, edition_id: uuid.UUID, branch_id: uuid.UUID, *, lock: bool = False
) -> Enrolment | None:
    query = select(Enrolment).where(
        Enrolment.edition_id == edition_id, Enrolment.branch_id == branch_id
    )
    if lock:
        query = query.with_for_update()
    return (await uow.session.exec(query)).first()


async def enrol_branch(uow: UnitOfWork, edition_id: uuid.UUID, command: Enrol) -> Enrolment:
    """Enrol a branch in an open edition of its type; a branch that withdrew may come back."""
    # The edition row is locked shared-for-update so that closing it waits for this.
    edition = await get_edition(uow, edition_id, lock=True)
    branch = await get_branch(uow, command.branch_code)
    check_can_enrol(
        edition=edition_label(edition),
        edition_status=EditionStatus(edition.status),
        edition_type=edition.institution_type,
        branch_code=branch.code,
        branch_type=branch.institution_type,
    )
    enrolled_on = command.enrolled_on or today()
    enrolment = await find_enrolment(uow, edition.id, branch.id, lock=True)
    if enrolment is not None and enrolment.status == EnrolmentStatus.ENROLLED.value:
        raise RuleViolation(
            f"branch '{branch.code}' is already enrolled in edition {edition_label(edition)}",
            title="Already enrolled",
        )
    if enrolment is None:
        enrolment = Enrolment(
            edition_id=edition.id,
            branch_id=branch.id,
            funding_pln=command.funding_pln,
            enrolled_on=enrolled_on,
        )
    else:  # coming back after a withdrawal: the stages reached so far stay
        enrolment.status = EnrolmentStatus.ENROLLED.value
        enrolment.funding_pln = command.funding_pln
        enrolment.enrolled_on = enrolled_on
        enrolment.withdrawn_on = None
        enrolment.withdrawal_reason = None
        enrolment.updated_at = _now()
    uow.session.add(enrolment)
    await uow.session.flush()
    await uow.emit(
        events.BranchEnrolled(
            branch_id=branch.id,
            code=branch.code,
            edition_id=edition.id,
            funding_pln=enrolment.funding_pln,
        ),
        subject=branch.code,
    )
    return enrolment


async def update_enrolment(
    uow: UnitOfWork, enrolment_id: uuid.UUID, changes: EnrolmentChanges
) -> Enrolment:
    enrolment = await get_enrolment(uow, enrolment_id, lock=True)
    if enrolment.status == EnrolmentStatus.WITHDRAWN.value:
        branch = await get_branch(uow, enrolment.branch_id)
        raise RuleViolation(
            f"branch '{branch.code}' has withdrawn from this edition; its funding is closed"
        )
    enrolment.funding_pln = changes.funding_pln
    enrolment.updated_at = _now()
    uow.session.add(enrolment)
    await uow.session.flush()
    return enrolment


async def withdraw_branch(uow: UnitOfWork, enrolment_id: uuid.UUID, command: Withdraw) -> Enrolment:
    enrolment = await get_enrolment(uow, enrolment_id, lock=True)
    branch = await get_branch(uow, enrolment.branch_id)
    edition = await get_edition(uow, enrolment.edition_id)
    check_can_withdraw(branch.code, edition_label(edition), EnrolmentStatus(enrolment.status))
    enrolment.status = EnrolmentStatus.WITHDRAWN.value
    enrolment.withdrawn_on = command.withdrawn_on or today()
    enrolment.withdrawal_reason = command.reason
    enrolment.updated_at = _now()
    uow.session.add(enrolment)
    await uow.session.flush()
    await uow.emit(
        events.BranchWithdrawn(
            branch_id=branch.id, code=branch.code, edition_id=edition.id, reason=command.reason
        ),
        subject=branch.code,
    )
    return enrolment


@dataclass(frozen=True)
class EnrolmentFilters:
    edition_id: uuid.UUID | None = None
    district: str | None = None
    stage: str | None = None
    institution_type: str | None = None
    status: str | None = None


async def list_enrolments(
    uow: UnitOfWork, filters: EnrolmentFilters, scope: Scope, *, limit: int, offset: int
) -> Page[tuple[Enrolment, Branch]]:
    query: Any = select(Enrolment, Branch).join(Branch, col(Branch.id) == Enrolment.branch_id)
    if filters.edition_id is not None:
        query = query.where(Enrolment.edition_id == filters.edition_id)
    if filters.stage is not None:
        query = query.where(Enrolment.stage == filters.stage)
    if filters.status is not None:
        query = query.where(Enrolment.status == filters.status)
    if filters.district is not None:
        query = query.where(Branch.district == filters.district)
    if filters.institution_type is not None:
        query = query.where(Branch.institution_type == filters.institution_type)
    if not scope.everything:
        query = query.where(col(Branch.id).in_(scope.branch_ids))
    page: Page[tuple[Enrolment, Branch]] = await _page(
        uow, query.order_by(Branch.code, Enrolment.enrolled_on), limit, offset
    )
    return Page(
        items=[(row[0], row[1]) for row in page.items],
        total=page.total,
        limit=limit,
        offset=offset,
    )
