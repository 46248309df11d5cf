"""What every route module of matching's API needs: roles, branch scope, the volunteer's id."""

from __future__ import annotations

import uuid

from shared.auth import Principal
from shared.problems import Problem

STAFF = ("coordinator",)
ANYONE = ("coordinator", "trainer", "volunteer")


def require_branch(principal: Principal, branch_code: str) -> None:
    if not principal.can_act_for_branch(branch_code):
        raise Problem(403, "Forbidden", f"you do not act for branch {branch_code!r}")


def volunteer_id_of(principal: Principal) -> uuid.UUID:
    """A volunteer's token carries their volunteer id as ``sub``."""
    try:
        return uuid.UUID(principal.subject)
    except ValueError as error:
        raise Problem(403, "Forbidden", "the token's subject is not a volunteer id") from error


def is_staff_for(principal: Principal, task_branch: str) -> bool:
    staff = principal.has_any_role(("city_admin", "coordinator"))
    return staff and principal.can_act_for_branch(task_branch)
