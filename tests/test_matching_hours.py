"""Hours: logged by the volunteer or the coordinator, approved or rejected by the coordinator."""

from __future__ import annotations

from shared.testing.platform import TestPlatform
from tests.test_matching_support import (
    bearer,
    client,
    enrol_branch,
    one_off_task,
    register_volunteers,
    wait_enrolled,
)

PAST_SHIFT = {"kind": "one_off", "first_day": "2026-11-20", "start": "22:00", "end": "01:00"}


async def test_hours_are_logged_and_decided(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        ids = await register_volunteers(platform, "worker", "stranger")
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        worker = bearer(platform.token("volunteer", subject=ids["worker"]))
        stranger = bearer(platform.token("volunteer", subject=ids["stranger"]))
        body = one_off_task(schedule=PAST_SHIFT)
        task = (await http.post("/v1/tasks", json=body, headers=coordinator)).json()
        application = (
            await http.post(f"/v1/tasks/{task['id']}/applications", headers=worker)
        ).json()
        await http.post(f"/v1/applications/{application['id']}/accept", headers=coordinator)
        [assignment] = (await http.get("/v1/me/assignments", headers=worker)).json()
        url = f"/v1/assignments/{assignment['id']}/hours"

        # The shift crosses midnight: both Warsaw days count.
        logged = await http.post(
            url, json={"hours": "2.5", "worked_on": "2026-11-20"}, headers=worker
        )
        assert logged.status_code == 201, logged.text
        assert logged.json()["logged_by"] == "volunteer"
        by_staff = await http.post(
            url, json={"hours": "0.5", "worked_on": "2026-11-21"}, headers=coordinator
        )
        assert by_staff.json()["logged_by"] == "coordinator"
        outside = await http.post(
            url, json={"hours": "1", "worked_on": "2026-11-22"}, headers=worker
        )
        assert outside.status_code == 422 and "2026-11-20 to 2026-11-21" in outside.json()["detail"]
        too_many = await http.post(
            url, json={"hours": "25", "worked_on": "2026-11-20"}, headers=worker
        )
        assert too_many.status_code == 422
        foreign = await http.post(
            url, json={"hours": "1", "worked_on": "2026-11-20"}, headers=stranger
        )
        assert foreign.status_code == 403

        approved = await http.post(f"/v1/hours/{logged.json()['id']}/approve", headers=coordinator)
        assert approved.json()["status"] == "approved"
        rejected = await http.post(f"/v1/hours/{by_staff.json()['id']}/reject", headers=coordinator)
        assert rejected.json()["status"] == "rejected"
        twice = await http.post(f"/v1/hours/{logged.json()['id']}/reject", headers=coordinator)
        assert twice.status_code == 409
        mine = (
            await http.get("/v1/me/hours", params={"status": "approved"}, headers=worker)
        ).json()
        assert [entry["hours"] for entry in mine] == ["2.50"]

    bodies = await platform.fetch(
        "SELECT event_type, convert_from(body, 'UTF8')::jsonb -> 'data' AS data"
        " FROM matching.outbox WHERE event_type LIKE '%hours%' ORDER BY seq"
    )
    assert [row["event_type"].rsplit(".", 2)[-2] for row in bodies] == [
        "logged",
        "logged",
        "approved",
        "rejected",
    ]
    assert '"hours": "2.50"' in bodies[2]["data"]
