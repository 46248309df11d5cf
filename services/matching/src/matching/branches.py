"""Use cases for matching's copy of the registry: branches, editions, enrolment
(coordinators and trainers: ``shared.staff_scope``).

Registry events may arrive out of order and more than once; every write is an upsert that
keeps the newer fact (by the event's time), and a closed edition never reopens.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select

from matching.readers import BranchFacts, EditionFacts, EnrolmentFacts
from matching.tables import Branch, Edition, Enrolment
from shared.problems import Problem
from shared.unit_of_work import UnitOfWork


async def upsert_branch(uow: UnitOfWork, facts: BranchFacts, occurred_at: datetime) -> None:
    table = Branch.__table__  # type: ignore[attr-defined]
    values = {
        "id": facts.branch_id,
        "code": facts.code,
        "name": facts.name,
        "district": facts.district,
        "institution_type": facts.institution_type,
        "address": facts.address,
        "opening_hours": [hours.model_dump() for hours in facts.opening_hours],
        "district_library": facts.district_library,
        "changed_at": occurred_at,
    }
    statement = insert(table).values(**values)
    await (await uow.session.connection()).execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.id],
            set_={key: statement.excluded[key] for key in values if key != "id"},
            where=table.c.changed_at <= statement.excluded.changed_at,
        )
    )


MAP = "https://mapa.um.warszawa.pl/?q="


def map_link(address: str | None) -> str | None:
    """The city's map at the branch's address (None while registry has not said where)."""
    return f"{MAP}{quote(address, safe='')}" if address else None


async def record_edition(uow: UnitOfWork, facts: EditionFacts, *, closed: bool) -> None:
    table = Edition.__table__  # type: ignore[attr-defined]
    statement = insert(table).values(
        id=facts.edition_id,
        year=facts.year,
        name=facts.name,
        institution_type=facts.institution_type,
        starts_on=facts.starts_on,
        ends_on=facts.ends_on,
        closed=closed,
    )
    await (await uow.session.connection()).execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.id],
            # Once closed, an edition stays closed whatever order the events come in.
            set_={"closed": sa.or_(table.c.closed, statement.excluded.closed)},
        )
    )


async def record_enrolment(
    uow: UnitOfWork, facts: EnrolmentFacts, occurred_at: datetime, *, enrolled: bool
) -> None:
    table = Enrolment.__table__  # type: ignore[attr-defined]
    statement = insert(table).values(
        branch_id=facts.branch_id,
        edition_id=facts.edition_id,
        enrolled=enrolled,
        changed_at=occurred_at,
    )
    await (await uow.session.connection()).execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.branch_id, table.c.edition_id],
            set_={"enrolled": statement.excluded.enrolled, "changed_at": occurred_at},
            where=table.c.changed_at <= statement.excluded.changed_at,
        )
    )


async def branch_by_code(uow: UnitOfWork, code: str) -> Branch | None:
    return (await uow.session.exec(select(Branch).where(Branch.code == code))).first()


async def open_edition_enrolment(uow: UnitOfWork, branch: Branch) -> Edition | None:
    """The open edition of the branch's institution type that the branch is enrolled in."""
    query = (
        select(Edition)
        .join(Enrolment, col(Enrolment.edition_id) == col(Edition.id))
        .where(
            Enrolment.branch_id == branch.id,
            col(Enrolment.enrolled).is_(True),
            col(Edition.closed).is_(False),
            Edition.institution_type == branch.institution_type,
        )
    )
    return (await uow.session.exec(query)).first()


async def publishable_branch(uow: UnitOfWork, code: str) -> Branch:
    """The branch a task may be published at, or a Problem that says why not."""
    branch = await branch_by_code(uow, code)
    if branch is None:
        raise Problem(404, "Unknown branch", f"branch {code!r} is not known to the registry")
    if await open_edition_enrolment(uow, branch) is None:
        raise Problem(
            409,
            "Branch not enrolled",
            f"branch {code!r} is not enrolled in an open edition for {branch.institution_type}"
            f" (placówka nie uczestniczy w otwartej edycji programu)",
        )
    return branch
