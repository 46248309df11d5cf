"""The migrations build the tables their models describe."""

from __future__ import annotations

from reporting.tables import metadata
from shared.testing.platform import TestPlatform
from shared.testing.schema import schema_differences


async def test_the_migrated_schema_matches_the_models(platform: TestPlatform) -> None:
    differences = await schema_differences(platform, "reporting", metadata)
    assert differences == [], "\n".join(map(str, differences))
    index = await platform.fetchval(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'reporting' "
        "AND indexname = 'ix_branch_activity_branch_day'"
    )
    assert index is not None and "(branch_id, day)" in index
