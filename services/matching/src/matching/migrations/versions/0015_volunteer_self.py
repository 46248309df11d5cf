"""A volunteer's own pages: what to bring, who to ask and the language of a task; the
language a volunteer chose for their messages; milestones reached (once each).

Revision ID: 0015_volunteer_self
Revises: 0014
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0015_volunteer_self"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "matching"


def upgrade() -> None:
    op.add_column("tasks", sa.Column("what_to_bring", sa.Text), schema=SCHEMA)
    op.add_column("tasks", sa.Column("contact_first_name", sa.String(100)), schema=SCHEMA)
    op.add_column(
        "tasks",
        sa.Column("languages", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        schema=SCHEMA,
    )
    op.alter_column("tasks", "languages", server_default=None, schema=SCHEMA)
    op.add_column("volunteers", sa.Column("message_language", sa.String(2)), schema=SCHEMA)
    op.create_table(
        "milestones",
        sa.Column("volunteer_id", sa.Uuid, primary_key=True),
        sa.Column("milestone", sa.String(16), primary_key=True),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_hours", sa.Numeric(8, 2), nullable=False),
        sa.Column("branch_id", sa.Uuid),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("milestones", schema=SCHEMA)
    op.drop_column("volunteers", "message_language", schema=SCHEMA)
    op.drop_column("tasks", "languages", schema=SCHEMA)
    op.drop_column("tasks", "contact_first_name", schema=SCHEMA)
    op.drop_column("tasks", "what_to_bring", schema=SCHEMA)
