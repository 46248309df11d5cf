"""The migrations build the tables their models describe."""

from __future__ import annotations

from typing import Any

from notifications.tables import metadata
from shared.testing.platform import TestPlatform
from shared.testing.schema import schema_differences

# The inbox and outbox are shared.messaging_tables, made by the shared migration helpers.
SHARED_TABLES = frozenset({"inbox", "outbox", "alembic_version"})


def _own_tables(obj: Any, name: str | None, kind: str, *_: Any) -> bool:
    table = obj.table.name if kind in ("column", "index", "foreign_key_constraint") else name
    return table not in SHARED_TABLES


async def test_the_migrated_schema_matches_the_models(platform: TestPlatform) -> None:
    differences = await schema_differences(platform, "notifications", metadata, _own_tables)
    assert differences == [], "\n".join(map(str, differences))
    index = await platform.fetchval(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'notifications' "
        "AND indexname = 'ix_notifications_staff_subject'"
    )
    assert index is not None and "(subject)" in index
