"""The console's sessions, used volunteer links and per-person link revocations.

Revision ID: 0001
Revises:
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "console"


def upgrade() -> None:
    # A session lives here, not in the cookie: the cookie holds a random id whose hash is the
    # key, so signing out (deleting the row) ends every copy of the cookie.
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("subject", sa.String, nullable=True),
        sa.Column("data", postgresql.JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_console_sessions_subject", "sessions", ["subject"], schema=SCHEMA)
    op.create_index("ix_console_sessions_expires_at", "sessions", ["expires_at"], schema=SCHEMA)
    # A volunteer link works once: its jti is kept until the link would have expired anyway.
    op.create_table(
        "used_links",
        sa.Column("jti", sa.String(64), primary_key=True),
        sa.Column("subject", sa.String, nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_console_used_links_expires_at", "used_links", ["expires_at"], schema=SCHEMA)
    # Links of a person issued before this moment no longer open a session.
    op.create_table(
        "link_revocations",
        sa.Column("subject", sa.String, primary_key=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("link_revocations", schema=SCHEMA)
    op.drop_table("used_links", schema=SCHEMA)
    op.drop_table("sessions", schema=SCHEMA)
