"""Who may see and change what, by role and by branch.

- city_admin: everything.
- trainer: the branches they are assigned to, read; monitoring there.
- coordinator: the branches they coordinate, read; their programme and report.
- district_admin: the branches of the organisations (district libraries) they administer,
  read; applying to a call for them.
- volunteer: nothing in the registry.

A staff token says who the person is (``sub``, their user id here) and their role; their
branches come from registry's own assignments (``RegistryAssignments``), never from a
``branches`` claim, as in every service (``shared.staff_scope``).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select

from registry.scope import EVERYTHING, Scope
from registry.tables import Branch
from shared.auth import Principal
from shared.problems import Problem
from shared.unit_of_work import UnitOfWork

CITY_ADMIN = "city_admin"

COORDINATED = sa.text(
    "SELECT b.code FROM branches b JOIN coordinator_assignments a ON a.branch_id = b.id"
    " JOIN staff s ON s.id = a.staff_id"
    " WHERE s.subject = :subject AND a.unassigned_on IS NULL AND s.erased_at IS NULL"
)
TRAINED = sa.text(
    "SELECT b.code FROM branches b JOIN enrolments e ON e.branch_id = b.id"
    " JOIN trainer_assignments a ON a.enrolment_id = e.id JOIN trainers t ON t.id = a.trainer_id"
    " WHERE t.subject = :subject AND t.erased_at IS NULL"
)

ADMINISTERED = sa.text(
    "SELECT b.code FROM branches b JOIN organisation_administrators a"
    " ON a.organisation_id = b.organisation_id JOIN staff s ON s.id = a.staff_id"
    " WHERE s.subject = :subject AND a.unassigned_on IS NULL AND s.erased_at IS NULL"
)
BRANCHES_BY_ROLE = (
    ("coordinator", COORDINATED),
    ("trainer", TRAINED),
    ("district_admin", ADMINISTERED),
)


class RegistryAssignments:
    """The branches a staff token acts for, from registry's own assignments."""

    async def branches_of(
        self, connection: AsyncConnection, subject: str, roles: Iterable[str]
    ) -> frozenset[str]:
        codes: set[str] = set()
        for role, query in BRANCHES_BY_ROLE:
            if role in roles:
                codes.update((await connection.scalars(query, {"subject": subject})).all())
        return frozenset(codes)


async def scope_of(uow: UnitOfWork, principal: Principal) -> Scope:
    if CITY_ADMIN in principal.roles:
        return EVERYTHING
    if not principal.branches:
        return Scope(everything=False)
    rows = await uow.session.exec(
        select(Branch.id).where(col(Branch.code).in_(sorted(principal.branches)))
    )
    return Scope(everything=False, branch_ids=frozenset(rows.all()))


def ensure_in_scope(principal: Principal, branch: Branch) -> None:
    if not principal.can_act_for_branch(branch.code):
        raise Problem(
            403,
            "Forbidden",
            f"branch '{branch.code}' is not one of the branches you are assigned to",
        )
