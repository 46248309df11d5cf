"""Staff and trainers can be erased: when, so that nobody assigns an erased person again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "registry"


def upgrade() -> None:
    for table in ("staff", "trainers"):
        op.add_column(
            table, sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True), schema=SCHEMA
        )


def downgrade() -> None:
    for table in ("staff", "trainers"):
        op.drop_column(table, "erased_at", schema=SCHEMA)
