"""What every registry route shares: error translation, roles, pagination."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Generic, TypeVar

import asyncpg
from fastapi import Depends, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from registry.domain import NotFound, RuleViolation
from shared.auth import Principal, require_roles
from shared.problems import Problem
from shared.service import Service, get_service
from shared.validation import PageLimit, PageOffset

# What a person reads when the database itself refuses a change (a race the domain's own
# check could not see, or a duplicate).
_CONSTRAINT_MESSAGES = {
    "editions_one_open_per_type": "another edition of this institution type was opened at the "
    "same time; only one edition per institution type may be open",
    "editions_type_year_key": "there is already an edition of this institution type that year",
    "branches_code_key": "a branch with this code already exists; codes are unique and stable",
    "enrolments_edition_branch_key": "the branch is already enrolled in this edition",
    "applications_edition_branch_key": "the branch has already applied to this edition",
}


def _constraint_of(error: IntegrityError) -> str | None:
    current: BaseException | None = error.orig
    while current is not None:
        if isinstance(current, asyncpg.IntegrityConstraintViolationError):
            name: str | None = getattr(current, "constraint_name", None)
            return name
        current = current.__cause__
    return None


class RegistryRoute(APIRoute):
    """Turns the domain's refusals into problem+json responses a person can act on."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except RuleViolation as violation:
                raise Problem(409, violation.title, violation.detail) from violation
            except NotFound as missing:
                raise Problem(404, missing.title, missing.detail) from missing
            except IntegrityError as error:
                constraint = _constraint_of(error)
                detail = _CONSTRAINT_MESSAGES.get(
                    constraint or "", f"the change conflicts with existing data ({constraint})"
                )
                raise Problem(409, "Conflict", detail) from error

        return guarded


ServiceDep = Annotated[Service, Depends(get_service)]
# city_admin is always allowed; each alias names who else may call a route.
Admin = Annotated[Principal, Depends(require_roles())]
# Staff read what concerns their branches: a coordinator's, a trainer's, or every branch
# of the district library an administrator runs.
Staff = Annotated[Principal, Depends(require_roles("trainer", "coordinator", "district_admin"))]
Monitoring = Annotated[Principal, Depends(require_roles("trainer"))]
Coordinating = Annotated[Principal, Depends(require_roles("coordinator"))]
# "A district library's director or a branch coordinator applies for a branch."
Applying = Annotated[Principal, Depends(require_roles("coordinator", "district_admin"))]

Limit = Annotated[PageLimit, Query(le=500, description="at most this many items")]
Offset = Annotated[PageOffset, Query(description="skip this many items")]

ItemT = TypeVar("ItemT")


class PageView(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    total: int
    limit: int
    offset: int


def page_of(items: list[Any], total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"items": items, "total": total, "limit": limit, "offset": offset}
