"""What registry reads from other services' events: only the fields it needs."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from pydantic import ConfigDict, Field

from shared.validation import CleanInput

HOURS_APPROVED = "pl.waw.volunteering.matching.hours.approved.v1"


class HoursApproved(CleanInput):
    """Matching approved a volunteer's hours at a branch."""

    model_config = ConfigDict(extra="ignore")

    entry_id: uuid.UUID
    branch_id: uuid.UUID
    branch_code: str | None = None
    hours: Decimal = Field(gt=0)
    worked_on: date
