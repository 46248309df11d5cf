"""Totals per view cell, kept by delta, and what each item contributed to them.

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

SCHEMA = "reporting"
MEASURES = (
    "items",
    "tasks_published",
    "tasks_cancelled",
    "tasks_filled",
    "no_shows",
    "proposals_made",
    "proposals_accepted",
    "proposals_declined",
    "proposals_expired",
    "certificates_issued",
)
CELL = ("edition", "grouped_by", "value")


def _measures() -> list[sa.Column[int]]:
    return [
        sa.Column("approved_hours", sa.Numeric, nullable=False, server_default="0"),
        *(sa.Column(name, sa.Integer, nullable=False, server_default="0") for name in MEASURES),
    ]


# Cells are compared byte by byte ("C"): no locale rules to apply in every index step of
# millions of member rows.
CELL_TEXT = sa.Text(collation="C")


def _cell() -> list[sa.Column[str]]:
    return [sa.Column(name, CELL_TEXT, primary_key=True) for name in CELL]


def upgrade() -> None:
    op.create_table(
        "contributions",
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("branch_id", sa.Uuid, nullable=False, index=True),
        sa.Column("task_id", sa.Uuid, nullable=True, index=True),
        sa.Column("edition", CELL_TEXT, nullable=False),
        sa.Column("district", CELL_TEXT, nullable=False),
        sa.Column("branch", CELL_TEXT, nullable=False),
        sa.Column("institution_type", CELL_TEXT, nullable=False),
        sa.Column("task_type", CELL_TEXT, nullable=False),
        sa.Column("day", sa.Date, nullable=True),
        sa.Column("role", sa.Text, nullable=True),
        sa.Column("member_id", sa.Uuid, nullable=True),
        *_measures(),
        schema=SCHEMA,
    )
    op.create_table(
        "totals",
        *_cell(),
        *_measures(),
        *(
            sa.Column(name, sa.Integer, nullable=False, server_default="0")
            for name in ("recruited", "active", "enrolled", "known", "minors")
        ),
        schema=SCHEMA,
    )
    # The member first: a profile's change finds the volunteer's cells by the primary key.
    op.create_table(
        "total_volunteers",
        sa.Column("volunteer_id", sa.Uuid, primary_key=True),
        *_cell(),
        sa.Column("recruiting", sa.Integer, nullable=False),
        sa.Column("active", sa.Integer, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "total_branches",
        sa.Column("branch_id", sa.Uuid, primary_key=True),
        *_cell(),
        sa.Column("enrolments", sa.Integer, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "message_totals",
        sa.Column("channel", sa.Text, primary_key=True),
        sa.Column("template", sa.Text, primary_key=True),
        sa.Column("sent", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
        schema=SCHEMA,
    )
    # The context an item's contribution is derived from: a branch's enrolments, a task's
    # assignments (whether it is filled).
    for kind, field in (
        ("enrolment", "branch_id"),
        ("enrolment", "edition_id"),
        ("assignment", "task_id"),
    ):
        op.execute(
            f"CREATE INDEX snapshots_{kind}_{field} ON {SCHEMA}.snapshots "
            f"((data->>'{field}')) WHERE kind = '{kind}'"
        )


def downgrade() -> None:
    for kind, field in (
        ("enrolment", "branch_id"),
        ("enrolment", "edition_id"),
        ("assignment", "task_id"),
    ):
        op.execute(f"DROP INDEX {SCHEMA}.snapshots_{kind}_{field}")
    for table in (
        "message_totals",
        "total_branches",
        "total_volunteers",
        "totals",
        "contributions",
    ):
        op.drop_table(table, schema=SCHEMA)
