"""Migrations run as each schema's owner; a service's own role reads and writes rows only,
and a failing statement's error carries no parameter values."""

from __future__ import annotations

import asyncpg
import pytest
import sqlalchemy as sa

from shared.db import Database
from shared.testing.platform import TestPlatform

SCHEMAS = ("registry", "matching", "notifications", "reporting", "console")


@pytest.mark.parametrize("schema", SCHEMAS)
async def test_the_service_role_has_dml_only_and_the_owner_ddl(
    platform: TestPlatform, schema: str
) -> None:
    owner = await asyncpg.connect(platform.database_url(schema, owner=True).replace("+asyncpg", ""))
    try:
        await owner.execute(f"CREATE TABLE {schema}.probe (id int PRIMARY KEY, note text)")
        assert (
            await platform.fetchval(
                "SELECT tableowner FROM pg_tables WHERE schemaname = $1 AND tablename = 'probe'",
                schema,
            )
            == f"{schema}_owner"
        )
    finally:
        await owner.close()
    service = await asyncpg.connect(platform.database_url(schema).replace("+asyncpg", ""))
    try:
        await service.execute(f"INSERT INTO {schema}.probe VALUES (1, 'a')")
        await service.execute(f"UPDATE {schema}.probe SET note = 'b' WHERE id = 1")
        assert await service.fetchval(f"SELECT note FROM {schema}.probe") == "b"
        await service.execute(f"DELETE FROM {schema}.probe")
        for ddl in (
            f"CREATE TABLE {schema}.other (id int)",
            f"ALTER TABLE {schema}.probe ADD COLUMN extra int",
            f"DROP TABLE {schema}.probe",
            f"CREATE INDEX probe_note ON {schema}.probe (note)",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await service.execute(ddl)
        # Nor the tables its migrations made.
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await service.execute(f"DROP TABLE {schema}.alembic_version")
    finally:
        await service.close()


async def test_a_failing_statement_names_no_parameter_values(platform: TestPlatform) -> None:
    database = Database(platform.database_url("matching"), "matching")
    secret_value = "anna.kowalska@example.org"
    try:
        with pytest.raises(sa.exc.DBAPIError) as failed:
            async with database.transaction() as session:
                await session.exec(  # type: ignore[call-overload]
                    sa.text("SELECT length(:email) / 0"), params={"email": secret_value}
                )
    finally:
        await database.dispose()
    # SQLAlchemy would append "[parameters: ('anna.kowalska@example.org',)]". (Postgres's own
    # message can still quote a value it could not parse: logs carry error types, not texts.)
    assert secret_value not in str(failed.value)
    assert "hidden due to hide_parameters" in str(failed.value)
