"""The demo seed: portal registrations in, then tasks, a plan, shifts and approved hours."""

from __future__ import annotations

import io

from matching.seed import publish_registrations, seed_matching, wait_for
from shared.progress import steps
from shared.testing.platform import TestPlatform
from tests.test_matching_support import enrol_branch, wait_enrolled

VOLUNTEERS = 240


async def test_seed_builds_a_living_programme_and_is_idempotent(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,):
        await enrol_branch(platform, "wola-12", district="wola")
        await wait_enrolled(platform, "wola-12")
        # Enough people that, whatever today's date does to the shifts' weekdays, some of
        # those who reach Wola are free when the branch needs them.
        shown = io.StringIO()
        with steps("registrations", VOLUNTEERS, stream=shown) as published:
            await publish_registrations(matching, VOLUNTEERS, published)
        branches = await wait_for(matching, VOLUNTEERS, timeout_s=60)
        # The tasks in chunks of three transactions' worth: a progress line per chunk.
        with steps("tasks", stream=shown) as progress:
            summary = await seed_matching(matching, branches, chunk_size=3, progress=progress)
        again = await seed_matching(matching, branches)

    assert summary["tasks"] == 4
    assert shown.getvalue().splitlines() == [
        "registrations: 100/240",
        "registrations: 200/240",
        "registrations: 240/240",
        "tasks: 3/4",
        "tasks: 4/4",
    ]
    assert summary["proposals"] > 0
    assert again["tasks"] == 0
    minors = await platform.fetchval(
        "SELECT count(*) FROM matching.volunteers WHERE guardian IS NOT NULL"
    )
    assert minors == len(range(0, VOLUNTEERS, 6))  # every sixth person is a minor
    confirmed = await platform.fetchval(
        "SELECT count(*) FROM matching.assignments WHERE status IN ('confirmed', 'completed')"
    )
    assert confirmed == summary["confirmed"]
