"""Registry's coordinator and trainer assignments, as every service keeps them
(``shared.staff_scope``): staff tokens act for the branches named there.

The staff notifications already know (and their user ids) fill the copy; the rest comes
with registry's next events, or ``python -m registry announce-assignments``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

from shared.staff_scope import create_staff_scope_tables_sql, drop_staff_scope_tables_sql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "notifications"


def upgrade() -> None:
    for statement in create_staff_scope_tables_sql(SCHEMA):
        op.execute(statement)
    # Trainers' rows are kept per branch, not per edition: they move over edition-less.
    op.execute(
        f"INSERT INTO {SCHEMA}.staff_assignments"
        " (role, person_id, branch_id, edition_id, branch_code, active, changed_at)"
        " SELECT role, staff_id, branch_id, '00000000-0000-0000-0000-000000000000',"
        f" branch_code, true, changed_at FROM {SCHEMA}.staff"
    )
    op.execute(
        f"INSERT INTO {SCHEMA}.staff_subjects (role, person_id, subject, changed_at)"
        f" SELECT DISTINCT ON (role, staff_id) role, staff_id, subject, changed_at"
        f" FROM {SCHEMA}.staff ORDER BY role, staff_id, changed_at DESC"
    )


def downgrade() -> None:
    for statement in drop_staff_scope_tables_sql(SCHEMA):
        op.execute(statement)
