"""Registry's HTTP API: thin routes that parse, authorize and call a use case."""

from __future__ import annotations

from fastapi import APIRouter

from registry.api import applications, institutions, monitoring, reviews, staff

router = APIRouter()
router.include_router(institutions.router)
router.include_router(staff.router)
router.include_router(monitoring.router)
router.include_router(applications.router)
router.include_router(reviews.router)
