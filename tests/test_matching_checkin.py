"""Check-in at the branch's kiosk on the real broker and database: the pass or the typed
code checks in, then out; the time between is the date's hours draft; a code of another
branch or day is refused and changes nothing."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from shared.signed_links import sign_link_token
from shared.testing.platform import TestPlatform
from tests.matching_scene import branch_scene
from tests.test_matching_support import (
    TASK_DAY,
    WARSAW,
    bearer,
    client,
    enrol_branch,
    one_off_task,
    register_volunteers,
    wait_enrolled,
)


def today_shift() -> dict[str, str]:
    today = datetime.now(WARSAW).date()
    return {"kind": "one_off", "first_day": today.isoformat(), "start": "00:00", "end": "23:59"}


async def test_the_kiosk_checks_in_and_out_and_drafts_the_hours(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        await enrol_branch(platform, "ochota-3", district="ochota")
        ids = await register_volunteers(platform, "filip")
        await wait_enrolled(platform, "wola-12")
        await wait_enrolled(platform, "ochota-3")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        other = bearer(platform.token("coordinator", branches=("ochota-3",)))
        filip = bearer(platform.token("volunteer", subject=ids["filip"]))

        today = (
            await http.post(
                "/v1/tasks", json=one_off_task(schedule=today_shift()), headers=coordinator
            )
        ).json()
        later = (
            await http.post(
                "/v1/tasks",
                json=one_off_task(
                    schedule={
                        "kind": "one_off",
                        "first_day": (TASK_DAY + timedelta(days=3)).isoformat(),
                        "start": "10:00",
                        "end": "12:00",
                    }
                ),
                headers=coordinator,
            )
        ).json()
        for task in (today, later):
            applied = (
                await http.post(f"/v1/tasks/{task['id']}/applications", headers=filip)
            ).json()
            done = await http.post(f"/v1/applications/{applied['id']}/accept", headers=coordinator)
            assert done.status_code == 200, done.text
        now_line, later_line = (await http.get("/v1/me/occurrences", headers=filip)).json()

        refused = await http.post("/v1/branches/wola-12/kiosk", headers=other)
        assert refused.status_code == 403
        kiosk = (await http.post("/v1/branches/wola-12/kiosk", headers=coordinator)).json()
        at_desk = {"x-kiosk-token": kiosk["token"]}
        elsewhere = {
            "x-kiosk-token": (await http.post("/v1/branches/ochota-3/kiosk", headers=other)).json()[
                "token"
            ]
        }
        issued = await http.post(f"/v1/occurrences/{now_line['id']}/pass", headers=filip)
        assert issued.status_code == 200
        qr = issued.json()["token"]
        assert issued.json()["code"] == now_line["code"]

        # No kiosk, a code of another branch or another day, nonsense: refused, nothing changes.
        assert (await http.post("/v1/kiosk/check-ins", json={"code": qr})).status_code == 401
        wrong_branch = await http.post("/v1/kiosk/check-ins", json={"code": qr}, headers=elsewhere)
        assert wrong_branch.status_code == 409 and wrong_branch.json()["reason"] == "other_branch"
        wrong_day = await http.post(
            "/v1/kiosk/check-ins", json={"code": later_line["code"]}, headers=at_desk
        )
        assert wrong_day.status_code == 409 and wrong_day.json()["reason"] == "other_day"
        assert wrong_day.headers["content-type"] == "application/problem+json"
        forged = await http.post(
            "/v1/kiosk/check-ins", json={"code": qr[:-4] + "AAAA"}, headers=at_desk
        )
        assert forged.status_code == 422 and forged.json()["reason"] == "invalid"
        unknown = await http.post("/v1/kiosk/check-ins", json={"code": "ZZZZZZ"}, headers=at_desk)
        assert unknown.status_code == 404 and unknown.json()["reason"] == "unknown"
        state = await platform.fetchval(
            "SELECT state FROM matching.occurrences WHERE id = $1::uuid", now_line["id"]
        )
        assert state == "planned"

        screen = (await http.get("/v1/kiosk", headers=at_desk)).json()
        assert screen["present"] == [] and screen["branch"]["code"] == "wola-12"
        checked_in = await http.post("/v1/kiosk/check-ins", json={"code": qr}, headers=at_desk)
        assert checked_in.status_code == 200, checked_in.text
        assert checked_in.json()["action"] == "in" and checked_in.json()["first_name"] == "Zofia"
        screen = (await http.get("/v1/kiosk", headers=at_desk)).json()
        assert screen["present"] == ["Zofia"]
        typed = now_line["code"].lower()[:3] + "-" + now_line["code"].lower()[3:]
        checked_out = await http.post("/v1/kiosk/check-ins", json={"code": typed}, headers=at_desk)
        assert checked_out.json()["action"] == "out" and checked_out.json()["hours"] == "0.25"
        third = await http.post("/v1/kiosk/check-ins", json={"code": typed}, headers=at_desk)
        assert third.status_code == 409 and third.json()["reason"] == "checked_out"

        [draft] = (await http.get(f"/v1/tasks/{today['id']}/hours", headers=coordinator)).json()
        assert (draft["status"], draft["logged_by"], draft["hours"]) == ("logged", "kiosk", "0.25")
        approved = await http.post(f"/v1/hours/{draft['id']}/approve", headers=coordinator)
        assert approved.json()["status"] == "approved"
        [line] = [
            item
            for item in (await http.get("/v1/me/occurrences", headers=filip)).json()
            if item["id"] == now_line["id"]
        ]
        assert line["state"] == "attended" and line["hours_entry_id"] == draft["id"]
        assert line["checked_in_at"] is not None and line["checked_out_at"] is not None

    facts = await platform.fetch(
        "SELECT event_type FROM matching.outbox WHERE event_type ~ '(shift|hours)' ORDER BY seq"
    )
    assert [row["event_type"].rsplit(".", 2)[-2] for row in facts] == [
        "planned",
        "planned",
        "attended",
        "logged",
        "approved",
    ]


async def test_hours_logged_before_check_out_stand_alone(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        ids = await register_volunteers(platform, "gabi")
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        gabi = bearer(platform.token("volunteer", subject=ids["gabi"]))
        body = one_off_task(schedule=today_shift())
        task = (await http.post("/v1/tasks", json=body, headers=coordinator)).json()
        applied = (await http.post(f"/v1/tasks/{task['id']}/applications", headers=gabi)).json()
        await http.post(f"/v1/applications/{applied['id']}/accept", headers=coordinator)
        [line] = (await http.get("/v1/me/occurrences", headers=gabi)).json()
        today = datetime.now(WARSAW).date().isoformat()
        logged = await http.post(
            f"/v1/assignments/{line['assignment_id']}/hours",
            json={"hours": "2.5", "worked_on": today},
            headers=gabi,
        )
        assert logged.status_code == 201
        desk = {
            "x-kiosk-token": (
                await http.post("/v1/branches/wola-12/kiosk", headers=coordinator)
            ).json()["token"]
        }
        for expected in ("in", "out"):
            done = await http.post("/v1/kiosk/check-ins", json={"code": line["code"]}, headers=desk)
            assert done.json()["action"] == expected
        assert done.json()["hours"] == "2.50"
        entries = (await http.get(f"/v1/tasks/{task['id']}/hours", headers=coordinator)).json()
        assert [(entry["logged_by"], entry["id"]) for entry in entries] == [
            ("volunteer", logged.json()["id"])
        ]


async def test_a_coordinator_sees_the_branchs_kiosks_and_revokes_a_lost_one(
    platform: TestPlatform,
) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        scene = await branch_scene(platform, http, "filip")
        anna, filip = scene.coordinator, scene.people["filip"]
        colleague = bearer(platform.token("coordinator", branches=("wola-12",)))
        other = bearer(platform.token("coordinator", branches=("ochota-3",)))
        await scene.place(await scene.task(schedule=today_shift()), "filip")
        [line] = (await http.get("/v1/me/occurrences", headers=filip)).json()

        opened = await http.post(
            "/v1/branches/wola-12/kiosk",
            json={"device": "Tablet przy wypożyczalni", "opened_by": "Anna"},
            headers=anna,
        )
        assert opened.status_code == 201, opened.text
        lost = opened.json()
        desk = (await http.post("/v1/branches/wola-12/kiosk", headers=colleague)).json()
        too_long = await http.post(
            "/v1/branches/wola-12/kiosk", json={"device": "x" * 61}, headers=anna
        )
        assert too_long.status_code == 422
        assert (await http.get("/v1/kiosk", headers={"x-kiosk-token": lost["token"]})).is_success

        listed = await http.get("/v1/branches/wola-12/kiosks", headers=colleague)
        assert [(item["id"], item["state"]) for item in listed.json()] == [
            (desk["session_id"], "open"),
            (lost["session_id"], "open"),
        ]
        mine = listed.json()[1]
        assert (mine["device"], mine["opened_by"]) == ("Tablet przy wypożyczalni", "Anna")
        assert mine["last_used_at"] is not None and listed.json()[0]["last_used_at"] is None
        assert (await http.get("/v1/branches/wola-12/kiosks", headers=other)).status_code == 403
        assert (await http.get("/v1/branches/wola-12/kiosks", headers=filip)).status_code == 403

        # Another branch's coordinator cannot revoke it, nor anyone an unknown kiosk.
        revoke = f"/v1/kiosks/{lost['session_id']}/revoke"
        assert (await http.post(revoke, headers=other)).status_code == 403
        assert (await http.post(f"/v1/kiosks/{uuid.uuid4()}/revoke", headers=anna)).status_code == (
            404
        )
        revoked = await http.post(revoke, json={"revoked_by": "Basia"}, headers=colleague)
        assert revoked.status_code == 200, revoked.text
        assert (revoked.json()["state"], revoked.json()["revoked_by"]) == ("revoked", "Basia")
        again = await http.post(revoke, headers=anna)
        assert again.json()["revoked_at"] == revoked.json()["revoked_at"]

        # The lost tablet is refused at once, and its check-in changes nothing.
        shut = await http.post(
            "/v1/kiosk/check-ins",
            json={"code": line["code"]},
            headers={"x-kiosk-token": lost["token"]},
        )
        assert shut.status_code == 401 and shut.json()["reason"] == "revoked"
        screen = await http.get("/v1/kiosk", headers={"x-kiosk-token": lost["token"]})
        assert screen.status_code == 401 and screen.json()["reason"] == "revoked"
        assert (
            await platform.fetchval(
                "SELECT checked_in_at FROM matching.occurrences WHERE id = $1::uuid", line["id"]
            )
            is None
        )
        # The other kiosk goes on working.
        desk_check = await http.post(
            "/v1/kiosk/check-ins",
            json={"code": line["code"]},
            headers={"x-kiosk-token": desk["token"]},
        )
        assert desk_check.status_code == 200 and desk_check.json()["action"] == "in"
        # Closed at the desk: its own token revokes it, and it opens nothing more.
        at_desk = {"x-kiosk-token": desk["token"]}
        closed = await http.post("/v1/kiosk/close", headers=at_desk)
        assert closed.status_code == 200 and closed.json()["state"] == "revoked"
        assert (await http.get("/v1/kiosk", headers=at_desk)).status_code == 401
        listed = (await http.get("/v1/branches/wola-12/kiosks", headers=anna)).json()
        assert {item["state"] for item in listed} == {"revoked"}
        # A kiosk token of before sessions (no session named) opens nothing.
        secret = matching.settings.proposal_link_secret  # type: ignore[attr-defined]
        bare = sign_link_token(secret, purpose="matching-kiosk", subject="wola-12", lifetime_s=60)
        refused = await http.get("/v1/kiosk", headers={"x-kiosk-token": bare})
        assert refused.status_code == 401 and refused.json()["reason"] == "closed"
