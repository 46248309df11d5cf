"""Registry's coordinator and trainer assignments, as every service keeps them
(``shared.staff_scope``): staff tokens see the branches named there.

Filled by registry's next events, or at once by ``python -m registry announce-assignments``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

from shared.staff_scope import create_staff_scope_tables_sql, drop_staff_scope_tables_sql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "reporting"


def upgrade() -> None:
    for statement in create_staff_scope_tables_sql(SCHEMA):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_staff_scope_tables_sql(SCHEMA):
        op.execute(statement)
