"""Matching's HTTP API: thin routes that authorize and call a use case, one module per resource.

Every route is under ``/v1`` and tagged ``volunteers`` besides its resource's own tag.
"""

from __future__ import annotations

from fastapi import APIRouter

from matching.api import (
    agreement_documents,
    agreements,
    applications,
    assignments,
    branch_thanks,
    calendar_feeds,
    candidates,
    certificates,
    checkin,
    child_protection,
    hours,
    milestones,
    occurrences,
    open_tasks,
    plans,
    proposals,
    tasks,
    volunteer_data,
    volunteers,
)

router = APIRouter(prefix="/v1", tags=["volunteers"])
for resource in (
    volunteers,
    tasks,
    open_tasks,
    child_protection,
    applications,
    assignments,
    occurrences,
    candidates,
    plans,
    proposals,
    hours,
    milestones,
    branch_thanks,
    agreements,
    agreement_documents,
    certificates,
    calendar_feeds,
    checkin,
    volunteer_data,
):
    router.include_router(resource.router)
