"""Staff (coordinators, mentors), trainers and their assignments.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "registry"


def _person(table: str, *extra: sa.Column[object]) -> None:
    op.create_table(
        table,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("phone", sa.String(16)),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("subject", sa.String(200), unique=True),
        *extra,
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("language IN ('pl', 'en')", name=f"{table}_language"),
        schema=SCHEMA,
    )


def _fk(column: str, target: str) -> sa.Column[object]:
    return sa.Column(column, sa.Uuid, sa.ForeignKey(f"{SCHEMA}.{target}.id"), nullable=False)


def upgrade() -> None:
    _person("staff")
    _person("trainers", sa.Column("organisation", sa.String(300)))
    op.create_table(
        "coordinator_assignments",
        sa.Column("id", sa.Uuid, primary_key=True),
        _fk("branch_id", "branches"),
        _fk("staff_id", "staff"),
        sa.Column("assigned_on", sa.Date, nullable=False),
        sa.Column("unassigned_on", sa.Date),
        schema=SCHEMA,
    )
    op.create_index(
        "coordinator_assignments_one_current",
        "coordinator_assignments",
        ["branch_id", "staff_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("unassigned_on IS NULL"),
    )
    op.create_index(
        "ix_registry_coordinator_assignments_staff_id",
        "coordinator_assignments",
        ["staff_id"],
        schema=SCHEMA,
    )
    for table, person, key in (
        ("trainer_assignments", _fk("trainer_id", "trainers"), "trainer_id"),
        ("mentor_assignments", _fk("staff_id", "staff"), "staff_id"),
    ):
        op.create_table(
            table,
            sa.Column("id", sa.Uuid, primary_key=True),
            _fk("enrolment_id", "enrolments"),
            person,
            sa.Column("assigned_on", sa.Date, nullable=False),
            sa.UniqueConstraint("enrolment_id", key, name=f"{table}_key"),
            schema=SCHEMA,
        )
        op.create_index(f"ix_registry_{table}_{key}", table, [key], schema=SCHEMA)


def downgrade() -> None:
    for table in ("mentor_assignments", "trainer_assignments", "coordinator_assignments"):
        op.drop_table(table, schema=SCHEMA)
    op.drop_table("trainers", schema=SCHEMA)
    op.drop_table("staff", schema=SCHEMA)
