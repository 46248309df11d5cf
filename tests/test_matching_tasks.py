"""Matching's copy of the registry, tasks from coordinators and from the city's calendar."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from shared.deadletters import DeadLetter
from shared.testing.platform import TestPlatform, eventually
from tests.test_matching_support import (
    TASK_DAY,
    bearer,
    branch,
    calendar_cancelled,
    calendar_scheduled,
    client,
    enrol_branch,
    enrolment,
    in_warsaw,
    one_off_task,
    publish_registry,
    registry_event,
    utc_text,
    wait_enrolled,
)


async def test_coordinator_publishes_only_at_an_enrolled_branch_of_their_own(
    platform: TestPlatform,
) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        await publish_registry(platform, registry_event("branch.registered.v1", branch("bemowo-3")))
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12", "bemowo-3")))

        created = await http.post("/v1/tasks", json=one_off_task(), headers=coordinator)
        assert created.status_code == 201, created.text
        task = created.json()
        assert task["starts_at"] == utc_text(in_warsaw(TASK_DAY, 10))

        other = bearer(platform.token("coordinator", branches=("ochota-1",)))
        forbidden = await http.post("/v1/tasks", json=one_off_task(), headers=other)
        assert forbidden.status_code == 403

        not_enrolled = await http.post(
            "/v1/tasks", json=one_off_task("bemowo-3"), headers=coordinator
        )
        assert not_enrolled.status_code == 409
        assert "not enrolled" in not_enrolled.json()["detail"]

        bad_rule = one_off_task(
            schedule={
                "kind": "recurring",
                "first_day": "2026-12-01",
                "start": "16:00",
                "end": "18:00",
                "rrule": "FREQ=WEEKLY",
            }
        )
        invalid = await http.post("/v1/tasks", json=bad_rule, headers=coordinator)
        assert invalid.status_code == 422
        assert "COUNT or UNTIL" in invalid.json()["detail"]

        # The branch withdraws: no more tasks there.
        await publish_registry(
            platform,
            registry_event("branch.withdrawn.v1", {**enrolment("wola-12"), "reason": "remont"}),
        )

        async def withdrawn() -> bool:
            return not await platform.fetchval("SELECT enrolled FROM matching.enrolments")

        await eventually(withdrawn)
        refused = await http.post("/v1/tasks", json=one_off_task(), headers=coordinator)
        assert refused.status_code == 409

    published = await platform.fetch(
        "SELECT event_type FROM matching.outbox WHERE event_type LIKE '%task.published.v1'"
    )
    assert len(published) == 1


async def test_calendar_event_becomes_a_task_updates_it_and_cancels_it(
    platform: TestPlatform,
) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        await wait_enrolled(platform, "wola-12")
        scheduled = calendar_scheduled("cal-1")
        await platform.publish_event(scheduled)
        await platform.publish_event(scheduled)  # delivered twice: one task
        admin = bearer(platform.token("city_admin"))

        async def one_task() -> list[dict[str, object]]:
            response = await http.get("/v1/tasks", params={"branch_code": "wola-12"}, headers=admin)
            found: list[dict[str, object]] = response.json()
            return found

        [task] = await eventually(one_task)
        assert task["type"] == "event_help" and task["places"] == 4
        assert task["starts_at"] == utc_text(in_warsaw(TASK_DAY, 18))
        assert task["skills"] == ["fotografia"]

        await platform.publish_event(calendar_scheduled("cal-1", volunteers_needed=6))

        async def updated() -> bool:
            response = await http.get(f"/v1/tasks/{task['id']}", headers=admin)
            return bool(response.json()["places"] == 6)

        await eventually(updated)
        await platform.publish_event(calendar_cancelled("cal-1"))

        async def cancelled() -> bool:
            response = await http.get(f"/v1/tasks/{task['id']}", headers=admin)
            return bool(response.json()["status"] == "cancelled")

        await eventually(cancelled)
        tasks = await platform.fetchval("SELECT count(*) FROM matching.tasks")
        assert tasks == 1
    types = [
        row["event_type"].rsplit(".", 2)[-2]
        for row in await platform.fetch(
            "SELECT event_type FROM matching.outbox WHERE event_type LIKE '%.task.%' ORDER BY seq"
        )
    ]
    assert types == ["published", "changed", "cancelled"]


async def test_calendar_event_for_an_unknown_branch_or_with_bad_data_is_dead_lettered(
    platform: TestPlatform,
) -> None:
    async with platform.running("matching"):
        await platform.publish_event(calendar_scheduled("cal-2", branch_code="nowhere-9"))
        await platform.publish_event(
            calendar_scheduled("cal-3", ends_at=in_warsaw(TASK_DAY, 17).isoformat())
        )

        async def two_dead() -> list[DeadLetter]:
            letters = await platform.dead_letters("matching")
            return list(letters) if len(letters) >= 2 else []

        letters = await eventually(two_dead)
    details = {letter.reason: letter.detail for letter in letters}
    # The detail names the field; the value itself stays in the parked body, not the header.
    assert "branch_code" in details.get("unknown-branch", ""), details
    assert "ends_at" in details.get("invalid-data", ""), details
    assert await platform.fetchval("SELECT count(*) FROM matching.tasks") == 0


async def test_a_cancellation_that_overtakes_its_scheduling_keeps_the_event_void(
    platform: TestPlatform,
) -> None:
    from datetime import UTC, datetime, timedelta

    async with platform.running("matching"):
        await enrol_branch(platform, "wola-12")
        await wait_enrolled(platform, "wola-12")
        scheduled = calendar_scheduled("cal-late")
        scheduled["time"] = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
        await platform.publish_event(calendar_cancelled("cal-late"))

        async def tombstone() -> int:
            return int(
                await platform.fetchval("SELECT count(*) FROM matching.calendar_cancellations")
            )

        await eventually(tombstone)
        await platform.publish_event(scheduled)
        await platform.publish_event(calendar_scheduled("cal-next"))  # a later message as a marker

        async def marker() -> int:
            return int(await platform.fetchval("SELECT count(*) FROM matching.tasks"))

        await eventually(marker)
    assert await platform.fetchval("SELECT calendar_id FROM matching.tasks") == "cal-next"


async def test_registry_events_out_of_order_keep_the_newest_fact(platform: TestPlatform) -> None:
    from datetime import UTC, datetime, timedelta

    from tests.test_matching_support import edition

    earlier = datetime.now(UTC) - timedelta(minutes=10)
    async with platform.running("matching"):
        withdrawn = {**enrolment("wola-12"), "reason": "remont"}
        await publish_registry(platform, registry_event("branch.withdrawn.v1", withdrawn))
        await publish_registry(platform, registry_event("edition.closed.v1", edition()))
        await publish_registry(
            platform, registry_event("branch.enrolled.v1", enrolment("wola-12"), time=earlier)
        )
        await publish_registry(
            platform, registry_event("edition.opened.v1", edition(), time=earlier)
        )
        renamed = {**branch("wola-12"), "name": "Nowa nazwa"}
        await publish_registry(platform, registry_event("branch.updated.v1", renamed))
        await publish_registry(
            platform, registry_event("branch.registered.v1", branch("wola-12"), time=earlier)
        )

        async def all_applied() -> int:
            return int(await platform.fetchval("SELECT count(*) FROM matching.inbox"))

        await eventually(lambda: _at_least(all_applied, 6))
    assert await platform.fetchval("SELECT enrolled FROM matching.enrolments") is False
    assert await platform.fetchval("SELECT closed FROM matching.editions") is True
    assert await platform.fetchval("SELECT name FROM matching.branches") == "Nowa nazwa"


async def _at_least(count: Callable[[], Awaitable[int]], expected: int) -> bool:
    return await count() >= expected
