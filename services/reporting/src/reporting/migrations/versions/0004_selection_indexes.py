"""Indexes for questions the cells do not answer: a date range, a reader's branches.

Such questions select contributions by edition or branch and a range of days.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "reporting"


def upgrade() -> None:
    op.create_index(
        "ix_contributions_edition_day", "contributions", ["edition", "day"], schema=SCHEMA
    )
    op.create_index(
        "ix_contributions_branch_day", "contributions", ["branch", "day"], schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_index("ix_contributions_branch_day", "contributions", schema=SCHEMA)
    op.drop_index("ix_contributions_edition_day", "contributions", schema=SCHEMA)
