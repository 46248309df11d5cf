"""Async SQLModel over asyncpg: one engine per service, bound to the service's own schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import registry
from sqlmodel.ext.asyncio.session import AsyncSession


def schema_registry(schema: str) -> registry:
    """A mapper registry whose tables live in ``schema``: each service's SQLModel base uses one.

    Example::

        class MatchingTable(SQLModel, registry=schema_registry("matching")): ...
    """
    return registry(metadata=sa.MetaData(schema=schema))


def asyncpg_dsn(url: str) -> str:
    """The plain libpq-style DSN asyncpg wants, from an SQLAlchemy URL."""
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Database:
    """The service's engine and sessions. Built in the composition root, never at import."""

    def __init__(
        self, url: str, schema: str, *, pool_size: int = 10, max_overflow: int = 10
    ) -> None:
        self.url = url
        self.schema = schema
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            # No ping before each checkout: it costs a round trip per transaction. A
            # connection lost with the server fails its statement as a transient error, the
            # pool is invalidated, and the consumer's retry takes a fresh one.
            pool_pre_ping=False,
            # Errors and logs name the statement, never its values (personal data).
            hide_parameters=True,
            connect_args={
                "server_settings": {"search_path": schema, "application_name": schema},
                "timeout": 5,
            },
        )
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed when the block ends, rolled back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
