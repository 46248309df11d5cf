"""Erasures still to be carried to the broker's parked messages.

An erasure records one-way digests of the person's ids and contact data; a background
round removes their messages from the dead-letter queues and ``city.inbound.unrouted`` and
then deletes the row.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "matching"


def upgrade() -> None:
    op.create_table(
        "parked_purges",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("digests", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("parked_purges", schema=SCHEMA)
