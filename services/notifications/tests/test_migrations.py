"""The migrations build the staff table its model describes (with the user id column)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from notifications.tables import metadata
from shared.testing.platform import TestPlatform


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "include_schemas": True,
            "include_name": lambda name, kind, _: kind != "schema" or name == "notifications",
            "include_object": lambda obj, name, kind, *_: (
                obj.table.name == "staff" if kind in ("column", "index") else name == "staff"
            ),
        },
    )
    return list(compare_metadata(context, metadata))


async def test_the_migrated_staff_table_matches_its_model(platform: TestPlatform) -> None:
    # Reflected from outside the schema, so foreign keys carry its name as the models' do.
    engine = create_async_engine(
        platform.database_url("notifications"),
        connect_args={"server_settings": {"search_path": "pg_catalog"}},
    )
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == [], "\n".join(map(str, differences))
    index = await platform.fetchval(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'notifications' "
        "AND indexname = 'ix_notifications_staff_subject'"
    )
    assert index is not None and "(subject)" in index
