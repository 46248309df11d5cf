"""Use cases for a district library's administrators: who acts for all its branches.

The city office assigns a staff member to administer an organisation (a district library,
"Biblioteka Publiczna w Dzielnicy X"); from then on they see and act for every branch the
organisation runs: its enrolments, coordinators and progress, and its applications to a
call. Only registry needs to know it (every such page and route is registry's), so it
causes no event; erasing the staff member ends it (``staff.erase_staff``).
"""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa

from registry.assignments import current_holders, current_tie, end_tie
from registry.clock import today
from registry.commands import AssignAdministrator
from registry.domain import NotFound, RuleViolation
from registry.staff import check_not_erased, get_staff
from registry.tables import Organisation, OrganisationAdministrator, StaffMember
from shared.unit_of_work import UnitOfWork


async def get_organisation(uow: UnitOfWork, organisation_id: uuid.UUID) -> Organisation:
    organisation = await uow.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"no organisation with id '{organisation_id}'")
    return organisation


async def current_administration(
    uow: UnitOfWork, organisation_id: uuid.UUID, staff_id: uuid.UUID
) -> OrganisationAdministrator | None:
    to = OrganisationAdministrator.organisation_id == organisation_id
    return await current_tie(uow, OrganisationAdministrator, to, staff_id)


async def assign_administrator(
    uow: UnitOfWork, organisation_id: uuid.UUID, command: AssignAdministrator
) -> OrganisationAdministrator:
    """An organisation may have several administrators; a person may administer several."""
    organisation = await get_organisation(uow, organisation_id)
    staff = await get_staff(uow, command.staff_id)
    check_not_erased(staff)
    if await current_administration(uow, organisation.id, staff.id) is not None:
        raise RuleViolation(
            f"{staff.name} already administers '{organisation.name}'", title="Already assigned"
        )
    administration = OrganisationAdministrator(
        organisation_id=organisation.id,
        staff_id=staff.id,
        assigned_on=command.assigned_on or today(),
    )
    uow.session.add(administration)
    await uow.session.flush()
    return administration


async def unassign_administrator(
    uow: UnitOfWork, organisation_id: uuid.UUID, staff_id: uuid.UUID, on: date | None = None
) -> OrganisationAdministrator:
    organisation = await get_organisation(uow, organisation_id)
    staff = await get_staff(uow, staff_id)
    administration = await current_administration(uow, organisation.id, staff.id)
    if administration is None:
        raise NotFound(f"{staff.name} does not administer '{organisation.name}'")
    await end_tie(uow, administration, on)
    return administration


async def administrators_of(
    uow: UnitOfWork, organisation_id: uuid.UUID | None = None
) -> list[tuple[OrganisationAdministrator, StaffMember]]:
    """An organisation's administrators now; every organisation's without one."""
    if organisation_id is None:
        return await current_holders(uow, OrganisationAdministrator, sa.true())
    await get_organisation(uow, organisation_id)
    to = OrganisationAdministrator.organisation_id == organisation_id
    return await current_holders(uow, OrganisationAdministrator, to)
