"""The migrations build the tables their models describe."""

from __future__ import annotations

from matching.tables import metadata
from shared.testing.platform import TestPlatform
from shared.testing.schema import schema_differences


async def test_the_migrated_schema_matches_the_models(platform: TestPlatform) -> None:
    differences = await schema_differences(platform, "matching", metadata)
    assert differences == [], "\n".join(map(str, differences))
