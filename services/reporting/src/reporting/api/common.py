"""What the route modules of reporting's API share: who may read, the filters every view
takes, paging."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from reporting.domain.views import WARSAW, Filters
from shared.auth import Principal, require_roles
from shared.problems import Problem
from shared.service import Service, get_service
from shared.validation import Code, PageLimit, PageOffset, SaneDate

Staff = Annotated[Principal, Depends(require_roles("trainer", "coordinator"))]
CityAdmin = Annotated[Principal, Depends(require_roles())]
ServiceDep = Annotated[Service, Depends(get_service)]
Row = TypeVar("Row", bound=BaseModel)


class Page(BaseModel, Generic[Row]):
    total: int
    limit: int
    offset: int
    items: list[Row]


class ViewFilters(BaseModel):
    """The filters every view takes, as query parameters."""

    edition_id: uuid.UUID | None = None
    district: Code | None = None
    branch: Code | None = None
    institution_type: Literal["library_branch", "culture_centre", "care_home"] | None = None
    task_type: (
        Literal[
            "extra_classes",
            "contest",
            "reading_help",
            "homework_help",
            "computer_help",
            "event_help",
            "daily_work",
            "own_project",
        ]
        | None
    ) = None
    date_from: SaneDate | None = None
    date_to: SaneDate | None = None


FiltersQuery = Annotated[ViewFilters, Query()]


def scoped(query: ViewFilters, principal: Principal) -> Filters:
    """The reader's filters, narrowed to the branches the token allows."""
    if query.branch is not None and not principal.can_act_for_branch(query.branch):
        raise Problem(403, "Forbidden", f"you may not see reports of branch '{query.branch}'")
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise Problem(422, "Invalid request", "date_from must not be after date_to")
    scope = None if "city_admin" in principal.roles else frozenset(principal.branches)
    return Filters(**query.model_dump(), scope=scope)


def page_of(rows: list[dict[str, Any]], model: type[Row], limit: int, offset: int) -> Page[Row]:
    page_type: Any = Page[model]  # type: ignore[valid-type]
    items = [model.model_validate(row) for row in rows[offset : offset + limit]]
    page: Page[Row] = page_type(total=len(rows), limit=limit, offset=offset, items=items)
    return page


Limit = Annotated[PageLimit, Query(description="at most this many rows")]
Offset = Annotated[PageOffset, Query(description="skip this many rows")]


def today() -> date:
    return datetime.now(WARSAW).date()
