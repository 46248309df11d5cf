"""Shifts by date: each date of a volunteer's assignment is an occurrence with its own state.

Existing assignments move over: a confirmed one gets every date of its task as planned, a
completed one every date as attended, a no-show every date as absent (a cancelled one none).
Each occurrence gets its own six-character kiosk code.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from matching.domain.occurrences import new_code, task_dates
from matching.domain.schedule import Interval, Schedule, ScheduleKind

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "matching"
_STATE_OF = {"confirmed": "planned", "completed": "attended", "no_show": "absent"}


def upgrade() -> None:
    op.add_column(
        "assignments",
        sa.Column("whole_series", sa.Boolean, nullable=False, server_default=sa.true()),
        schema=SCHEMA,
    )
    op.alter_column("assignments", "whole_series", server_default=None, schema=SCHEMA)
    op.create_table(
        "occurrences",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("assignment_id", sa.Uuid, nullable=False),
        sa.Column("task_id", sa.Uuid, nullable=False),
        sa.Column("volunteer_id", sa.Uuid, nullable=False),
        sa.Column("occurrence_date", sa.Date, nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True)),
        sa.Column("ends_at", sa.DateTime(timezone=True)),
        sa.Column("until", sa.Date, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("code", sa.String(6), nullable=False, unique=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True)),
        sa.Column("checked_out_at", sa.DateTime(timezone=True)),
        sa.Column("hours_entry_id", sa.Uuid),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("assignment_id", "occurrence_date"),
        schema=SCHEMA,
    )
    op.create_index(
        "occurrences_task_date", "occurrences", ["task_id", "occurrence_date"], schema=SCHEMA
    )
    op.create_index(
        "occurrences_volunteer_date",
        "occurrences",
        ["volunteer_id", "occurrence_date"],
        schema=SCHEMA,
    )
    _move_assignments()


def _move_assignments() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT a.id, a.task_id, a.volunteer_id, a.status, t.schedule_kind, t.first_day,"
            ' t.last_day, t.start, t."end", t.rrule, t.starts_at, t.ends_at'
            f" FROM {SCHEMA}.assignments a JOIN {SCHEMA}.tasks t ON t.id = a.task_id"
            " WHERE a.status IN ('confirmed', 'completed', 'no_show')"
        )
    ).all()
    now = datetime.now(UTC)
    insert = sa.text(
        f"INSERT INTO {SCHEMA}.occurrences (id, assignment_id, task_id, volunteer_id,"
        " occurrence_date, starts_at, ends_at, until, state, code, changed_at)"
        " VALUES (gen_random_uuid(), :assignment_id, :task_id, :volunteer_id, :day,"
        " :starts_at, :ends_at, :until, :state, :code, :now)"
    )
    for row in rows:
        if row.schedule_kind == ScheduleKind.ONE_OFF:
            # Its stored span (a calendar's task need not be a wall-clock shift).
            shifts = [Interval(row.starts_at, row.ends_at)]
        elif row.schedule_kind == ScheduleKind.RECURRING:
            shifts = Schedule(
                kind=ScheduleKind.RECURRING,
                first_day=row.first_day,
                start=row.start,
                end=row.end,
                rrule=row.rrule,
            ).occurrences()
        else:
            shifts = []
        for when in task_dates(row.schedule_kind, shifts, row.first_day, row.last_day):
            connection.execute(
                insert,
                {
                    "assignment_id": row.id,
                    "task_id": row.task_id,
                    "volunteer_id": row.volunteer_id,
                    "day": when.day,
                    "starts_at": when.starts_at,
                    "ends_at": when.ends_at,
                    "until": when.until,
                    "state": _STATE_OF[row.status],
                    "code": new_code(),
                    "now": now,
                },
            )


def downgrade() -> None:
    op.drop_table("occurrences", schema=SCHEMA)
    op.drop_column("assignments", "whole_series", schema=SCHEMA)
