"""Matching's HTTP API: thin routes that authorize and call a use case, one module per resource.

Every route is under ``/v1`` and tagged ``volunteers`` besides its resource's own tag.
"""

from __future__ import annotations

from fastapi import APIRouter

from matching.api import (
    agreements,
    applications,
    assignments,
    calendar_feeds,
    candidates,
    certificates,
    child_protection,
    hours,
    plans,
    proposals,
    tasks,
    volunteers,
)

router = APIRouter(prefix="/v1", tags=["volunteers"])
for resource in (
    volunteers,
    tasks,
    child_protection,
    applications,
    assignments,
    candidates,
    plans,
    proposals,
    hours,
    agreements,
    certificates,
    calendar_feeds,
):
    router.include_router(resource.router)
