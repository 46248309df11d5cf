"""One Postgres database per test, cloned from a template that has every migration applied."""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path

import asyncpg
import sqlalchemy as sa

from shared.bootstrap import SCHEMAS, owner_role, roles_and_schemas_sql
from shared.migrations import upgrade_to_head
from shared.testing.infrastructure import Infrastructure, is_stale, unique_name


def service_database_url(
    admin_url: str, database: str, service: str, *, owner: bool = False
) -> str:
    """The URL a service uses in a test: its own role (DML only), the test's database;
    ``owner``: the schema owner's role, which migrations and DDL use."""
    role = owner_role(service) if owner else service
    url = sa.make_url(admin_url)
    return url.set(
        drivername="postgresql+asyncpg", username=role, password=role, database=database
    ).render_as_string(hide_password=False)


def migrations_dir(service: str) -> Path:
    module = importlib.import_module(f"{service}.app")
    path: Path = module.MIGRATIONS_DIR
    return path


class Databases:
    def __init__(self, infrastructure: Infrastructure) -> None:
        self.admin_url = infrastructure.postgres_admin_url
        self.template: str | None = None

    async def _admin(self, database: str | None = None) -> asyncpg.Connection:
        connection: asyncpg.Connection = await asyncpg.connect(self.admin_url, database=database)
        return connection

    async def prepare_template(self) -> None:
        """Roles, schemas and all four services' migrations, once per test session."""
        await self.delete_stale()
        name = unique_name("vt_tmpl_")
        admin = await self._admin()
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        connection = await self._admin(name)
        try:
            async with connection.transaction():
                await connection.execute("SELECT pg_advisory_xact_lock(20170101)")
                await connection.execute(roles_and_schemas_sql(name))
        finally:
            await connection.close()
        # One at a time: Alembic's migration context is process-global.
        for service in SCHEMAS:
            await asyncio.to_thread(
                upgrade_to_head,
                service_database_url(self.admin_url, name, service, owner=True),
                migrations_dir(service),
            )
        self.template = name

    async def create(self) -> str:
        assert self.template, "prepare_template() first"
        name = unique_name("vt_")
        admin = await self._admin()
        try:
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            # A database's own privileges are not copied from its template.
            await admin.execute(f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC')
            for service in SCHEMAS:
                for role in (service, owner_role(service)):
                    await admin.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{name}" TO {role}')
        finally:
            await admin.close()
        return name

    async def drop(self, name: str) -> None:
        admin = await self._admin()
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    async def drop_template(self) -> None:
        if self.template:
            await self.drop(self.template)

    async def delete_stale(self, older_than_s: float = 3 * 3600) -> None:
        admin = await self._admin()
        try:
            names = [
                row["datname"]
                for row in await admin.fetch(
                    "SELECT datname FROM pg_database WHERE datname LIKE 'vt\\_%'"
                )
            ]
            for name in names:
                if is_stale(name, "vt_", older_than_s) or is_stale(name, "vt_tmpl_", older_than_s):
                    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
