"""One proposal at a time: the coordinator proposes a ranked candidate to a task."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from shared.testing.platform import TestPlatform
from tests.test_matching_support import (
    bearer,
    client,
    enrol_branch,
    one_off_task,
    register_volunteers,
    wait_enrolled,
)

SATURDAY_MORNING = [{"weekday": 6, "start": "09:00", "end": "13:00"}]


async def test_a_coordinator_proposes_an_eligible_candidate(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        ids = await register_volunteers(
            platform, "reader", availability=SATURDAY_MORNING, skills=["czytanie"]
        )
        ids |= await register_volunteers(platform, "coder", availability=SATURDAY_MORNING)
        ids |= await register_volunteers(
            platform, "evening", availability=[{"weekday": 6, "start": "18:00", "end": "21:00"}]
        )
        ids |= await register_volunteers(
            platform, "far", availability=SATURDAY_MORNING, districts=["ursus"]
        )
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        task = (
            await http.post("/v1/tasks", json=one_off_task(places=2), headers=coordinator)
        ).json()
        url = f"/v1/tasks/{task['id']}/proposals"
        [best, *_] = (
            await http.get(f"/v1/tasks/{task['id']}/candidates", headers=coordinator)
        ).json()
        assert best["volunteer_id"] == ids["reader"]

        made = await http.post(
            url, json={"volunteer_id": ids["reader"], "expires_in_hours": 24}, headers=coordinator
        )
        assert made.status_code == 201, made.text
        proposal = made.json()
        assert proposal["status"] == "proposed"
        assert proposal["points"] == best["points"]
        expires_at = datetime.fromisoformat(proposal["expires_at"])
        assert abs(expires_at - (datetime.now(UTC) + timedelta(hours=24))) < timedelta(minutes=1)
        ranked_now = (
            await http.get(f"/v1/tasks/{task['id']}/candidates", headers=coordinator)
        ).json()
        assert ids["reader"] not in [c["volunteer_id"] for c in ranked_now]

        again = await http.post(url, json={"volunteer_id": ids["reader"]}, headers=coordinator)
        assert again.status_code == 409
        assert again.json()["title"] == "Not eligible"
        assert "already assigned or proposed" in again.json()["detail"]
        # Why someone not linked to the branch is ineligible would tell the coordinator about
        # them (district, hours, age): they hear 404, as for an unknown id; the city office
        # hears the reason.
        admin = bearer(platform.token("city_admin"))
        for volunteer_id in (ids["far"], ids["evening"]):
            hidden = await http.post(url, json={"volunteer_id": volunteer_id}, headers=coordinator)
            assert hidden.status_code == 404, hidden.text
        far = await http.post(url, json={"volunteer_id": ids["far"]}, headers=admin)
        assert far.status_code == 409 and "does not reach district wola" in far.json()["detail"]
        evening = await http.post(url, json={"volunteer_id": ids["evening"]}, headers=admin)
        assert evening.status_code == 409
        assert "not available at the task's time" in evening.json()["detail"]
        nobody = await http.post(
            url, json={"volunteer_id": "00000000-0000-4000-8000-000000000000"}, headers=coordinator
        )
        assert nobody.status_code == 404

        other = bearer(platform.token("coordinator", branches=("ochota-1",)))
        trainer = bearer(platform.token("trainer", branches=("wola-12",)))
        for foreign in (other, trainer):
            refused = await http.post(url, json={"volunteer_id": ids["coder"]}, headers=foreign)
            assert refused.status_code == 403
        second = await http.post(url, json={"volunteer_id": ids["coder"]}, headers=admin)
        assert second.status_code == 201, second.text

        full = await http.post(url, json={"volunteer_id": ids["evening"]}, headers=coordinator)
        assert full.status_code == 409 and full.json()["title"] == "No free place"

        reader = bearer(platform.token("volunteer", subject=ids["reader"]))
        accepted = await http.post(f"/v1/proposals/{proposal['id']}/accept", headers=reader)
        assert accepted.json()["status"] == "accepted"
        [assignment] = (
            await http.get(f"/v1/tasks/{task['id']}/assignments", headers=coordinator)
        ).json()
        assert assignment["proposal_id"] == proposal["id"]

        await http.post(f"/v1/tasks/{task['id']}/cancel", json={}, headers=coordinator)
        cancelled = await http.post(url, json={"volunteer_id": ids["evening"]}, headers=admin)
        assert cancelled.status_code == 409 and cancelled.json()["title"] == "Task cancelled"

    made_events = await platform.fetch(
        "SELECT body FROM matching.outbox WHERE event_type = $1 ORDER BY seq",
        "pl.waw.volunteering.matching.proposal.made.v1",
    )
    made_for = [json.loads(row["body"])["data"]["volunteer_id"] for row in made_events]
    assert made_for == [ids["reader"], ids["coder"]]
