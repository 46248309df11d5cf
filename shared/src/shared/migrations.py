"""Alembic per service: its own migrations, its version table in its own schema."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from shared.db import Database


def run_migrations(schema: str, target_metadata: sa.MetaData | None) -> None:
    """The body of every service's ``migrations/env.py``."""
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("sqlalchemy.url is not set: run migrations through the service CLI")
    if context.is_offline_mode():
        context.configure(
            url=url,
            target_metadata=target_metadata,
            version_table_schema=schema,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, schema, target_metadata))


async def _run_online(url: str, schema: str, target_metadata: sa.MetaData | None) -> None:
    engine = create_async_engine(url, poolclass=NullPool, hide_parameters=True)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure_and_run, schema, target_metadata)
            await connection.commit()
    finally:
        await engine.dispose()


def _configure_and_run(
    connection: Connection, schema: str, target_metadata: sa.MetaData | None
) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table_schema=schema,
        include_schemas=False,
    )
    with context.begin_transaction():
        context.run_migrations()


def alembic_config(database_url: str, migrations_dir: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(database_url: str, migrations_dir: Path) -> None:
    """Blocking: call it from a thread when an event loop is running."""
    command.upgrade(alembic_config(database_url, migrations_dir), "head")


def head_revision(migrations_dir: Path) -> str | None:
    script = ScriptDirectory.from_config(alembic_config("postgresql://unused", migrations_dir))
    return script.get_current_head()


async def current_revision(database: Database) -> str | None:
    async with database.engine.connect() as connection:
        exists = await connection.scalar(
            sa.text("SELECT to_regclass(:name) IS NOT NULL"),
            {"name": f'"{database.schema}".alembic_version'},
        )
        if not exists:
            return None
        revision: str | None = await connection.scalar(
            sa.text(f'SELECT version_num FROM "{database.schema}".alembic_version')
        )
        return revision


def create_messaging_tables(schema: str) -> None:
    """For a service's first migration: the outbox, the inbox and the relay's wake-up trigger."""
    from alembic import op

    from shared.messaging_tables import create_messaging_tables_sql

    for statement in create_messaging_tables_sql(schema):
        op.execute(statement)


def drop_messaging_tables(schema: str) -> None:
    from alembic import op

    from shared.messaging_tables import drop_messaging_tables_sql

    for statement in drop_messaging_tables_sql(schema):
        op.execute(statement)
