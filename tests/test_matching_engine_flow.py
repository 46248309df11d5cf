"""The engine in the service: ranked candidates, a plan, proposals and the no-login link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from matching import proposals
from shared.signed_links import sign_link_token
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
SECRET = "local-development-proposal-link-secret"


async def test_candidates_plan_and_answers(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        ids = await register_volunteers(
            platform, "reader", availability=SATURDAY_MORNING, skills=["czytanie"]
        )
        ids |= await register_volunteers(
            platform, "coder", availability=SATURDAY_MORNING, skills=["scratch"]
        )
        ids |= await register_volunteers(
            platform, "far", availability=SATURDAY_MORNING, districts=["ursus"]
        )
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        task = (
            await http.post("/v1/tasks", json=one_off_task(places=1), headers=coordinator)
        ).json()

        ranked = (await http.get(f"/v1/tasks/{task['id']}/candidates", headers=coordinator)).json()
        assert [(c["volunteer_id"], c["rank"]) for c in ranked] == [
            (ids["reader"], 1),
            (ids["coder"], 2),
        ]
        assert "skills czytanie (+10)" in ranked[0]["reasons"]
        details = ranked[0]["reason_details"]
        assert {"code": "skills", "points": 10, "values": ["czytanie"], "days": None} in details
        assert len(details) == len(ranked[0]["reasons"])
        assert ranked[0]["first_name"] == "Zofia"
        other = bearer(platform.token("coordinator", branches=("ochota-1",)))
        assert (
            await http.get(f"/v1/tasks/{task['id']}/candidates", headers=other)
        ).status_code == 403

        planned = await http.post("/v1/plans", json={"task_ids": [task["id"]]}, headers=coordinator)
        assert planned.status_code == 201, planned.text
        [proposal] = planned.json()["proposals"]
        assert proposal["volunteer_id"] == ids["reader"]
        again = (
            await http.post("/v1/plans", json={"task_ids": [task["id"]]}, headers=coordinator)
        ).json()
        assert again["proposals"] == []  # the only place is already proposed

        token = sign_link_token(
            SECRET,
            purpose="proposal.respond",
            subject=proposal["id"],
            lifetime_s=3600,
            action="accept",
        )
        url = f"/v1/proposals/{proposal['id']}/respond"
        page = await http.get(url, params={"token": token})
        assert page.status_code == 200 and "przyjąć" in page.text
        done = await http.post(
            url,
            content=f"token={token}",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert done.status_code == 200, done.text
        reused = await http.post(url, params={"token": token})
        assert reused.status_code == 409
        forged = await http.post(url, params={"token": token[:-3] + "abc"})
        assert forged.status_code == 403

        confirmed = (
            await http.get(f"/v1/tasks/{task['id']}/assignments", headers=coordinator)
        ).json()
        assert [(a["volunteer_id"], a["proposal_id"]) for a in confirmed] == [
            (ids["reader"], proposal["id"])
        ]

        second = (
            await http.post(
                "/v1/tasks", json=one_off_task(places=1, title="Inne"), headers=coordinator
            )
        ).json()
        [offer] = (
            await http.post("/v1/plans", json={"task_ids": [second["id"]]}, headers=coordinator)
        ).json()["proposals"]
        assert offer["volunteer_id"] == ids["coder"]  # the reader is booked then
        coder = bearer(platform.token("volunteer", subject=ids["coder"]))
        declined = await http.post(f"/v1/proposals/{offer['id']}/decline", headers=coder)
        assert declined.json()["status"] == "declined"

        third = await http.post(
            "/v1/tasks", json=one_off_task(title="Trzecie"), headers=coordinator
        )
        plan = {"task_ids": [third.json()["id"]], "expires_in_hours": 1}
        [late] = (await http.post("/v1/plans", json=plan, headers=coordinator)).json()["proposals"]
        async with matching.unit_of_work() as uow:
            expired = await proposals.expire_overdue(uow, datetime.now(UTC) + timedelta(hours=2))
        assert expired == 1
        admin = bearer(platform.token("city_admin"))
        sweep = await http.post("/v1/proposals/expire-overdue", headers=admin)
        assert sweep.json() == {"expired": 0}
        refused = await http.post("/v1/proposals/expire-overdue", headers=coordinator)
        assert refused.status_code == 403
        too_late = await http.post(f"/v1/proposals/{late['id']}/accept", headers=coder)
        assert too_late.status_code == 409 and "expired" in too_late.json()["detail"]

    facts = [
        row["event_type"].removeprefix("pl.waw.volunteering.matching.")
        for row in await platform.fetch(
            "SELECT event_type FROM matching.outbox"
            " WHERE event_type ~ '(proposal|assignment)' ORDER BY seq"
        )
    ]
    assert facts == [
        "proposal.made.v1",
        "assignment.confirmed.v1",
        "proposal.accepted.v1",
        "proposal.made.v1",
        "proposal.declined.v1",
        "proposal.made.v1",
        "proposal.expired.v1",
    ]
