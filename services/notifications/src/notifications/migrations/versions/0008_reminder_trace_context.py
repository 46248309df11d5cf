"""The trace context a reminder was scheduled in.

``reminders.traceparent`` / ``reminders.tracestate``: the W3C trace context of the span
that scheduled (or last moved) the reminder, so the messages it becomes when it fires, and
their sends, continue the trace of that event however many days later.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "notifications"


def upgrade() -> None:
    op.add_column("reminders", sa.Column("traceparent", sa.String, nullable=True), schema=SCHEMA)
    op.add_column("reminders", sa.Column("tracestate", sa.String, nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("reminders", "tracestate", schema=SCHEMA)
    op.drop_column("reminders", "traceparent", schema=SCHEMA)
