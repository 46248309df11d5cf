"""Staff carry the identity provider's user id (a token's sub) that registry gives them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "notifications"


def upgrade() -> None:
    # Rows from before are filled by the person's next assignment or user id change.
    op.add_column("staff", sa.Column("subject", sa.String, nullable=True), schema=SCHEMA)
    op.create_index("ix_notifications_staff_subject", "staff", ["subject"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("ix_notifications_staff_subject", table_name="staff", schema=SCHEMA)
    op.drop_column("staff", "subject", schema=SCHEMA)
