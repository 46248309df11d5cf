"""The migrations: reproducible reference rows, and tables that match the code's models."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from registry.app import MIGRATIONS_DIR
from registry.tables import metadata
from shared.reference import warsaw_districts
from shared.testing.platform import TestPlatform


def _migration(name: str) -> Any:
    path = next(Path(MIGRATIONS_DIR, "versions").glob(f"{name}_*.py"))
    spec = importlib.util.spec_from_file_location(f"registry_migration_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_district_rows_are_the_reference_data_written_out() -> None:
    rows = _migration("0002").DISTRICTS
    assert len(rows) == 18
    assert {slug: (name, library) for slug, name, library, _ in rows} == {
        d.slug: (d.name, d.district_library) for d in warsaw_districts().values()
    }
    assert len({organisation_id for *_, organisation_id in rows}) == 18


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "include_schemas": True,
            "include_name": lambda name, kind, _: kind != "schema" or name == "registry",
            # The outbox and inbox are shared.messaging_tables', not this metadata's.
            "include_object": lambda obj, name, kind, *_: (
                not (kind == "table" and name in ("outbox", "inbox", "alembic_version"))
            ),
        },
    )
    return list(compare_metadata(context, metadata))


async def test_the_migrated_tables_match_the_models(platform: TestPlatform) -> None:
    # Reflected from outside the schema, so foreign keys carry its name as the models' do.
    engine = create_async_engine(
        platform.database_url("registry"),
        connect_args={"server_settings": {"search_path": "pg_catalog"}},
    )
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == [], "\n".join(map(str, differences))
