"""Branches' names, addresses and opening hours; shift reminders per occurrence.

- ``branches``: what registry's branch.registered / branch.updated say of a branch, for the
  messages that send a person there (name, address, opening hours, a map link).
- Shift reminders are kept per occurrence (a date of an assignment, matching's
  shift.planned) with what the reminder needs in their payload. Pending reminders scheduled
  per assignment before this get the same payload from the assignment they were for, so
  they fire and are cancelled like the new ones.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "notifications"


def upgrade() -> None:
    op.create_table(
        "branches",
        sa.Column("branch_id", sa.Uuid, primary_key=True),
        sa.Column("code", sa.String, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("address", sa.String, nullable=True),
        sa.Column("opening_hours", pg.JSONB, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_notifications_branches_code", "branches", ["code"], schema=SCHEMA)
    op.execute(
        f"""
        UPDATE {SCHEMA}.reminders r
        SET payload = jsonb_build_object(
            'assignment_id', a.assignment_id, 'task_id', a.task_id,
            'branch_code', a.branch_code, 'starts_at', a.starts_at, 'ends_at', a.ends_at)
        FROM {SCHEMA}.assignments a
        WHERE r.kind = 'shift_reminder' AND r.status = 'pending'
          AND a.assignment_id = r.subject_id AND a.starts_at IS NOT NULL
        """
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_branches_code", "branches", schema=SCHEMA)
    op.drop_table("branches", schema=SCHEMA)
