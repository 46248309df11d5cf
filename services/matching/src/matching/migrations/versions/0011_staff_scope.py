"""Registry's coordinator and trainer assignments, as every service keeps them
(``shared.staff_scope``), in place of the coordinators table.

The copy holds no names or e-mails. Current coordinators move over (their user ids come
with registry's next events, or ``python -m registry announce-assignments``); the old table
with its names and e-mails goes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

from shared.staff_scope import create_staff_scope_tables_sql, drop_staff_scope_tables_sql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "matching"


def upgrade() -> None:
    for statement in create_staff_scope_tables_sql(SCHEMA):
        op.execute(statement)
    op.execute(
        f"INSERT INTO {SCHEMA}.staff_assignments"
        " (role, person_id, branch_id, edition_id, branch_code, active, changed_at)"
        " SELECT 'coordinator', c.staff_id, c.branch_id, '00000000-0000-0000-0000-000000000000',"
        f" b.code, c.active, c.changed_at FROM {SCHEMA}.coordinators c"
        f" JOIN {SCHEMA}.branches b ON b.id = c.branch_id"
    )
    op.drop_table("coordinators", schema=SCHEMA)


def downgrade() -> None:
    op.execute(
        f"CREATE TABLE {SCHEMA}.coordinators (branch_id uuid NOT NULL, staff_id uuid NOT NULL,"
        " name text, email text, active boolean NOT NULL,"
        " changed_at timestamptz NOT NULL, PRIMARY KEY (branch_id, staff_id))"
    )
    for statement in drop_staff_scope_tables_sql(SCHEMA):
        op.execute(statement)
