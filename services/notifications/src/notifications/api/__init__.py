"""Notifications' HTTP API: a volunteer's inbox and preferences; the delivery log for staff.

One router module per resource, all under ``/v1`` with the ``notifications`` tag.
"""

from __future__ import annotations

from fastapi import APIRouter

from notifications.api import inbox, messages, preferences

router = APIRouter(prefix="/v1", tags=["notifications"])
for resource in (inbox, preferences, messages):
    router.include_router(resource.router)
