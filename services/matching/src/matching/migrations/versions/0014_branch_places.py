"""Matching keeps where a branch is: its address and opening hours (from registry's
branch events), for the volunteer's shift page and the branch's kiosk.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "matching"


def upgrade() -> None:
    op.add_column("branches", sa.Column("address", sa.Text), schema=SCHEMA)
    op.add_column(
        "branches",
        sa.Column("opening_hours", pg.JSONB, nullable=False, server_default="[]"),
        schema=SCHEMA,
    )
    op.alter_column("branches", "opening_hours", server_default=None, schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("branches", "opening_hours", schema=SCHEMA)
    op.drop_column("branches", "address", schema=SCHEMA)
