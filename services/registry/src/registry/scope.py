"""What a caller may see (their branches) and how long lists come back (pages)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Generic, TypeVar

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.sql.expression import SelectOfScalar

from shared.unit_of_work import UnitOfWork

T = TypeVar("T")


@dataclass(frozen=True)
class Scope:
    """The branches a caller may see: every one (``everything``), or those listed."""

    everything: bool
    branch_ids: frozenset[uuid.UUID] = frozenset()

    def allows(self, branch_id: uuid.UUID) -> bool:
        return self.everything or branch_id in self.branch_ids


EVERYTHING = Scope(everything=True)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


async def one_page(uow: UnitOfWork, query: SelectOfScalar[T], limit: int, offset: int) -> Page[T]:
    total = (await uow.session.exec(select(sa.func.count()).select_from(query.subquery()))).one()
    items = list((await uow.session.exec(query.limit(limit).offset(offset))).all())
    return Page(items=items, total=int(total), limit=limit, offset=offset)
