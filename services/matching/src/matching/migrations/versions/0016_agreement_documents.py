"""The agreement as a document: working hours and agreed costs for its text, the signed
copy sent back (a PDF), and references (opinie) a volunteer asks for and a coordinator
writes. Matching also keeps a branch's organisation (its district library) for the
agreement's parties.

Revision ID: 0016_agreement_documents
Revises: 0015_volunteer_self
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_agreement_documents"
down_revision: str | None = "0015_volunteer_self"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "matching"


def upgrade() -> None:
    op.add_column("branches", sa.Column("district_library", sa.Text), schema=SCHEMA)
    op.add_column("agreements", sa.Column("working_hours", sa.Text), schema=SCHEMA)
    op.add_column("agreements", sa.Column("reimbursed_costs", sa.Text), schema=SCHEMA)
    op.add_column("agreements", sa.Column("signed_at", sa.DateTime(timezone=True)), schema=SCHEMA)
    op.create_table(
        "agreement_signed_copies",
        sa.Column(
            "agreement_id",
            sa.Uuid,
            sa.ForeignKey(f"{SCHEMA}.agreements.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("pdf", sa.LargeBinary, nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("uploaded_by", sa.String(32), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "reference_requests",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "agreement_id",
            sa.Uuid,
            sa.ForeignKey(f"{SCHEMA}.agreements.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("volunteer_id", sa.Uuid, nullable=False, index=True),
        sa.Column("branch_code", sa.String(64), nullable=False, index=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text),
        sa.Column("pdf", sa.LargeBinary),
        sa.Column("written_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    # One open request per agreement: asking twice is the same request.
    op.create_index(
        "reference_requests_one_open",
        "reference_requests",
        ["agreement_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("written_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("reference_requests_one_open", "reference_requests", schema=SCHEMA)
    op.drop_table("reference_requests", schema=SCHEMA)
    op.drop_table("agreement_signed_copies", schema=SCHEMA)
    op.drop_column("agreements", "signed_at", schema=SCHEMA)
    op.drop_column("agreements", "reimbursed_costs", schema=SCHEMA)
    op.drop_column("agreements", "working_hours", schema=SCHEMA)
    op.drop_column("branches", "district_library", schema=SCHEMA)
