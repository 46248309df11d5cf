"""The migrations build the branch activity table its model describes."""

from __future__ import annotations

from typing import Any

from reporting.tables import metadata
from shared.testing.platform import TestPlatform
from shared.testing.schema import schema_differences


def _branch_activity_only(obj: Any, name: str | None, kind: str, *_: Any) -> bool:
    if kind in ("column", "index"):
        return bool(obj.table.name == "branch_activity")
    return name == "branch_activity"


async def test_the_migrated_branch_activity_table_matches_its_model(
    platform: TestPlatform,
) -> None:
    differences = await schema_differences(platform, "reporting", metadata, _branch_activity_only)
    assert differences == [], "\n".join(map(str, differences))
    index = await platform.fetchval(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'reporting' "
        "AND indexname = 'ix_branch_activity_branch_day'"
    )
    assert index is not None and "(branch_id, day)" in index
