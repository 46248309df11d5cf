"""Branches' applications to the calls: counts, acceptance rate and budget, per district."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from reporting import applications
from reporting.api.common import CityAdmin, ServiceDep

router = APIRouter()


class ApplicationFigures(BaseModel):
    applications: int
    accepted: int
    rejected: int
    waiting: int
    acceptance_rate: float | None
    granted_pln: Decimal
    settled_pln: Decimal


class DistrictApplications(ApplicationFigures):
    district: str


class EditionApplications(ApplicationFigures):
    edition_id: uuid.UUID
    districts: list[DistrictApplications]


class ApplicationsReport(BaseModel):
    editions: list[EditionApplications]


def _figures(found: applications.Figures) -> dict[str, object]:
    return {
        "applications": found.applications,
        "accepted": found.accepted,
        "rejected": found.rejected,
        "waiting": found.waiting,
        "acceptance_rate": found.acceptance_rate,
        "granted_pln": found.granted_pln,
        "settled_pln": found.settled_pln,
    }


@router.get("/reports/applications", response_model=ApplicationsReport)
async def applications_report(
    service: ServiceDep,
    _: CityAdmin,
    edition_id: Annotated[uuid.UUID | None, Query(description="only this edition")] = None,
) -> ApplicationsReport:
    """Per edition and per district: the branches' applications (accepted, rejected, still
    waiting), the acceptance rate (accepted of those decided), the budget granted with the
    accepted applications and the amount settled by the accepted annual reports. A branch
    enrolled without an application counts only in the settled amount."""
    async with service.database.engine.connect() as connection:
        found = await applications.figures(connection, edition_id)
    return ApplicationsReport(
        editions=[
            EditionApplications(
                edition_id=edition.edition_id,
                **_figures(edition),
                districts=[
                    DistrictApplications(district=district, **_figures(figures))
                    for district, figures in edition.districts.items()
                ],
            )
            for edition in found
        ]
    )
