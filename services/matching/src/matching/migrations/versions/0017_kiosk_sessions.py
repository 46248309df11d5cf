"""Kiosk sessions: each kiosk opened at a branch is a row its token names, so that a
coordinator sees the branch's kiosks (opened when, by whom, last used) and can revoke one.
Who opened and who revoked it are kept as registry's person ids too, so that erasing a
coordinator or a trainer in registry removes their names from these rows.

Revision ID: 0017_kiosk_sessions
Revises: 0016_agreement_documents
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_kiosk_sessions"
down_revision: str | None = "0016_agreement_documents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "matching"


def upgrade() -> None:
    op.create_table(
        "kiosk_sessions",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("branch_code", sa.String(64), nullable=False, index=True),
        sa.Column("device", sa.String(60)),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_subject", sa.String(255), nullable=False),
        sa.Column("opened_by", sa.String(120)),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_by", sa.String(120)),
        sa.Column("opened_by_person", sa.Uuid, index=True),
        sa.Column("revoked_by_person", sa.Uuid, index=True),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("kiosk_sessions", schema=SCHEMA)
