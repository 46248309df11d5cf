"""The migrations build the staff table its model describes (with the user id column)."""

from __future__ import annotations

from typing import Any

from notifications.tables import metadata
from shared.testing.platform import TestPlatform
from shared.testing.schema import schema_differences


def _staff_only(obj: Any, name: str | None, kind: str, *_: Any) -> bool:
    return bool(obj.table.name == "staff" if kind in ("column", "index") else name == "staff")


async def test_the_migrated_staff_table_matches_its_model(platform: TestPlatform) -> None:
    differences = await schema_differences(platform, "notifications", metadata, _staff_only)
    assert differences == [], "\n".join(map(str, differences))
    index = await platform.fetchval(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'notifications' "
        "AND indexname = 'ix_notifications_staff_subject'"
    )
    assert index is not None and "(subject)" in index
