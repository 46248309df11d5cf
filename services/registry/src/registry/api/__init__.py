"""Registry's HTTP API: thin routes that parse, authorize and call a use case."""

from __future__ import annotations

from fastapi import APIRouter

from registry.api import institutions

router = APIRouter()
router.include_router(institutions.router)
