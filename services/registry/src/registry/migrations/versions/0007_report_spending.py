"""An annual report says what the branch spent of its funding: it settles the budget.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "registry"


def upgrade() -> None:
    op.add_column(
        "annual_reports", sa.Column("spent_pln", sa.Numeric(12, 2), nullable=True), schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_column("annual_reports", "spent_pln", schema=SCHEMA)
