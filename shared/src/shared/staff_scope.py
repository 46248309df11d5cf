"""Staff branch scope from registry's coordinator and trainer assignments.

Registry is the one place where the city says who coordinates volunteers at a branch and
which trainer supports it. Every service keeps its own copy of those assignments, fed by
registry's events, in two tables of its own schema:

- ``staff_assignments``: (role, person, branch, edition) and whether it holds now; the
  latest event by time wins, so events that arrive out of order change nothing;
- ``staff_subjects``: the person's user id at the identity provider (a token's ``sub``),
  and when the person was erased (then nothing about them is applied again).

Neither holds a name, an e-mail or a phone number. A staff token still says who the person
is (``sub``) and their role; ``StaffScopeVerifier`` gives them the branches this copy names
for that role, never a ``branches`` claim from the token. Unassigning a coordinator in
registry removes their access in every service as soon as the event is consumed.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.auth import Principal, TokenVerifier
from shared.cloudevents import CloudEvent
from shared.consumer import EventHandlers
from shared.db import Database
from shared.settings import ServiceSettings
from shared.unit_of_work import UnitOfWork

REGISTRY = "pl.waw.volunteering.registry"
COORDINATOR_ASSIGNED = f"{REGISTRY}.coordinator.assigned.v1"
COORDINATOR_UNASSIGNED = f"{REGISTRY}.coordinator.unassigned.v1"
TRAINER_ASSIGNED = f"{REGISTRY}.trainer.assigned.v1"
TRAINER_UNASSIGNED = f"{REGISTRY}.trainer.unassigned.v1"
STAFF_SUBJECT_CHANGED = f"{REGISTRY}.staff.subject.changed.v1"
TRAINER_SUBJECT_CHANGED = f"{REGISTRY}.trainer.subject.changed.v1"
STAFF_ERASED = f"{REGISTRY}.staff.erased.v1"
TRAINER_ERASED = f"{REGISTRY}.trainer.erased.v1"

# The roles whose branches come from registry's assignments. A district library's
# administrator acts only in registry, which knows their organisation's branches itself; a
# service's copy holds no assignment of theirs, so elsewhere they act for no branch.
SCOPED_ROLES = ("coordinator", "trainer", "district_admin")
# A coordinator is assigned to a branch, not to an edition.
NO_EDITION = uuid.UUID(int=0)


def staff_scope_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """(staff_assignments, staff_subjects) in ``metadata``'s schema."""
    assignments = sa.Table(
        "staff_assignments",
        metadata,
        sa.Column("role", sa.Text, primary_key=True),
        sa.Column("person_id", sa.Uuid, primary_key=True),
        sa.Column("branch_id", sa.Uuid, primary_key=True),
        sa.Column("edition_id", sa.Uuid, primary_key=True),
        sa.Column("branch_code", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("staff_assignments_person", "role", "person_id"),
    )
    subjects = sa.Table(
        "staff_subjects",
        metadata,
        sa.Column("role", sa.Text, primary_key=True),
        sa.Column("person_id", sa.Uuid, primary_key=True),
        sa.Column("subject", sa.Text),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True)),
        sa.Index("staff_subjects_subject", "subject"),
    )
    return assignments, subjects


def create_staff_scope_tables_sql(schema: str) -> list[str]:
    """DDL for a service's migration: both tables and their indexes."""
    dialect = pg.dialect()  # type: ignore[no-untyped-call]
    statements: list[str] = []
    for table in staff_scope_tables(sa.MetaData(schema=schema)):
        statements.append(str(sa.schema.CreateTable(table).compile(dialect=dialect)))
        statements.extend(
            str(sa.schema.CreateIndex(index).compile(dialect=dialect)) for index in table.indexes
        )
    return statements


def drop_staff_scope_tables_sql(schema: str) -> list[str]:
    return [
        f'DROP TABLE IF EXISTS "{schema}".staff_assignments',
        f'DROP TABLE IF EXISTS "{schema}".staff_subjects',
    ]


class _Facts(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CoordinatorFacts(_Facts):
    branch_id: uuid.UUID
    code: str
    staff_id: uuid.UUID
    subject: str | None = None


class TrainerFacts(_Facts):
    branch_id: uuid.UUID
    code: str
    edition_id: uuid.UUID
    trainer_id: uuid.UUID
    subject: str | None = None


class StaffSubjectFacts(_Facts):
    staff_id: uuid.UUID
    subject: str | None = None


class TrainerSubjectFacts(_Facts):
    trainer_id: uuid.UUID
    subject: str | None = None


class StaffErasedFacts(_Facts):
    staff_id: uuid.UUID


class TrainerErasedFacts(_Facts):
    trainer_id: uuid.UUID


def _occurred_at(event: CloudEvent) -> datetime:
    return event.time or datetime.now(UTC)


class StaffScope:
    """A service's copy of registry's assignments, in ``schema``."""

    def __init__(self, schema: str) -> None:
        self.schema = schema
        self.assignments, self.subjects = staff_scope_tables(sa.MetaData(schema=schema))

    # -- applying registry's events ----------------------------------------------------

    async def record_assignment(
        self,
        uow: UnitOfWork,
        *,
        role: str,
        person_id: uuid.UUID,
        branch_id: uuid.UUID,
        branch_code: str,
        edition_id: uuid.UUID | None = None,
        subject: str | None,
        active: bool,
        occurred_at: datetime,
    ) -> None:
        connection = await uow.session.connection()
        if await self._erased(connection, role, person_id):
            return
        table = self.assignments
        statement = insert(table).values(
            role=role,
            person_id=person_id,
            branch_id=branch_id,
            edition_id=edition_id or NO_EDITION,
            branch_code=branch_code,
            active=active,
            changed_at=occurred_at,
        )
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.role, table.c.person_id, table.c.branch_id,
                                table.c.edition_id],
                set_={"branch_code": statement.excluded.branch_code,
                      "active": statement.excluded.active,
                      "changed_at": statement.excluded.changed_at},
                where=table.c.changed_at <= statement.excluded.changed_at,
            )
        )  # fmt: skip
        await self.record_subject(
            uow, role=role, person_id=person_id, subject=subject, occurred_at=occurred_at
        )

    async def record_subject(
        self,
        uow: UnitOfWork,
        *,
        role: str,
        person_id: uuid.UUID,
        subject: str | None,
        occurred_at: datetime,
    ) -> None:
        """The person's user id as of ``occurred_at``, unless a newer event said more."""
        table = self.subjects
        statement = insert(table).values(
            role=role, person_id=person_id, subject=subject, changed_at=occurred_at
        )
        await (await uow.session.connection()).execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.role, table.c.person_id],
                set_={"subject": statement.excluded.subject,
                      "changed_at": statement.excluded.changed_at},
                where=sa.and_(table.c.changed_at <= statement.excluded.changed_at,
                              table.c.erased_at.is_(None)),
            )
        )  # fmt: skip

    async def forget_person(
        self, uow: UnitOfWork, *, role: str, person_id: uuid.UUID, occurred_at: datetime
    ) -> None:
        """registry erased the person: no assignment and no user id of theirs is kept, and
        no late event about them is applied again (a tombstone with the person's id only)."""
        connection = await uow.session.connection()
        await connection.execute(
            self.assignments.delete().where(
                self.assignments.c.role == role, self.assignments.c.person_id == person_id
            )
        )
        table = self.subjects
        statement = insert(table).values(
            role=role, person_id=person_id, subject=None, changed_at=occurred_at,
            erased_at=occurred_at,
        )  # fmt: skip
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.role, table.c.person_id],
                set_={"subject": None, "erased_at": statement.excluded.erased_at,
                      "changed_at": statement.excluded.changed_at},
            )
        )  # fmt: skip

    async def _erased(self, connection: AsyncConnection, role: str, person_id: uuid.UUID) -> bool:
        table = self.subjects
        found = await connection.scalar(
            sa.select(table.c.erased_at).where(table.c.role == role, table.c.person_id == person_id)
        )
        return found is not None

    # -- reading ---------------------------------------------------------------------

    async def branches_of(
        self, connection: AsyncConnection, subject: str, roles: Iterable[str]
    ) -> frozenset[str]:
        """The codes of the branches where ``subject`` holds one of ``roles`` now."""
        a, s = self.assignments, self.subjects
        query = (
            sa.select(a.c.branch_code)
            .distinct()
            .join(s, sa.and_(s.c.role == a.c.role, s.c.person_id == a.c.person_id))
            .where(
                s.c.subject == subject,
                s.c.erased_at.is_(None),
                a.c.role.in_(sorted(roles)),
                a.c.active.is_(True),
            )
        )
        return frozenset((await connection.scalars(query)).all())

    # -- the events ------------------------------------------------------------------

    def steps(
        self,
    ) -> dict[str, tuple[type[BaseModel], Callable[[UnitOfWork, CloudEvent], Awaitable[None]]]]:
        """Each registry event this copy follows: its data model and what it does."""

        def coordinator(active: bool) -> Callable[[UnitOfWork, CloudEvent], Awaitable[None]]:
            async def step(uow: UnitOfWork, event: CloudEvent) -> None:
                d = CoordinatorFacts.model_validate(event.data)
                await self.record_assignment(
                    uow, role="coordinator", person_id=d.staff_id, branch_id=d.branch_id,
                    branch_code=d.code, subject=d.subject, active=active,
                    occurred_at=_occurred_at(event),
                )  # fmt: skip

            return step

        def trainer(active: bool) -> Callable[[UnitOfWork, CloudEvent], Awaitable[None]]:
            async def step(uow: UnitOfWork, event: CloudEvent) -> None:
                d = TrainerFacts.model_validate(event.data)
                await self.record_assignment(
                    uow, role="trainer", person_id=d.trainer_id, branch_id=d.branch_id,
                    branch_code=d.code, edition_id=d.edition_id, subject=d.subject,
                    active=active, occurred_at=_occurred_at(event),
                )  # fmt: skip

            return step

        async def staff_subject(uow: UnitOfWork, event: CloudEvent) -> None:
            d = StaffSubjectFacts.model_validate(event.data)
            await self.record_subject(
                uow, role="coordinator", person_id=d.staff_id, subject=d.subject,
                occurred_at=_occurred_at(event),
            )  # fmt: skip

        async def trainer_subject(uow: UnitOfWork, event: CloudEvent) -> None:
            d = TrainerSubjectFacts.model_validate(event.data)
            await self.record_subject(
                uow, role="trainer", person_id=d.trainer_id, subject=d.subject,
                occurred_at=_occurred_at(event),
            )  # fmt: skip

        async def staff_erased(uow: UnitOfWork, event: CloudEvent) -> None:
            d = StaffErasedFacts.model_validate(event.data)
            await self.forget_person(
                uow, role="coordinator", person_id=d.staff_id, occurred_at=_occurred_at(event)
            )

        async def trainer_erased(uow: UnitOfWork, event: CloudEvent) -> None:
            d = TrainerErasedFacts.model_validate(event.data)
            await self.forget_person(
                uow, role="trainer", person_id=d.trainer_id, occurred_at=_occurred_at(event)
            )

        return {
            COORDINATOR_ASSIGNED: (CoordinatorFacts, coordinator(True)),
            COORDINATOR_UNASSIGNED: (CoordinatorFacts, coordinator(False)),
            TRAINER_ASSIGNED: (TrainerFacts, trainer(True)),
            TRAINER_UNASSIGNED: (TrainerFacts, trainer(False)),
            STAFF_SUBJECT_CHANGED: (StaffSubjectFacts, staff_subject),
            TRAINER_SUBJECT_CHANGED: (TrainerSubjectFacts, trainer_subject),
            STAFF_ERASED: (StaffErasedFacts, staff_erased),
            TRAINER_ERASED: (TrainerErasedFacts, trainer_erased),
        }

    def follow(self, handlers: EventHandlers) -> EventHandlers:
        """Add the copy's steps to a service's handlers: before the service's own handler of
        the same event, in its transaction. Call once per handlers table, before the
        service's bindings are taken from it."""
        for event_type, (model, step) in self.steps().items():
            handlers.precede(event_type, step, model)
        return handlers


class BranchesSource(Protocol):
    async def branches_of(
        self, connection: AsyncConnection, subject: str, roles: Iterable[str]
    ) -> frozenset[str]: ...


class StaffScopeVerifier(TokenVerifier):
    """The token says who the person is and their role; the branches are the ones registry
    assigned them, as this service's copy knows them now (never the token's ``branches``).

    A city administrator's tokens need no branches; a volunteer's never carry any."""

    def __init__(
        self, settings: ServiceSettings, database: Database, scope: BranchesSource
    ) -> None:
        super().__init__(settings)
        self.database = database
        self.scope = scope

    async def verify(self, token: str) -> Principal:
        principal = await super().verify(token)
        roles = principal.roles & set(SCOPED_ROLES)
        if not roles:
            return replace(principal, branches=frozenset())
        return replace(principal, branches=await self.branches_for(principal.subject, roles))

    async def branches_for(self, subject: str, roles: Iterable[str]) -> frozenset[str]:
        async with self.database.engine.connect() as connection:
            return await self.scope.branches_of(connection, subject, roles)


def install_staff_scope(service: Any, scope: StaffScope | None = None) -> StaffScope:
    """Wire the copy into a built ``shared.service.Service``: its API's tokens get their
    branches from it. The handlers table must already follow the copy (``StaffScope.follow``,
    where the service builds its handlers, so that its queue is bound to the events)."""
    scope = scope or StaffScope(service.settings.database_schema)
    missing = [t for t in scope.steps() if t not in service.definition.handlers.event_types]
    if missing:
        raise ValueError(f"the service's handlers do not follow the staff scope: {missing}")
    service.http.state.token_verifier = StaffScopeVerifier(
        service.settings, service.database, scope
    )
    return scope
