"""Entity snapshots (the read models every view is computed from) and the log's version.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "reporting"


def upgrade() -> None:
    op.create_table(
        "snapshots",
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("data", pg.JSONB, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "log_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        schema=SCHEMA,
    )
    op.execute(f"INSERT INTO {SCHEMA}.log_version (id, version) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("log_version", schema=SCHEMA)
    op.drop_table("snapshots", schema=SCHEMA)
