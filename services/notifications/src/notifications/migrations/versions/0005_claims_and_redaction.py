"""A claim token per leased message; stored copies without the "my volunteering" link;
delivery-log details without addresses.

- ``messages.claim_token``: the sender that leased a message names itself; it sends and
  records only while the token is still its own, so two replicas never send one message.
- The stored text of a message already sent (or given up) keeps a placeholder where the
  link that opens the volunteer's pages was: the link is a credential, the copy is a record.
- Delivery-log details and last answers keep the provider's code and words, not the
  e-mail addresses or phone numbers they may have repeated.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "notifications"
# The same patterns as notifications.redaction (a migration does not import the service).
LINK = r"\S+/wolontariusz/wejscie\?t=\S+"
LINK_PLACEHOLDER = "[link usunięty / link removed]"
EMAIL = r"[^\s<>()]+@[^\s<>()]+"
PHONE = r"\+?[0-9][0-9 ]{7,14}[0-9]"


def upgrade() -> None:
    op.add_column("messages", sa.Column("claim_token", sa.Uuid, nullable=True), schema=SCHEMA)
    op.execute(
        f"""
        UPDATE {SCHEMA}.messages
        SET body = regexp_replace(body, '{LINK}', '{LINK_PLACEHOLDER}', 'g')
        WHERE status <> 'queued' AND body ~ '/wolontariusz/wejscie\\?t='
        """
    )
    for table, column in (("delivery_log", "detail"), ("messages", "last_answer")):
        op.execute(
            f"""
            UPDATE {SCHEMA}.{table}
            SET {column} = regexp_replace(
                regexp_replace({column}, '{EMAIL}', '[adres]', 'g'), '{PHONE}', '[numer]', 'g')
            WHERE {column} ~ '{EMAIL}' OR {column} ~ '{PHONE}'
            """
        )


def downgrade() -> None:
    # What was redacted stays redacted: it is not kept anywhere to bring back.
    op.drop_column("messages", "claim_token", schema=SCHEMA)
