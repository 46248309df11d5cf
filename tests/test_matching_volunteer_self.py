"""A volunteer's own pages, as matching's API answers them: open tasks with the reasons a
task is not for them, applying and withdrawing, hours to log and totals, milestones, their
choices, everything held about them and their erasure; a coordinator's year by hours."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

from notifications.contracts import MilestoneFacts
from shared.testing.platform import TestPlatform, eventually
from tests.matching_scene import branch_scene
from tests.portal import minor_data
from tests.test_matching_support import (
    TASK_DAY,
    bearer,
    client,
    enrol_branch,
    one_off_task,
    register_volunteers,
    wait_enrolled,
)


async def test_open_tasks_say_why_a_task_is_not_for_me(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        await enrol_branch(platform, "praga-3", district="praga-polnoc")
        adult = (await register_volunteers(platform, "adult"))["adult"]
        young = (
            await register_volunteers(
                platform,
                "young",
                **{
                    key: value
                    for key, value in minor_data(
                        "young", date.today() - timedelta(days=12 * 366)
                    ).items()
                    if key != "portal_id"
                },
            )
        )["young"]
        await wait_enrolled(platform, "wola-12")
        await wait_enrolled(platform, "praga-3")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12", "praga-3")))
        me = bearer(platform.token("volunteer", subject=adult))
        child = bearer(platform.token("volunteer", subject=young))

        reading = (
            await http.post(
                "/v1/tasks",
                json=one_off_task(
                    what_to_bring="Ulubioną książkę",
                    contact_first_name="Barbara",
                    languages=["pl", "uk"],
                ),
                headers=coordinator,
            )
        ).json()
        children = (
            await http.post(
                "/v1/tasks",
                json=one_off_task(
                    title="Zajęcia z dziećmi", with_children=True, min_age=None, type="contest"
                ),
                headers=coordinator,
            )
        ).json()
        far = (
            await http.post(
                "/v1/tasks", json=one_off_task("praga-3", title="Daleko"), headers=coordinator
            )
        ).json()

        listed = await http.get("/v1/me/open-tasks", headers=me)
        assert listed.status_code == 200, listed.text
        by_id = {item["id"]: item for item in listed.json()}
        # Near first: both of Wola's tasks before Praga's (the person lives in Wola/Ochota).
        assert [item["id"] for item in listed.json()][-1] == far["id"]
        assert by_id[reading["id"]]["reasons"] == []
        assert [r["code"] for r in by_id[children["id"]]["reasons"]] == ["child_protection"]
        assert by_id[far["id"]]["near"] is False

        # The twelve-year-old sees the age rule as a reason, not an empty list.
        theirs = (await http.get("/v1/me/open-tasks", headers=child)).json()
        assert "age" in [
            r["code"] for r in next(i for i in theirs if i["id"] == reading["id"])["reasons"]
        ]

        # Filters: district, kind, language, skill, dates.
        async def ids(**params: str) -> set[str]:
            found = await http.get("/v1/me/open-tasks", params=params, headers=me)
            assert found.status_code == 200, found.text
            return {item["id"] for item in found.json()}

        assert await ids(district="praga-polnoc") == {far["id"]}
        assert await ids(type="contest") == {children["id"]}
        assert await ids(language="uk") == {reading["id"]}
        assert reading["id"] in await ids(skill="CZYTANIE")
        day = TASK_DAY.isoformat()
        assert len(await ids(**{"from": day, "to": day})) == 3
        after = (TASK_DAY + timedelta(days=1)).isoformat()
        assert await ids(**{"from": after}) == set()

        nul = await http.get("/v1/me/open-tasks", params={"skill": "a\x00b"}, headers=me)
        assert nul.status_code == 422
        bad = await http.get("/v1/me/open-tasks", params={"from": after, "to": day}, headers=me)
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert (
            await http.get("/v1/me/open-tasks", params={"type": "x"}, headers=me)
        ).status_code == 422

        page = (await http.get(f"/v1/me/open-tasks/{reading['id']}", headers=me)).json()
        assert page["what_to_bring"] == "Ulubioną książkę"
        assert page["contact_first_name"] == "Barbara"
        assert page["branch"]["code"] == "wola-12" and len(page["dates"]) == 1
        assert page["application"] is None

        # A clash with my own shift is a reason too.
        application = (
            await http.post(f"/v1/tasks/{reading['id']}/applications", headers=me)
        ).json()
        await http.post(f"/v1/applications/{application['id']}/accept", headers=coordinator)
        same_time = (
            await http.post(
                "/v1/tasks", json=one_off_task(title="W tym samym czasie"), headers=coordinator
            )
        ).json()
        page = (await http.get(f"/v1/me/open-tasks/{same_time['id']}", headers=me)).json()
        assert [r["code"] for r in page["reasons"]] == ["clash"]
        mine = (await http.get(f"/v1/me/open-tasks/{reading['id']}", headers=me)).json()
        assert mine["application"]["status"] == "accepted"


async def test_apply_withdraw_and_the_waitlist_position(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        scene = await branch_scene(platform, http, "first", "second", "third")
        ids, coordinator = scene.ids, scene.coordinator
        first, third = scene.people["first"], scene.people["third"]
        task = await scene.task(places=1)
        url = f"/v1/tasks/{task['id']}/applications"
        taken = await scene.place(task, "first")
        waiting = await scene.apply(task, "second")
        last = await scene.apply(task, "third")
        assert (waiting["status"], last["status"]) == ("waitlisted", "waitlisted")

        mine = (await http.get("/v1/me/applications", headers=third)).json()
        assert [(item["status"], item["position"]) for item in mine] == [("waitlisted", 2)]
        assert mine[0]["task_title"] == task["title"]

        # Someone else's application: as if it did not exist.
        foreign = await http.post(f"/v1/applications/{waiting['id']}/withdraw", headers=third)
        assert foreign.status_code == 404
        assert foreign.headers["content-type"].startswith("application/problem+json")

        # The accepted one withdraws: the place goes to the first waiting.
        gone = await http.post(f"/v1/applications/{taken['id']}/withdraw", headers=first)
        assert gone.status_code == 200, gone.text
        assert gone.json()["status"] == "withdrawn"
        assert (await http.get("/v1/me/assignments", headers=first)).json()[0]["status"] == (
            "cancelled"
        )
        states = {
            item["volunteer_id"]: (item["status"])
            for item in (await http.get(url, headers=coordinator)).json()
        }
        assert states[ids["second"]] == "accepted"
        mine = (await http.get("/v1/me/applications", headers=third)).json()
        assert mine[0]["position"] == 1
        twice = await http.post(f"/v1/applications/{taken['id']}/withdraw", headers=first)
        assert twice.status_code == 409

        # Applying again reopens the same application, at the end of the waitlist.
        again = await http.post(url, headers=first)
        assert again.status_code == 201, again.text
        assert (again.json()["id"], again.json()["status"]) == (taken["id"], "waitlisted")

    withdrawn = await platform.fetch(
        "SELECT convert_from(body, 'UTF8')::jsonb -> 'data' ->> 'application_id' AS id"
        " FROM matching.outbox WHERE event_type LIKE '%application.withdrawn.v1'"
    )
    assert [row["id"] for row in withdrawn] == [taken["id"]]


PAST_SHIFT = {"kind": "one_off", "first_day": "2026-11-20", "start": "22:00", "end": "01:00"}


async def test_hours_to_log_are_prefilled_and_totals_follow_approval(
    platform: TestPlatform,
) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        scene = await branch_scene(platform, http, "worker")
        coordinator, worker = scene.coordinator, scene.people["worker"]
        past = await scene.task(schedule=PAST_SHIFT)
        earlier = dict(PAST_SHIFT, first_day="2026-11-13", start="10:00", end="12:00")
        kiosk = await scene.task(title="Z kioskiem", schedule=earlier)
        for task in (past, kiosk):
            await scene.place(task, "worker")
        # The kiosk saw them come at 10:05 and no check-out: the suggestion runs to 12:00.
        await platform.fetch(
            "UPDATE matching.occurrences SET checked_in_at = '2026-11-13T09:05:00Z'"
            " WHERE task_id = $1",
            uuid.UUID(kiosk["id"]),
        )

        summary = (await http.get("/v1/me/hours/summary", headers=worker)).json()
        lines = {line["task_id"]: line for line in summary["to_log"]}
        assert lines[past["id"]]["suggested_hours"] == "3.00"
        assert lines[past["id"]]["from_checkin"] is False
        assert lines[kiosk["id"]]["suggested_hours"] == "2.00"
        assert lines[kiosk["id"]]["from_checkin"] is True
        assert summary["approved_all_time"] == "0"

        line = lines[past["id"]]
        logged = await http.post(
            f"/v1/assignments/{line['assignment_id']}/hours",
            json={"hours": line["suggested_hours"], "worked_on": line["occurrence_date"]},
            headers=worker,
        )
        assert logged.status_code == 201, logged.text
        summary = (await http.get("/v1/me/hours/summary", headers=worker)).json()
        assert [item["task_id"] for item in summary["to_log"]] == [kiosk["id"]]
        assert summary["waiting"] == "3.00"

        await http.post(f"/v1/hours/{logged.json()['id']}/approve", headers=coordinator)
        summary = (await http.get("/v1/me/hours/summary", headers=worker)).json()
        assert (summary["approved_this_year"], summary["approved_all_time"]) == ("3.00", "3.00")
        assert summary["waiting"] == "0"


async def test_milestones_are_recorded_once_and_announced(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        scene = await branch_scene(platform, http, "steady")
        ids, coordinator, me = scene.ids, scene.coordinator, scene.people["steady"]
        recurring = dict(PAST_SHIFT, first_day="2026-11-02", start="09:00", end="15:00") | {
            "kind": "recurring",
            "rrule": "FREQ=DAILY;COUNT=3",
        }
        task = await scene.task(schedule=recurring)
        await scene.place(task, "steady")
        [assignment] = (await http.get("/v1/me/assignments", headers=me)).json()
        dates = (await http.get(f"/v1/tasks/{task['id']}/occurrences", headers=coordinator)).json()

        # Marked attended on the first date: the first shift, once (a second mark adds none).
        first = dates[0]["shifts"][0]["id"]
        for state in ("attended", "absent", "attended"):
            marked = await http.post(
                f"/v1/occurrences/{first}/attendance", json={"state": state}, headers=coordinator
            )
            assert marked.status_code == 200, marked.text
        assert [
            m["milestone"] for m in (await http.get("/v1/me/milestones", headers=me)).json()
        ] == ["first_shift"]

        # 6 + 6 approved hours: ten reached on the second approval.
        for day in ("2026-11-02", "2026-11-03"):
            entry = (
                await http.post(
                    f"/v1/assignments/{assignment['id']}/hours",
                    json={"hours": "6", "worked_on": day},
                    headers=me,
                )
            ).json()
            approved = await http.post(f"/v1/hours/{entry['id']}/approve", headers=coordinator)
            assert approved.status_code == 200, approved.text
        mine = (await http.get("/v1/me/milestones", headers=me)).json()
        assert [(m["milestone"], m["approved_hours"]) for m in mine] == [
            ("first_shift", "0.00"),
            ("hours_10", "12.00"),
        ]

    announced = await platform.fetch(
        "SELECT convert_from(body, 'UTF8')::jsonb -> 'data' AS data FROM matching.outbox"
        " WHERE event_type = 'pl.waw.volunteering.matching.milestone.reached.v1' ORDER BY seq"
    )
    facts = [json.loads(row["data"]) for row in announced]
    assert [fact["milestone"] for fact in facts] == ["first_shift", "hours_10"]
    assert facts[1]["approved_hours"] == "12.00" and facts[1]["volunteer_id"] == ids["steady"]
    # The notifications' contract reads it as it stands.
    MilestoneFacts.model_validate(facts[1])


async def test_my_channels_and_language_reach_notifications(platform: TestPlatform) -> None:
    async with (
        platform.running("matching", "notifications") as (matching, notifications),
        client(matching) as http,
        client(notifications) as notify,
    ):
        ids = await register_volunteers(platform, "chooser", phone=None)
        me = bearer(platform.token("volunteer", subject=ids["chooser"]))
        before = (await http.get("/v1/me/preferences", headers=me)).json()
        assert before == {
            "consent_email": True,
            "consent_sms": False,
            "message_language": "pl",
            "has_email": True,
            "has_phone": False,
        }
        # No phone: SMS cannot be chosen, and nothing changes.
        refused = await http.put(
            "/v1/me/preferences",
            json={"consent_email": False, "consent_sms": True, "message_language": "en"},
            headers=me,
        )
        assert refused.status_code == 422
        assert "phone" in refused.json()["detail"]
        bad = await http.put(
            "/v1/me/preferences",
            json={"consent_email": False, "consent_sms": False, "message_language": "de"},
            headers=me,
        )
        assert bad.status_code == 422
        assert (await http.get("/v1/me/preferences", headers=me)).json() == before

        changed = await http.put(
            "/v1/me/preferences",
            json={"consent_email": False, "consent_sms": False, "message_language": "en"},
            headers=me,
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["message_language"] == "en"

        async def notifications_follow() -> bool:
            rows = await platform.fetch(
                "SELECT consent_email, language FROM notifications.volunteer_contacts"
                " WHERE volunteer_id = $1",
                uuid.UUID(ids["chooser"]),
            )
            return bool(rows) and (rows[0]["consent_email"], rows[0]["language"]) == (False, "en")

        await eventually(notifications_follow, message="notifications has the new choices")
        # The lead time is notifications' own.
        lead = await notify.put("/v1/preferences", json={"reminder_hours_before": 6}, headers=me)
        assert lead.status_code == 200, lead.text
        assert (await notify.get("/v1/preferences", headers=me)).json() == {
            "reminder_hours_before": 6
        }


async def test_my_data_as_json_and_pdf_then_my_erasure(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        scene = await branch_scene(platform, http, "keeper", "neighbour")
        ids, me = scene.ids, scene.people["keeper"]
        task = await scene.task(schedule=PAST_SHIFT)
        for person in ("keeper", "neighbour"):
            await scene.place(task, person)
        [assignment] = (await http.get("/v1/me/assignments", headers=me)).json()
        await http.post(
            f"/v1/assignments/{assignment['id']}/hours",
            json={"hours": "2.75", "worked_on": "2026-11-20"},
            headers=me,
        )

        got = await http.get("/v1/me/data", headers=me)
        assert got.status_code == 200, got.text
        assert "attachment" in got.headers["content-disposition"]
        data = got.json()
        assert data["profile"]["id"] == ids["keeper"]
        assert data["profile"]["email"] == "keeper@example.pl"
        assert [row["hours"] for row in data["hours"]] == ["2.75"]
        assert len(data["applications"]) == 1 and len(data["shifts"]) == 1
        assert "code" not in data["shifts"][0]  # the kiosk pass is a key, not a fact
        assert [task_row["title"] for task_row in data["tasks"]] == [task["title"]]
        everything = json.dumps(data)
        assert ids["neighbour"] not in everything

        pdf = await http.get("/v1/me/data.pdf", headers=me)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert pdf.headers["content-type"] == "application/pdf"

        unconfirmed = await http.post("/v1/me/erasure", json={"confirm": False}, headers=me)
        assert unconfirmed.status_code == 422
        assert unconfirmed.headers["content-type"].startswith("application/problem+json")
        assert (await http.get("/v1/me", headers=me)).status_code == 200

        erased = await http.post("/v1/me/erasure", json={"confirm": True}, headers=me)
        assert erased.status_code == 202, erased.text
        assert (await http.get("/v1/me", headers=me)).status_code == 404
        assert (await http.get("/v1/me/data", headers=me)).status_code == 404
        again = await http.post("/v1/me/erasure", json={"confirm": True}, headers=me)
        assert again.status_code == 404

    [row] = await platform.fetch(
        "SELECT first_name, email, portal_id, erased_at FROM matching.volunteers WHERE id = $1",
        uuid.UUID(ids["keeper"]),
    )
    assert (row["first_name"], row["email"], row["portal_id"]) == (None, None, None)
    erased_events = await platform.fetch(
        "SELECT 1 FROM matching.outbox WHERE event_type LIKE '%volunteer.erased.v1'"
        " AND convert_from(body, 'UTF8') LIKE $1",
        f"%{ids['keeper']}%",
    )
    assert len(erased_events) == 1
    # The anonymous hours stay, so the branch's totals hold.
    hours_left = await platform.fetchval(
        "SELECT count(*) FROM matching.hours WHERE volunteer_id = $1", uuid.UUID(ids["keeper"])
    )
    assert hours_left == 1


async def test_a_branch_lists_its_volunteers_by_hours_this_year(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        await enrol_branch(platform, "praga-3", district="praga-polnoc")
        ids = await register_volunteers(platform, "most", "some", "elsewhere")
        await wait_enrolled(platform, "wola-12")
        await wait_enrolled(platform, "praga-3")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12", "praga-3")))
        other = bearer(platform.token("coordinator", branches=("praga-3",)))

        async def worked(branch: str, who: str, amounts: list[str], day: str) -> None:
            task = (
                await http.post(
                    "/v1/tasks",
                    json=one_off_task(
                        branch, title=f"{who} {day}", schedule=dict(PAST_SHIFT, first_day=day)
                    ),
                    headers=coordinator,
                )
            ).json()
            me = bearer(platform.token("volunteer", subject=ids[who]))
            applied = (await http.post(f"/v1/tasks/{task['id']}/applications", headers=me)).json()
            await http.post(f"/v1/applications/{applied['id']}/accept", headers=coordinator)
            assignment = next(
                item
                for item in (await http.get("/v1/me/assignments", headers=me)).json()
                if item["task_id"] == task["id"]
            )
            for amount in amounts:
                entry = (
                    await http.post(
                        f"/v1/assignments/{assignment['id']}/hours",
                        json={"hours": amount, "worked_on": day},
                        headers=me,
                    )
                ).json()
                await http.post(f"/v1/hours/{entry['id']}/approve", headers=coordinator)

        await worked("wola-12", "some", ["2"], "2026-11-06")
        await worked("wola-12", "most", ["3", "1.5"], "2026-11-13")
        await worked("wola-12", "most", ["2"], "2026-11-20")
        await worked("praga-3", "elsewhere", ["9"], "2026-11-20")

        listed = await http.get("/v1/branches/wola-12/volunteers-by-hours", headers=coordinator)
        assert listed.status_code == 200, listed.text
        rows = listed.json()
        assert [(row["volunteer_id"], row["approved_hours"], row["days"]) for row in rows] == [
            (ids["most"], "6.50", 2),
            (ids["some"], "2.00", 1),
        ]
        assert rows[0]["first_name"] and rows[0]["first_day"] == "2026-11-13"
        last_year = await http.get(
            "/v1/branches/wola-12/volunteers-by-hours",
            params={"year": 2025},
            headers=coordinator,
        )
        assert last_year.json() == []
        forbidden = await http.get("/v1/branches/wola-12/volunteers-by-hours", headers=other)
        assert forbidden.status_code == 403
        bad = await http.get(
            "/v1/branches/wola-12/volunteers-by-hours", params={"year": "x"}, headers=coordinator
        )
        assert bad.status_code == 422
