"""The coordinator's pages (/koordynator): their branch's dashboard, tasks, applications and
waitlist, ranked candidates, shifts, hours, agreements, certificates and checks, one module
per page or group of pages.

Everything comes from matching and reporting through the gateway, with the coordinator's
own token: the services decide what the role may see and do; these pages show it in Polish.
"""

from __future__ import annotations

from fastapi import APIRouter

from console.pages.coordinator import (
    agreement_documents,
    candidates,
    dashboard,
    decisions,
    tasks,
    thanks,
    volunteers,
)

router = APIRouter()
for pages in (dashboard, tasks, decisions, candidates, volunteers, thanks, agreement_documents):
    router.include_router(pages.router)
