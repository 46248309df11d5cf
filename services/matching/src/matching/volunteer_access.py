"""Which volunteers a member of staff may see and act on.

Staff act on one volunteer's record (profile, child-protection check, agreements,
certificates) only when that volunteer is linked to one of their branches: an application
to, a proposal for, or an assignment on a task of the branch, or an agreement with it. The
city office acts everywhere. A volunteer without such a link answers 404, exactly as one that
does not exist, so that volunteer ids seen elsewhere (a candidate list) reveal nothing more.

Before a link exists a coordinator sees only what deciding needs: the candidate list's
age band, skills and reasons, never contact data or a birth date.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable

import sqlalchemy as sa
from sqlmodel import col

from matching.tables import Agreement, Application, Assignment, Proposal, Task, Volunteer
from shared.auth import Principal
from shared.problems import Problem
from shared.unit_of_work import UnitOfWork

CITY_OFFICE = "city_admin"


def _links(volunteer_ids: Collection[uuid.UUID]) -> sa.CompoundSelect[uuid.UUID, str]:
    """(volunteer_id, branch_code) of every link the volunteers have."""
    through_tasks = [
        sa.select(col(table.volunteer_id), col(Task.branch_code))
        .join(Task, col(Task.id) == col(table.task_id))
        .where(col(table.volunteer_id).in_(volunteer_ids))
        for table in (Application, Proposal, Assignment)
    ]
    agreements = sa.select(col(Agreement.volunteer_id), col(Agreement.branch_code)).where(
        col(Agreement.volunteer_id).in_(volunteer_ids)
    )
    return sa.union(*through_tasks, agreements)


async def linked_branches(
    uow: UnitOfWork, volunteer_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, set[str]]:
    """The branch codes each volunteer is linked to (a volunteer with none is left out)."""
    ids = sorted(set(volunteer_ids))
    found: dict[uuid.UUID, set[str]] = {}
    if not ids:
        return found
    await uow.session.flush()  # links made earlier in this unit of work count too
    connection = await uow.session.connection()
    for volunteer_id, branch_code in (await connection.execute(_links(ids))).all():
        found.setdefault(volunteer_id, set()).add(branch_code)
    return found


def _acts_everywhere(principal: Principal) -> bool:
    return CITY_OFFICE in principal.roles


async def visible_to(
    uow: UnitOfWork, principal: Principal, volunteer_ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of the volunteers whose records the member of staff may see."""
    ids = set(volunteer_ids)
    if _acts_everywhere(principal):
        return ids
    links = await linked_branches(uow, ids)
    return {
        volunteer_id
        for volunteer_id, branches in links.items()
        if any(principal.can_act_for_branch(code) for code in branches)
    }


def _not_found(volunteer_id: uuid.UUID) -> Problem:
    return Problem(404, "Volunteer not found", f"no volunteer with id {volunteer_id}")


async def require_linked(
    uow: UnitOfWork,
    principal: Principal,
    volunteer_id: uuid.UUID,
    *,
    branch_code: str | None = None,
) -> Volunteer:
    """The volunteer, when the member of staff may act on them: linked to ``branch_code``
    (which they must act for) or, without it, to any of their branches. Otherwise 404."""
    volunteer = await uow.session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise _not_found(volunteer_id)
    if branch_code is not None and not principal.can_act_for_branch(branch_code):
        raise Problem(403, "Forbidden", f"you do not act for branch {branch_code!r}")
    if _acts_everywhere(principal):
        return volunteer
    branches = (await linked_branches(uow, [volunteer_id])).get(volunteer_id, set())
    wanted = {branch_code} if branch_code is not None else set(principal.branches)
    if not branches & wanted:
        raise _not_found(volunteer_id)
    return volunteer


async def is_linked_to(uow: UnitOfWork, volunteer_id: uuid.UUID, branch_code: str) -> bool:
    links = await linked_branches(uow, [volunteer_id])
    return branch_code in links.get(volunteer_id, set())
