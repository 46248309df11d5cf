"""Branches' applications to the editions' calls: how many, how many accepted or rejected,
and the budget granted and settled, per edition and per district.

Registry tells every step (``application.submitted`` / ``changes_requested`` /
``accepted`` / ``rejected``, and ``report.accepted`` with what the branch spent); reporting
keeps one typed row per (edition, branch) in ``branch_applications`` and, for the
districts, the district of every branch from ``branch.registered`` / ``updated`` in
``application_branches``. The facts go to the log like every other (``contracts.READERS``),
so ``rebuild`` replays them into both tables. Nothing here names a person.

Events may arrive out of order: an application's state is the one of its latest step by
the event's time, and the settled amount the one of the latest accepted report.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import Field

from reporting.domain.facts import BRANCH_REGISTERED, BRANCH_UPDATED, BranchRead, Reader, registry
from reporting.tables import ReportingTable
from shared.cloudevents import CloudEvent
from shared.consumer import EventHandlers
from shared.unit_of_work import UnitOfWork

APPLICATION_SUBMITTED = registry("application.submitted.v1")
APPLICATION_CHANGES_REQUESTED = registry("application.changes_requested.v1")
APPLICATION_ACCEPTED = registry("application.accepted.v1")
APPLICATION_REJECTED = registry("application.rejected.v1")
REPORT_ACCEPTED = registry("report.accepted.v1")
STATUS_OF = {
    APPLICATION_SUBMITTED: "submitted",
    APPLICATION_CHANGES_REQUESTED: "changes_requested",
    APPLICATION_ACCEPTED: "accepted",
    APPLICATION_REJECTED: "rejected",
}
NO_DISTRICT = "unknown"


class BranchApplication(ReportingTable, table=True):
    """A branch's application to an edition (at most one, as registry allows), and what it
    settled by its accepted annual report. A branch the city office enrolled without an
    application has a row with a settled amount and no status."""

    __tablename__ = "branch_applications"

    edition_id: uuid.UUID = Field(primary_key=True)
    branch_id: uuid.UUID = Field(primary_key=True)
    application_id: uuid.UUID | None = None
    status: str | None = Field(default=None, sa_type=sa.Text)
    granted_pln: Decimal | None = Field(default=None, sa_type=sa.Numeric(12, 2))
    status_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    settled_pln: Decimal | None = Field(default=None, sa_type=sa.Numeric(12, 2))
    settled_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class ApplicationBranch(ReportingTable, table=True):
    """The district of each branch, for the figures per district."""

    __tablename__ = "application_branches"

    branch_id: uuid.UUID = Field(primary_key=True)
    district: str = Field(sa_type=sa.Text)
    as_of: datetime = Field(sa_type=sa.DateTime(timezone=True))


# -- what reporting keeps of registry's events -------------------------------------------------


class ApplicationStepRead(Reader):
    application_id: uuid.UUID
    edition_id: uuid.UUID
    branch_id: uuid.UUID
    funding_pln: Decimal | None = None


class ReportAcceptedRead(Reader):
    edition_id: uuid.UUID
    branch_id: uuid.UUID
    spent_pln: Decimal | None = None


READERS: dict[str, type[Reader]] = {
    **{event_type: ApplicationStepRead for event_type in STATUS_OF},
    REPORT_ACCEPTED: ReportAcceptedRead,
}


# -- applying one fact -------------------------------------------------------------------------

APPLICATIONS = BranchApplication.__table__  # type: ignore[attr-defined]
BRANCHES = ApplicationBranch.__table__  # type: ignore[attr-defined]


async def apply_fact(
    connection: AsyncConnection, event_type: str, data: BaseModel, at: datetime
) -> None:
    """The two tables follow one fact (any other is not theirs and changes nothing)."""
    table = APPLICATIONS
    if isinstance(data, ApplicationStepRead) and event_type in STATUS_OF:
        values = {"application_id": data.application_id, "status": STATUS_OF[event_type],
                  "status_at": at}  # fmt: skip
        if event_type == APPLICATION_ACCEPTED:
            values["granted_pln"] = data.funding_pln
        statement = insert(table).values(
            edition_id=data.edition_id, branch_id=data.branch_id, **values
        )
        newer = sa.or_(
            table.c.status_at.is_(None), table.c.status_at <= statement.excluded.status_at
        )
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.edition_id, table.c.branch_id],
                set_={name: statement.excluded[name] for name in values},
                where=newer,
            )
        )
    elif isinstance(data, ReportAcceptedRead):
        statement = insert(table).values(
            edition_id=data.edition_id, branch_id=data.branch_id,
            settled_pln=data.spent_pln, settled_at=at,
        )  # fmt: skip
        newer = sa.or_(
            table.c.settled_at.is_(None), table.c.settled_at <= statement.excluded.settled_at
        )
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.edition_id, table.c.branch_id],
                set_={"settled_pln": statement.excluded.settled_pln,
                      "settled_at": statement.excluded.settled_at},
                where=newer,
            )
        )  # fmt: skip
    elif isinstance(data, BranchRead):
        statement = insert(BRANCHES).values(
            branch_id=data.branch_id, district=data.district, as_of=at
        )
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=[BRANCHES.c.branch_id],
                set_={"district": statement.excluded.district, "as_of": statement.excluded.as_of},
                where=BRANCHES.c.as_of <= statement.excluded.as_of,
            )
        )


Step = Callable[[UnitOfWork, CloudEvent], Awaitable[None]]


def follow(handlers: EventHandlers) -> EventHandlers:
    """Add the tables' steps to reporting's handlers, in each fact's transaction (the fact
    itself is logged by reporting's own handler of the same event)."""
    readers: dict[str, type[Reader]] = {
        **READERS, BRANCH_REGISTERED: BranchRead, BRANCH_UPDATED: BranchRead,
    }  # fmt: skip

    def step_for(reader: type[Reader]) -> Step:
        async def step(uow: UnitOfWork, event: CloudEvent) -> None:
            data = reader.model_validate(event.data)
            at = event.time or datetime.now(UTC)
            await apply_fact(await uow.session.connection(), event.type, data, at)

        return step

    for event_type, reader in readers.items():
        handlers.precede(event_type, step_for(reader), reader)
    return handlers


# -- the rebuild -------------------------------------------------------------------------------

_FACTS = sa.text(
    "SELECT event_type, data, occurred_at FROM reporting.facts"
    " WHERE event_type = ANY(:types) ORDER BY seq"
)


async def rebuild(session: AsyncSession) -> int:
    """Both tables again from the fact log, in the session's transaction (the rebuild's,
    which holds the log's lock); returns the facts replayed."""
    connection = await session.connection()
    await connection.execute(APPLICATIONS.delete())
    await connection.execute(BRANCHES.delete())
    readers: dict[str, type[Reader]] = {
        **READERS, BRANCH_REGISTERED: BranchRead, BRANCH_UPDATED: BranchRead,
    }  # fmt: skip
    rows = (await connection.execute(_FACTS, {"types": sorted(readers)})).all()
    for event_type, data, occurred_at in rows:
        await apply_fact(
            connection, event_type, readers[event_type].model_validate(data), occurred_at
        )
    return len(rows)


# -- the figures -------------------------------------------------------------------------------


@dataclass
class Figures:
    applications: int = 0
    accepted: int = 0
    rejected: int = 0
    waiting: int = 0
    granted_pln: Decimal = Decimal("0")
    settled_pln: Decimal = Decimal("0")

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted of the applications decided (accepted or rejected); None before any."""
        decided = self.accepted + self.rejected
        return round(self.accepted / decided, 4) if decided else None

    def add(self, status: str | None, granted: Decimal | None, settled: Decimal | None) -> None:
        if status is not None:
            self.applications += 1
            self.accepted += status == "accepted"
            self.rejected += status == "rejected"
            self.waiting += status in ("submitted", "changes_requested")
        self.granted_pln += granted or 0
        self.settled_pln += settled or 0


@dataclass
class EditionFigures(Figures):
    edition_id: uuid.UUID = field(default_factory=uuid.uuid4)
    districts: dict[str, Figures] = field(default_factory=dict)


_SELECT = sa.text(
    "SELECT a.edition_id, coalesce(b.district, :none) AS district, a.status, a.granted_pln,"
    " a.settled_pln FROM reporting.branch_applications a"
    " LEFT JOIN reporting.application_branches b ON b.branch_id = a.branch_id"
    " WHERE CAST(:edition AS uuid) IS NULL OR a.edition_id = CAST(:edition AS uuid)"
    " ORDER BY a.edition_id"
)


async def figures(
    connection: AsyncConnection, edition_id: uuid.UUID | None = None
) -> list[EditionFigures]:
    """Per edition, and within it per district (sorted by slug)."""
    rows: Sequence[Any] = (
        await connection.execute(_SELECT, {"none": NO_DISTRICT, "edition": edition_id})
    ).all()
    editions: dict[uuid.UUID, EditionFigures] = {}
    for edition, district, status, granted, settled in rows:
        total = editions.setdefault(edition, EditionFigures(edition_id=edition))
        total.add(status, granted, settled)
        total.districts.setdefault(district, Figures()).add(status, granted, settled)
    for total in editions.values():
        total.districts = dict(sorted(total.districts.items()))
    return list(editions.values())
