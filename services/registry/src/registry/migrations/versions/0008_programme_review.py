"""Trainers review programmes and annual reports (comments, acceptance); forum meetings
keep their notes.

Revision ID: 0008_programme_review
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0008_programme_review"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "registry"


def upgrade() -> None:
    op.create_table(
        "review_comments",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "enrolment_id",
            pg.UUID(as_uuid=True),
            sa.ForeignKey(f"{SCHEMA}.enrolments.id"),
            nullable=False,
        ),
        sa.Column("document", sa.String(10), nullable=False),
        sa.Column("trainer_id", pg.UUID(as_uuid=True), sa.ForeignKey(f"{SCHEMA}.trainers.id")),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("body", sa.String(5000), nullable=False),
        sa.Column("returned", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("document IN ('programme', 'report')", name="review_comments_document"),
        schema=SCHEMA,
    )
    op.create_index(
        "review_comments_enrolment", "review_comments", ["enrolment_id", "document"], schema=SCHEMA
    )
    op.add_column("programmes", sa.Column("accepted_on", sa.Date, nullable=True), schema=SCHEMA)
    _programme_statuses("('draft', 'submitted', 'accepted')")
    op.add_column(
        "training_sessions", sa.Column("notes", sa.String(5000), nullable=True), schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_column("training_sessions", "notes", schema=SCHEMA)
    op.execute(f"UPDATE {SCHEMA}.programmes SET status = 'submitted' WHERE status = 'accepted'")
    _programme_statuses("('draft', 'submitted')")
    op.drop_column("programmes", "accepted_on", schema=SCHEMA)
    op.drop_index("review_comments_enrolment", "review_comments", schema=SCHEMA)
    op.drop_table("review_comments", schema=SCHEMA)


def _programme_statuses(allowed: str) -> None:
    op.drop_constraint("programmes_status", "programmes", schema=SCHEMA)
    op.create_check_constraint(
        "programmes_status", "programmes", f"status IN {allowed}", schema=SCHEMA
    )
