"""What the route modules of notifications' API share: paging, the volunteer's id."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from shared.auth import Principal
from shared.problems import Problem
from shared.validation import PageOffset

Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[PageOffset, Query()]


def volunteer_id_of(principal: Principal) -> uuid.UUID:
    try:
        return uuid.UUID(principal.subject)
    except ValueError:
        raise Problem(
            403, "Forbidden", "the inbox and preferences belong to a volunteer (token sub)"
        ) from None
