"""Applications, the waitlist, double booking and the assignment lifecycle."""

from __future__ import annotations

from datetime import timedelta

from shared.testing.platform import TestPlatform
from tests.matching_scene import branch_scene
from tests.test_matching_support import (
    TASK_DAY,
    bearer,
    client,
    enrol_branch,
    one_off_task,
    register_volunteers,
    wait_enrolled,
)


async def test_full_task_waitlists_and_promotes_when_a_place_frees(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        scene = await branch_scene(platform, http, "p-1", "p-2")
        ids, coordinator = scene.ids, scene.coordinator
        task = await scene.task(places=1)
        first, second = scene.people["p-1"], scene.people["p-2"]

        me = await http.get("/v1/me", headers=first)
        assert me.json()["id"] == ids["p-1"]
        applied = await http.post(f"/v1/tasks/{task['id']}/applications", headers=first)
        assert applied.status_code == 201, applied.text
        assert applied.json()["status"] == "submitted"
        again = await http.post(f"/v1/tasks/{task['id']}/applications", headers=first)
        assert again.status_code == 409

        accepted = await http.post(
            f"/v1/applications/{applied.json()['id']}/accept", headers=coordinator
        )
        assert accepted.status_code == 200, accepted.text

        waiting = await http.post(f"/v1/tasks/{task['id']}/applications", headers=second)
        assert waiting.json()["status"] == "waitlisted"
        full = await http.post(
            f"/v1/applications/{waiting.json()['id']}/accept", headers=coordinator
        )
        assert full.status_code == 409 and full.json()["title"] == "Task full"

        [mine] = (await http.get("/v1/me/assignments", headers=first)).json()
        cancelled = await http.post(f"/v1/assignments/{mine['id']}/cancel", headers=first)
        assert cancelled.json()["status"] == "cancelled"

        confirmed = (
            await http.get(
                f"/v1/tasks/{task['id']}/assignments",
                params={"status": "confirmed"},
                headers=coordinator,
            )
        ).json()
        assert [a["volunteer_id"] for a in confirmed] == [ids["p-2"]]
        listed = (
            await http.get(f"/v1/tasks/{task['id']}/applications", headers=coordinator)
        ).json()
        assert [(a["status"], a["volunteer_name"]) for a in listed] == [
            ("accepted", "Zofia Kowalska-Nowak"),
            ("accepted", "Zofia Kowalska-Nowak"),
        ]

        completed = await http.post(
            f"/v1/assignments/{confirmed[0]['id']}/complete", headers=second
        )
        assert completed.status_code == 403  # only staff complete an assignment
        completed = await http.post(
            f"/v1/assignments/{confirmed[0]['id']}/complete", headers=coordinator
        )
        assert completed.status_code == 409 and completed.json()["title"] == "Too early"

    facts = [
        row["event_type"].removeprefix("pl.waw.volunteering.matching.")
        for row in await platform.fetch(
            "SELECT event_type FROM matching.outbox WHERE event_type ~ '(application|assignment)'"
            " ORDER BY seq"
        )
    ]
    assert facts == [
        "application.submitted.v1",
        "assignment.confirmed.v1",
        "application.accepted.v1",
        "application.waitlisted.v1",
        "assignment.cancelled.v1",
        "assignment.confirmed.v1",
        "application.promoted.v1",
    ]


async def test_overlapping_shift_is_refused_with_the_clash_named(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        ids = await register_volunteers(platform, "p-1")
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        volunteer = bearer(platform.token("volunteer", subject=ids["p-1"]))
        night = one_off_task(
            title="Nocne czytanie",
            schedule={
                "kind": "one_off",
                "first_day": TASK_DAY.isoformat(),
                "start": "22:00",
                "end": "02:00",
            },
        )
        morning = one_off_task(
            title="Poranny dyżur",
            schedule={
                "kind": "one_off",
                "first_day": (TASK_DAY + timedelta(days=1)).isoformat(),
                "start": "01:30",
                "end": "04:00",
            },
        )
        for body in (night, morning):
            task = (await http.post("/v1/tasks", json=body, headers=coordinator)).json()
            application = (
                await http.post(f"/v1/tasks/{task['id']}/applications", headers=volunteer)
            ).json()
            decision = await http.post(
                f"/v1/applications/{application['id']}/accept", headers=coordinator
            )
        assert decision.status_code == 409
        problem = decision.json()
        assert decision.headers["content-type"] == "application/problem+json"
        assert problem["title"] == "Double booking"
        assert "Nocne czytanie" in problem["clash"]
        assert f"{TASK_DAY} 22:00–{TASK_DAY + timedelta(days=1)} 02:00" in problem["clash"]


async def test_minimum_age_and_child_protection_are_checked_on_the_task_day(
    platform: TestPlatform,
) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        ids = await register_volunteers(platform, "adult-1")
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        volunteer = bearer(platform.token("volunteer", subject=ids["adult-1"]))
        body = one_off_task(with_children=True, min_age=18)
        task = (await http.post("/v1/tasks", json=body, headers=coordinator)).json()

        # The application stands without a check (it links the person to the branch, which
        # may then record their check), but no place is confirmed before the check holds.
        applied = await http.post(f"/v1/tasks/{task['id']}/applications", headers=volunteer)
        assert applied.status_code == 201, applied.text
        accept = f"/v1/applications/{applied.json()['id']}/accept"
        refused = await http.post(accept, headers=coordinator)
        assert refused.status_code == 409
        assert "child-protection" in refused.json()["detail"]

        check = {
            "branch_code": "wola-12",
            "register_checked_on": "2026-11-02",
            "criminal_record_on": "2026-11-01",
        }
        recorded = await http.put(
            f"/v1/volunteers/{ids['adult-1']}/child-protection-check",
            json=check,
            headers=coordinator,
        )
        assert recorded.status_code == 200, recorded.text
        forbidden = await http.put(
            f"/v1/volunteers/{ids['adult-1']}/child-protection-check", json=check, headers=volunteer
        )
        assert forbidden.status_code == 403
        accepted = await http.post(accept, headers=coordinator)
        assert accepted.status_code == 200, accepted.text
