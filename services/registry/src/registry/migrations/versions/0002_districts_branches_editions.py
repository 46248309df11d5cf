"""Districts (with their district libraries), branches, editions and enrolments.

The 18 districts are literal rows, copied from shared.reference.warsaw_districts(), so the
migration gives the same database wherever and whenever it runs. Each district's library
is an organisation with a fixed id.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "registry"

# slug, name, district library, the library's organisation id
DISTRICTS = [
    (
        "bemowo",
        "Bemowo",
        "Biblioteka Publiczna w Dzielnicy Bemowo m.st. Warszawy",
        "8f0faf33-ae50-5fa2-8774-a870c577081d",
    ),
    (
        "bialoleka",
        "Białołęka",
        "Biblioteka Publiczna w Dzielnicy Białołęka m.st. Warszawy",
        "8d156394-1416-599a-99ac-458327f7d1f1",
    ),
    (
        "bielany",
        "Bielany",
        "Biblioteka Publiczna im. Stanisława Staszica w Dzielnicy Bielany m.st. Warszawy",
        "51b60c14-4570-5de9-bcbd-0f128e5e81ae",
    ),
    (
        "mokotow",
        "Mokotów",
        "Biblioteka Publiczna w Dzielnicy Mokotów m.st. Warszawy",
        "7287d280-6c9a-5143-91fb-1d7b4cecb12a",
    ),
    (
        "ochota",
        "Ochota",
        "Biblioteka Publiczna w Dzielnicy Ochota m.st. Warszawy",
        "1cb071ae-be22-57b9-acd5-ed0bd52a588f",
    ),
    (
        "praga-poludnie",
        "Praga-Południe",
        "Biblioteka Publiczna im. Zygmunta Jana Rumla w Dzielnicy Praga-Południe m.st. Warszawy",
        "a037b51f-12c2-5a25-bc9f-cc6e899eca0f",
    ),
    (
        "praga-polnoc",
        "Praga-Północ",
        "Biblioteka Publiczna im. Księdza Jana Twardowskiego w Dzielnicy Praga-Północ m.st. Warszawy",  # noqa: E501
        "50191858-e9f7-5a3a-a3ae-98a5e731ed3a",
    ),
    (
        "rembertow",
        "Rembertów",
        "Biblioteka Publiczna im. Jana Pawła II w Dzielnicy Rembertów m.st. Warszawy",
        "6c854d72-24fc-5f47-8e75-e4b0c7ddbf49",
    ),
    (
        "srodmiescie",
        "Śródmieście",
        "Biblioteka Publiczna w Dzielnicy Śródmieście m.st. Warszawy",
        "431b31c6-3c99-5c34-bc3c-7ac21ffff318",
    ),
    (
        "targowek",
        "Targówek",
        "Biblioteka Publiczna w Dzielnicy Targówek m.st. Warszawy",
        "10dd04d7-9fcc-5a6e-bd3e-df51347b0f14",
    ),
    (
        "ursus",
        "Ursus",
        "Biblioteka Publiczna im. Władysława Jana Grabskiego w Dzielnicy Ursus m.st. Warszawy",
        "b4dd74fe-435c-5e96-965b-4fd146f35aa4",
    ),
    (
        "ursynow",
        "Ursynów",
        "Biblioteka Publiczna im. Juliana Ursyna Niemcewicza w Dzielnicy Ursynów m.st. Warszawy",
        "f5a519ed-bf0b-5d04-9f68-fd78fb4c9323",
    ),
    (
        "wawer",
        "Wawer",
        "Biblioteka Publiczna w Dzielnicy Wawer m.st. Warszawy",
        "85e58b03-21c2-5f46-bcd4-00ebf898ea54",
    ),
    (
        "wesola",
        "Wesoła",
        "Biblioteka Publiczna w Dzielnicy Wesoła m.st. Warszawy",
        "14bf9db9-50ea-513c-80de-a5a84312c997",
    ),
    (
        "wilanow",
        "Wilanów",
        "Biblioteka Publiczna w Dzielnicy Wilanów m.st. Warszawy",
        "b23303d4-36c0-5554-a332-2f8cf660350d",
    ),
    (
        "wlochy",
        "Włochy",
        "Biblioteka Publiczna w Dzielnicy Włochy m.st. Warszawy",
        "aecd8619-7c7c-50eb-9b21-e8c151af22d5",
    ),
    (
        "wola",
        "Wola",
        "Biblioteka Publiczna w Dzielnicy Wola m.st. Warszawy",
        "e0d183d0-92e8-5e55-992e-a4bb56b991e4",
    ),
    (
        "zoliborz",
        "Żoliborz",
        "Biblioteka Publiczna w Dzielnicy Żoliborz m.st. Warszawy",
        "28013e23-8f92-515e-aabb-8066a7a73b37",
    ),
]

INSTITUTION_TYPES = "('library_branch', 'culture_centre', 'care_home')"


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    districts = op.create_table(
        "districts",
        sa.Column("slug", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("district_library", sa.String(300), nullable=False),
        schema=SCHEMA,
    )
    organisations = op.create_table(
        "organisations",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.String(300), nullable=False, unique=True),
        sa.Column(
            "district", sa.String(40), sa.ForeignKey(f"{SCHEMA}.districts.slug"), nullable=False
        ),
        sa.Column("institution_type", sa.String(20), nullable=False),
        sa.CheckConstraint(f"institution_type IN {INSTITUTION_TYPES}", name="organisations_type"),
        schema=SCHEMA,
    )
    op.bulk_insert(
        districts,
        [{"slug": s, "name": n, "district_library": library} for s, n, library, _ in DISTRICTS],
    )
    op.bulk_insert(
        organisations,
        [
            {"id": i, "name": library, "district": s, "institution_type": "library_branch"}
            for s, _, library, i in DISTRICTS
        ],
    )
    op.create_table(
        "branches",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("institution_type", sa.String(20), nullable=False),
        sa.Column(
            "district", sa.String(40), sa.ForeignKey(f"{SCHEMA}.districts.slug"), nullable=False
        ),
        sa.Column("organisation_id", sa.Uuid, sa.ForeignKey(f"{SCHEMA}.organisations.id")),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("opening_hours", pg.JSONB, nullable=False),
        sa.Column("volunteer_spaces", sa.Integer, nullable=False),
        sa.Column("contact_name", sa.String(200)),
        sa.Column("contact_email", sa.String(320)),
        sa.Column("contact_phone", sa.String(16)),
        *_timestamps(),
        sa.CheckConstraint(f"institution_type IN {INSTITUTION_TYPES}", name="branches_type"),
        sa.CheckConstraint("volunteer_spaces >= 0", name="branches_volunteer_spaces"),
        schema=SCHEMA,
    )
    op.create_index("ix_registry_branches_district", "branches", ["district"], schema=SCHEMA)
    op.create_table(
        "editions",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("institution_type", sa.String(20), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"institution_type IN {INSTITUTION_TYPES}", name="editions_type"),
        sa.CheckConstraint("status IN ('planned', 'open', 'closed')", name="editions_status"),
        sa.CheckConstraint("ends_on >= starts_on", name="editions_dates"),
        sa.UniqueConstraint("institution_type", "year", name="editions_type_year_key"),
        schema=SCHEMA,
    )
    # The domain refuses a second open edition; this index refuses it under a race too.
    op.create_index(
        "editions_one_open_per_type",
        "editions",
        ["institution_type"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "enrolments",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("edition_id", sa.Uuid, sa.ForeignKey(f"{SCHEMA}.editions.id"), nullable=False),
        sa.Column("branch_id", sa.Uuid, sa.ForeignKey(f"{SCHEMA}.branches.id"), nullable=False),
        sa.Column("funding_pln", sa.Numeric(12, 2), nullable=False),
        sa.Column("enrolled_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("withdrawn_on", sa.Date),
        sa.Column("withdrawal_reason", sa.String(1000)),
        sa.Column("stage", sa.String(20)),
        sa.Column("stage_reached_on", sa.Date),
        *_timestamps(),
        sa.CheckConstraint("funding_pln >= 0", name="enrolments_funding"),
        sa.CheckConstraint("status IN ('enrolled', 'withdrawn')", name="enrolments_status"),
        sa.CheckConstraint(
            "stage IN ('trained', 'programme_prepared', 'recruiting', 'volunteers_active',"
            " 'evaluated')",
            name="enrolments_stage",
        ),
        sa.CheckConstraint(
            "(status = 'withdrawn') = (withdrawal_reason IS NOT NULL)",
            name="enrolments_withdrawal_has_reason",
        ),
        sa.UniqueConstraint("edition_id", "branch_id", name="enrolments_edition_branch_key"),
        schema=SCHEMA,
    )
    op.create_index("ix_registry_enrolments_branch_id", "enrolments", ["branch_id"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("enrolments", schema=SCHEMA)
    op.drop_table("editions", schema=SCHEMA)
    op.drop_table("branches", schema=SCHEMA)
    op.drop_table("organisations", schema=SCHEMA)
    op.drop_table("districts", schema=SCHEMA)
