"""Reporting's HTTP API: every view with filters, and its exports.

Who sees what: city_admin everything; a trainer the branches registry assigned them; a
coordinator the branches they coordinate (both from reporting's copy of registry's
assignments, ``shared.staff_scope``); volunteers nothing. One router module per resource,
all under ``/v1`` with the ``reports`` tag.
"""

from __future__ import annotations

from fastapi import APIRouter

from reporting.api import applications, exports, monitoring, reports, volunteers

router = APIRouter(prefix="/v1", tags=["reports"])
for resource in (volunteers, reports, applications, monitoring, exports):
    router.include_router(resource.router)
