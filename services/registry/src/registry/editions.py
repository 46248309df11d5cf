"""Use cases for the programme's editions: created, opened, their dates changed, closed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel import col, select

from registry import events
from registry.clock import now
from registry.commands import (
    EditionChanges,
    EditionDetails,
)
from registry.domain import NotFound, RuleViolation
from registry.domain.editions import (
    EditionStatus,
    check_can_change_dates,
    check_can_close,
    check_can_open,
)
from registry.scope import Page, one_page
from registry.tables import (
    Edition,
)
from shared.unit_of_work import UnitOfWork

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


async def get_edition(
    uow: UnitOfWork, edition_id: uuid.UUID, *, lock: Literal["share", "update"] | None = None
) -> Edition:
    """``lock="update"`` to change the edition; ``"share"`` to keep it from changing meanwhile."""
    query = select(Edition).where(Edition.id == edition_id)
    if lock is not None:
        query = query.with_for_update(read=lock == "share")
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
    edition = await get_edition(uow, edition_id, lock="update")
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
    edition = await get_edition(uow, edition_id, lock="update")
    other = await open_edition_for(uow, edition.institution_type)
    check_can_open(
        edition_label(edition),
        EditionStatus(edition.status),
        edition_label(other) if other is not None and other.id != edition.id else None,
        edition.institution_type,
    )
    edition.status = EditionStatus.OPEN.value
    edition.opened_at = now()
    uow.session.add(edition)
    # Flushed here so that a concurrent opening trips the partial unique index now.
    await uow.session.flush()
    await uow.emit(events.EditionOpened(**_edition_facts(edition)), subject=str(edition.id))
    return edition


async def close_edition(uow: UnitOfWork, edition_id: uuid.UUID) -> Edition:
    edition = await get_edition(uow, edition_id, lock="update")
    check_can_close(edition_label(edition), EditionStatus(edition.status))
    edition.status = EditionStatus.CLOSED.value
    edition.closed_at = now()
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
    return await one_page(
        uow, query.order_by(col(Edition.year).desc(), Edition.institution_type), limit, offset
    )
