"""The trace context a message was created in.

``messages.traceparent`` / ``messages.tracestate``: the W3C trace context of the span that
created the message (the consumer applying the event it tells of), so the sender's span
around the SMTP or SMS send continues that trace, however long the message waited.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "notifications"


def upgrade() -> None:
    op.add_column("messages", sa.Column("traceparent", sa.String, nullable=True), schema=SCHEMA)
    op.add_column("messages", sa.Column("tracestate", sa.String, nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("messages", "tracestate", schema=SCHEMA)
    op.drop_column("messages", "traceparent", schema=SCHEMA)
