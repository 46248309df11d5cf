"""The demo's district library directors: one administrator for each district library, user
id ``kc-district-admin-<district>`` (the realm's demo user ``dyrektorka`` is Białołęka's)."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from registry import administrators, staff
from registry.commands import AssignAdministrator, StaffDetails
from registry.tables import Organisation
from shared.unit_of_work import UnitOfWork

FIRST_DAY = date(2019, 1, 15)


async def seed_directors(uow: UnitOfWork) -> int:
    """Assign a director to every district library that has none; returns how many exist."""
    libraries = (
        await uow.session.exec(
            select(Organisation)
            .where(Organisation.institution_type == "library_branch")
            .order_by(Organisation.district)
        )
    ).all()
    for library in libraries:
        details = StaffDetails(
            name=f"Dyrekcja {library.name}"[:200],
            email=f"dyrekcja.{library.district}@biblioteki.example.pl",
            subject=f"kc-district-admin-{library.district}",
        )
        director = await staff.find_staff_by_email(uow, str(details.email))
        if director is None:
            director = await staff.create_staff(uow, details)
        if await administrators.current_administration(uow, library.id, director.id) is None:
            await administrators.assign_administrator(
                uow, library.id, AssignAdministrator(staff_id=director.id, assigned_on=FIRST_DAY)
            )
    return len(libraries)
