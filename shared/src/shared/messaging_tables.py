"""The outbox and inbox tables, the same in every service's schema."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg


def outbox_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "outbox",
        metadata,
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False, unique=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("exchange", sa.Text, nullable=False),
        sa.Column("routing_key", sa.Text, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("correlation_id", sa.Text),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Index("outbox_pending", "seq", postgresql_where=sa.text("published_at IS NULL")),
        sa.Index("outbox_published_at", "published_at"),
    )


def inbox_table(metadata: sa.MetaData) -> sa.Table:
    # CloudEvents define uniqueness as (source, id); message_id is the event id.
    return sa.Table(
        "inbox",
        metadata,
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("message_id", sa.Text, primary_key=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Index("inbox_received_at", "received_at"),
    )


def outbox_channel(schema: str) -> str:
    """The LISTEN/NOTIFY channel the relay of ``schema`` wakes on."""
    return f"{schema}_outbox"


def create_messaging_tables_sql(schema: str) -> list[str]:
    """DDL for a service's first migration: both tables plus the trigger that wakes the relay."""
    metadata = sa.MetaData(schema=schema)
    tables = [outbox_table(metadata), inbox_table(metadata)]
    dialect = pg.dialect()  # type: ignore[no-untyped-call]
    statements: list[str] = []
    for table in tables:
        statements.append(str(sa.schema.CreateTable(table).compile(dialect=dialect)))
        statements.extend(
            str(sa.schema.CreateIndex(index).compile(dialect=dialect)) for index in table.indexes
        )
    channel = outbox_channel(schema)
    statements.append(
        f"""CREATE FUNCTION "{schema}".notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('{channel}', ''); RETURN NULL; END $$"""
    )
    # One notification per statement is enough: the relay drains everything pending.
    statements.append(
        f'CREATE TRIGGER outbox_notify AFTER INSERT ON "{schema}".outbox '
        f'FOR EACH STATEMENT EXECUTE FUNCTION "{schema}".notify_outbox()'
    )
    return statements


def drop_messaging_tables_sql(schema: str) -> list[str]:
    return [
        f'DROP TABLE IF EXISTS "{schema}".inbox',
        f'DROP TABLE IF EXISTS "{schema}".outbox',
        f'DROP FUNCTION IF EXISTS "{schema}".notify_outbox()',
    ]
