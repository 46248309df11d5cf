"""Compare a service's migrated schema with its models (Alembic's autogenerate diff)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.testing.platform import TestPlatform

SHARED_TABLES = frozenset({"inbox", "outbox", "alembic_version"})
"""In every service's schema, not in its models: ``shared.messaging_tables`` and Alembic's."""


def own_tables(obj: Any, name: str | None, kind: str, *_: Any) -> bool:
    """Every table of the service's own models (and with them their columns and indexes)."""
    return not (kind == "table" and name in SHARED_TABLES)


async def schema_differences(
    platform: TestPlatform,
    service: str,
    metadata: MetaData,
    include_object: Callable[..., bool] = own_tables,
) -> list[Any]:
    """What the migrated schema of ``service`` lacks or has beyond ``metadata``."""

    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_schemas": True,
                "include_name": lambda name, kind, _: kind != "schema" or name == service,
                "include_object": include_object,
            },
        )
        return list(compare_metadata(context, metadata))

    # Reflected from outside the schema, so foreign keys carry its name as the models' do.
    engine = create_async_engine(
        platform.database_url(service, owner=True),
        connect_args={"server_settings": {"search_path": "pg_catalog"}},
    )
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(differences)
    finally:
        await engine.dispose()
