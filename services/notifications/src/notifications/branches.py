"""Branches as registry tells of them: every message that sends a person somewhere names the
branch, its address, its opening hours and a link to the city's map."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlmodel import col, select

from notifications import contracts as c
from notifications.tables import Branch
from shared.unit_of_work import UnitOfWork

MAP_URL = "https://mapa.um.warszawa.pl/?q="


def map_link(address: str) -> str:
    """The address on the City of Warsaw's map."""
    return MAP_URL + quote(address, safe="")


async def record_branch(uow: UnitOfWork, data: c.BranchFacts, *, occurred_at: datetime) -> None:
    """branch.registered / branch.updated: keep the newest details (a late, older copy
    changes nothing)."""
    branch = await uow.session.get(Branch, data.branch_id, with_for_update=True)
    if branch is not None and occurred_at < branch.changed_at:
        return
    branch = branch or Branch(branch_id=data.branch_id, code=data.code, name=data.name,
                              changed_at=occurred_at)  # fmt: skip
    branch.code, branch.name, branch.address = data.code, data.name, data.address
    branch.opening_hours = [hours.model_dump() for hours in data.opening_hours]
    branch.changed_at = occurred_at
    uow.session.add(branch)


async def find_branch(
    uow: UnitOfWork, *, code: str | None = None, branch_id: uuid.UUID | None = None
) -> Branch | None:
    if branch_id is not None:
        return await uow.session.get(Branch, branch_id)
    if code is None:
        return None
    found = await uow.session.exec(
        select(Branch).where(Branch.code == code).order_by(col(Branch.changed_at).desc())
    )
    return found.first()


async def branch_params(uow: UnitOfWork, code: str | None) -> dict[str, Any]:
    """What the templates say of the branch: its name (the code while registry has not told
    of it), address with a map link, and opening hours (none when unknown)."""
    branch = await find_branch(uow, code=code)
    address = branch.address if branch else None
    return {
        "branch_name": branch.name if branch else code,
        "branch_address": address,
        "map_url": map_link(address) if address else None,
        "opening_hours": branch.opening_hours if branch else [],
    }
