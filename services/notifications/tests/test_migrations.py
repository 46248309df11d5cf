"""The migrations build the tables their models describe."""

from __future__ import annotations

from notifications.tables import metadata
from shared.testing.platform import TestPlatform
from shared.testing.schema import schema_differences


async def test_the_migrated_schema_matches_the_models(platform: TestPlatform) -> None:
    differences = await schema_differences(platform, "notifications", metadata)
    assert differences == [], "\n".join(map(str, differences))
    index = await platform.fetchval(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'notifications' "
        "AND indexname = 'ix_notifications_staff_subject'"
    )
    assert index is not None and "(subject)" in index
