"""Erasure clears the profile's new personal data and frees future places."""

from __future__ import annotations

from shared.testing.platform import TestPlatform, eventually
from tests.portal import erasure_requested
from tests.test_matching_support import (
    bearer,
    client,
    enrol_branch,
    one_off_task,
    register_volunteers,
    wait_enrolled,
)


async def test_erasure_clears_checks_and_hands_the_place_to_the_waitlist(
    platform: TestPlatform,
) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        ids = await register_volunteers(platform, "gone", "next")
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        check = {
            "branch_code": "wola-12",
            "register_checked_on": "2026-11-02",
            "criminal_record_on": "2026-11-01",
        }
        task = (
            await http.post(
                "/v1/tasks", json=one_off_task(places=1, with_children=True), headers=coordinator
            )
        ).json()
        # Each applies first: the application links them to the branch, which then records
        # their checks (a branch records checks only for people linked to it).
        for portal_id in ("gone", "next"):
            volunteer = bearer(platform.token("volunteer", subject=ids[portal_id]))
            application = (
                await http.post(f"/v1/tasks/{task['id']}/applications", headers=volunteer)
            ).json()
            recorded = await http.put(
                f"/v1/volunteers/{ids[portal_id]}/child-protection-check",
                json=check,
                headers=coordinator,
            )
            assert recorded.status_code == 200, recorded.text
            if portal_id == "gone":
                await http.post(f"/v1/applications/{application['id']}/accept", headers=coordinator)

        await platform.publish_event(erasure_requested("gone"))

        async def promoted() -> list[dict[str, str]]:
            response = await http.get(
                f"/v1/tasks/{task['id']}/assignments",
                params={"status": "confirmed"},
                headers=coordinator,
            )
            found: list[dict[str, str]] = response.json()
            return found if found and found[0]["volunteer_id"] == ids["next"] else []

        await eventually(promoted)

    row = (
        await platform.fetch("SELECT * FROM matching.volunteers WHERE id = $1::uuid", ids["gone"])
    )[0]
    personal = ("first_name", "email", "birth_date")
    assert all(row[field] is None for field in personal), dict(row)
    checked = await platform.fetch(
        "SELECT volunteer_id::text FROM matching.child_protection_checks ORDER BY 1"
    )
    assert [r["volunteer_id"] for r in checked] == [ids["next"]]  # the erased one's went
    statuses = await platform.fetch(
        "SELECT status FROM matching.assignments WHERE volunteer_id = $1::uuid", ids["gone"]
    )
    assert [r["status"] for r in statuses] == ["cancelled"]  # anonymous history stays
