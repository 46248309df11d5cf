"""Child-protection checks as records of their own: who, for which branch, when, until when.

The checks kept on volunteers' profiles move into the table (without a recorder or branch,
which were not kept, and expiring 12 months after their older date) and leave the profile.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "matching"
PROFILE_COLUMNS = ("register_checked_on", "criminal_record_on", "checks_recorded_at")


def upgrade() -> None:
    op.create_table(
        "child_protection_checks",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("volunteer_id", sa.Uuid, nullable=False),
        sa.Column("branch_id", sa.Uuid),
        sa.Column("branch_code", sa.String(64)),
        sa.Column("recorded_by", sa.String(255)),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("register_checked_on", sa.Date, nullable=False),
        sa.Column("criminal_record_on", sa.Date),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("expiring_told_at", sa.DateTime(timezone=True)),
        sa.Column("expired_told_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_index(
        "child_protection_checks_latest",
        "child_protection_checks",
        ["volunteer_id", "recorded_at"],
        schema=SCHEMA,
    )
    op.create_index(
        "child_protection_checks_expiry", "child_protection_checks", ["expires_on"], schema=SCHEMA
    )
    op.execute(
        f"""
        INSERT INTO {SCHEMA}.child_protection_checks
            (id, volunteer_id, recorded_at, register_checked_on, criminal_record_on, expires_on)
        SELECT gen_random_uuid(), id, coalesce(checks_recorded_at, now()),
               register_checked_on, criminal_record_on,
               (least(register_checked_on, coalesce(criminal_record_on, register_checked_on))
                + interval '12 months')::date
        FROM {SCHEMA}.volunteers
        WHERE register_checked_on IS NOT NULL AND erased_at IS NULL
        """
    )
    for column in PROFILE_COLUMNS:
        op.drop_column("volunteers", column, schema=SCHEMA)


def downgrade() -> None:
    op.add_column("volunteers", sa.Column("register_checked_on", sa.Date), schema=SCHEMA)
    op.add_column("volunteers", sa.Column("criminal_record_on", sa.Date), schema=SCHEMA)
    op.add_column(
        "volunteers", sa.Column("checks_recorded_at", sa.DateTime(timezone=True)), schema=SCHEMA
    )
    op.execute(
        f"""
        UPDATE {SCHEMA}.volunteers v
        SET register_checked_on = c.register_checked_on,
            criminal_record_on = c.criminal_record_on,
            checks_recorded_at = c.recorded_at
        FROM (
            SELECT DISTINCT ON (volunteer_id) *
            FROM {SCHEMA}.child_protection_checks
            ORDER BY volunteer_id, recorded_at DESC
        ) c
        WHERE c.volunteer_id = v.id
        """
    )
    op.drop_table("child_protection_checks", schema=SCHEMA)
