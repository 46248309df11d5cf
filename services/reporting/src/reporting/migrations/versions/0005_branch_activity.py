"""The day of every task, assignment and hours entry at its branch: the monitoring's last
activity, read per branch from an index instead of from every item's snapshot.

Filled from the snapshots already stored (the rule of ``views.activity_of``: a task's
publication, an assignment's first sighting, in Warsaw time; an entry's day of work).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "reporting"
BACKFILL = f"""
INSERT INTO {SCHEMA}.branch_activity (kind, key, branch_id, day)
SELECT kind, key, (data->>'branch_id')::uuid,
       CASE kind
           WHEN 'task'
               THEN ((data->>'published_at')::timestamptz AT TIME ZONE 'Europe/Warsaw')::date
           WHEN 'assignment'
               THEN ((data->>'first_seen_at')::timestamptz AT TIME ZONE 'Europe/Warsaw')::date
           ELSE (data->>'worked_on')::date
       END
FROM {SCHEMA}.snapshots
WHERE kind IN ('task', 'assignment', 'hours')
"""


def upgrade() -> None:
    op.create_table(
        "branch_activity",
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("branch_id", sa.Uuid, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        schema=SCHEMA,
    )
    op.execute(BACKFILL)
    op.create_index(
        "ix_branch_activity_branch_day", "branch_activity", ["branch_id", "day"], schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_index("ix_branch_activity_branch_day", "branch_activity", schema=SCHEMA)
    op.drop_table("branch_activity", schema=SCHEMA)
