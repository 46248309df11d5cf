"""Who may see and change what, by role and by branch.

- city_admin: everything.
- trainer: the branches their token lists (their assignments), read; monitoring there.
- coordinator: the branches their token lists (their own), read; their programme and report.
- volunteer: nothing in the registry.

The token's ``branches`` claim lists branch codes, as everywhere on the platform.
"""

from __future__ import annotations

from sqlmodel import col, select

from registry.handlers import EVERYTHING, Scope
from registry.tables import Branch
from shared.auth import Principal
from shared.problems import Problem
from shared.unit_of_work import UnitOfWork

CITY_ADMIN = "city_admin"


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
