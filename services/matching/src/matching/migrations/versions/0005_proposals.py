"""Proposals from batch plans, and used no-login link tokens.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "matching"


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("plan_id", sa.Uuid, nullable=False, index=True),
        sa.Column("task_id", sa.Uuid, nullable=False, index=True),
        sa.Column("volunteer_id", sa.Uuid, nullable=False, index=True),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_table(
        "used_link_tokens",
        sa.Column("jti", sa.String(64), primary_key=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("used_link_tokens", schema=SCHEMA)
    op.drop_table("proposals", schema=SCHEMA)
