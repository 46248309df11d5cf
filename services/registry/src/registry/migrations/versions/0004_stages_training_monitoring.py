"""Stages reached, training (modules, sessions, attendance), programmes, visits, reports.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "registry"
STAGES = "('trained', 'programme_prepared', 'recruiting', 'volunteers_active', 'evaluated')"


def _fk(
    column: str, target: str, *, nullable: bool = False, primary_key: bool = False
) -> sa.Column[object]:
    return sa.Column(
        column,
        sa.Uuid,
        sa.ForeignKey(f"{SCHEMA}.{target}.id"),
        nullable=nullable,
        primary_key=primary_key,
    )


def _index(table: str, column: str) -> None:
    op.create_index(f"ix_registry_{table}_{column}", table, [column], schema=SCHEMA)


def upgrade() -> None:
    op.create_table(
        "stage_records",
        sa.Column("id", sa.Uuid, primary_key=True),
        _fk("enrolment_id", "enrolments"),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("previous_stage", sa.String(20)),
        sa.Column("reached_on", sa.Date, nullable=False),
        sa.Column("reason", sa.String(1000)),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"stage IN {STAGES}", name="stage_records_stage"),
        schema=SCHEMA,
    )
    _index("stage_records", "enrolment_id")
    op.create_table(
        "training_modules",
        sa.Column("id", sa.Uuid, primary_key=True),
        _fk("edition_id", "editions"),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.String(5000)),
        sa.CheckConstraint("kind IN ('module', 'forum')", name="training_modules_kind"),
        sa.UniqueConstraint("edition_id", "kind", "number", name="training_modules_key"),
        schema=SCHEMA,
    )
    op.create_table(
        "training_sessions",
        sa.Column("id", sa.Uuid, primary_key=True),
        _fk("module_id", "training_modules"),
        sa.Column("held_on", sa.Date, nullable=False),
        _fk("trainer_id", "trainers", nullable=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("place", sa.String(300), nullable=False),
        schema=SCHEMA,
    )
    _index("training_sessions", "module_id")
    op.create_table(
        "attendance",
        _fk("session_id", "training_sessions", primary_key=True),
        _fk("staff_id", "staff", primary_key=True),
        _fk("branch_id", "branches", primary_key=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    _index("attendance", "branch_id")
    documents = sa.CheckConstraint("status IN ('draft', 'submitted')", name="programmes_status")
    op.create_table(
        "programmes",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "enrolment_id",
            sa.Uuid,
            sa.ForeignKey(f"{SCHEMA}.enrolments.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("spaces", sa.String(5000), nullable=False),
        sa.Column("hours_available", sa.String(5000), nullable=False),
        sa.Column("task_types", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("volunteer_profiles", sa.String(5000), nullable=False),
        sa.Column("welcome_and_care", sa.String(5000), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("submitted_on", sa.Date),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        documents,
        schema=SCHEMA,
    )
    op.create_table(
        "monitoring_visits",
        sa.Column("id", sa.Uuid, primary_key=True),
        _fk("enrolment_id", "enrolments"),
        _fk("trainer_id", "trainers"),
        sa.Column("visited_on", sa.Date, nullable=False),
        sa.Column("notes", sa.String(5000), nullable=False),
        sa.Column("next_steps", sa.String(5000)),
        sa.Column("follow_up_on", sa.Date),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "follow_up_on IS NULL OR follow_up_on >= visited_on", name="visits_follow_up"
        ),
        schema=SCHEMA,
    )
    _index("monitoring_visits", "enrolment_id")
    _index("monitoring_visits", "trainer_id")
    op.create_table(
        "annual_reports",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "enrolment_id",
            sa.Uuid,
            sa.ForeignKey(f"{SCHEMA}.enrolments.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("summary", sa.String(5000), nullable=False),
        sa.Column("volunteers_count", sa.Integer, nullable=False),
        sa.Column("volunteer_hours", sa.Numeric(9, 2), nullable=False),
        sa.Column("tasks_carried_out", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("conclusions", sa.String(5000)),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("submitted_on", sa.Date),
        sa.Column("accepted_on", sa.Date),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'accepted')", name="annual_reports_status"
        ),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in (
        "annual_reports",
        "monitoring_visits",
        "programmes",
        "attendance",
        "training_sessions",
        "training_modules",
        "stage_records",
    ):
        op.drop_table(table, schema=SCHEMA)
