"""Shifts by date on the real broker and database: every date of a place is an occurrence,
a date given up goes to that date's waitlist, attendance is marked per date, and each
change is announced as ``shift.*.v1``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from icalendar import Calendar

from shared.testing.platform import TestPlatform, eventually
from tests.matching_scene import branch_scene
from tests.test_matching_support import (
    TASK_DAY,
    WARSAW,
    bearer,
    branch,
    client,
    enrol_branch,
    one_off_task,
    publish_registry,
    register_volunteers,
    registry_event,
    wait_enrolled,
)

WEEKLY = {
    "kind": "recurring",
    "first_day": TASK_DAY.isoformat(),
    "start": "10:00",
    "end": "12:00",
    "rrule": "FREQ=WEEKLY;COUNT=3",
}
DAYS = [(TASK_DAY + timedelta(weeks=week)).isoformat() for week in range(3)]
PAST_SHIFT = {"kind": "one_off", "first_day": "2026-11-20", "start": "10:00", "end": "12:00"}


async def shift_events(platform: TestPlatform) -> list[tuple[str, dict[str, Any]]]:
    rows = await platform.fetch(
        "SELECT event_type, convert_from(body, 'UTF8') AS body FROM matching.outbox"
        " WHERE event_type LIKE '%.shift.%' ORDER BY seq"
    )
    return [(row["event_type"].rsplit(".", 2)[-2], json.loads(row["body"])["data"]) for row in rows]


async def test_each_date_has_its_places_waitlist_and_attendance(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        ids = await register_volunteers(platform, "anna", "bartek", "celina")
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        anna, bartek, celina = (
            bearer(platform.token("volunteer", subject=ids[name]))
            for name in ("anna", "bartek", "celina")
        )
        body = one_off_task(schedule=WEEKLY, places=1)
        task = (await http.post("/v1/tasks", json=body, headers=coordinator)).json()
        applied = (await http.post(f"/v1/tasks/{task['id']}/applications", headers=anna)).json()
        accepted = await http.post(f"/v1/applications/{applied['id']}/accept", headers=coordinator)
        assert accepted.status_code == 200, accepted.text
        waiting = (await http.post(f"/v1/tasks/{task['id']}/applications", headers=bartek)).json()
        assert waiting["status"] == "waitlisted"

        mine = (await http.get("/v1/me/occurrences", headers=anna)).json()
        assert [line["occurrence_date"] for line in mine] == DAYS
        assert {line["state"] for line in mine} == {"planned"}
        assert all(len(line["code"]) == 6 for line in mine)
        assert mine[0]["branch"]["name"] == "Biblioteka dla Dzieci i Młodzieży wola-12"

        # "I can't come this time" for the second date: it goes to that date's waitlist.
        second = mine[1]["id"]
        foreign = await http.post(f"/v1/occurrences/{second}/excuse", headers=celina)
        assert foreign.status_code == 404
        excused = await http.post(f"/v1/occurrences/{second}/excuse", headers=anna)
        assert excused.status_code == 200 and excused.json()["state"] == "excused"
        again = await http.post(f"/v1/occurrences/{second}/excuse", headers=anna)
        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"
        given = (await http.get("/v1/me/occurrences", headers=bartek)).json()
        assert [(line["occurrence_date"], line["state"]) for line in given] == [
            (DAYS[1], "planned")
        ]
        # Bartek still waits for the whole series: his application is waitlisted.
        listed = (
            await http.get(f"/v1/tasks/{task['id']}/applications", headers=coordinator)
        ).json()
        assert {item["status"] for item in listed} == {"accepted", "waitlisted"}

        roster = (await http.get(f"/v1/tasks/{task['id']}/occurrences", headers=coordinator)).json()
        assert [(day["occurrence_date"], day["taken"], day["places"]) for day in roster] == [
            (DAYS[0], 1, 1),
            (DAYS[1], 1, 1),
            (DAYS[2], 1, 1),
        ]
        assert sorted((line["name"], line["state"]) for line in roster[1]["shifts"]) == [
            ("Zofia Kowalska-Nowak", "excused"),
            ("Zofia Kowalska-Nowak", "planned"),
        ]

        # Attendance is marked per date, not ahead of it, and only as one of its states.
        early = await http.post(
            f"/v1/occurrences/{mine[0]['id']}/attendance",
            json={"state": "attended"},
            headers=coordinator,
        )
        assert early.status_code == 409 and "attendance is marked from" in early.json()["detail"]
        wrong = await http.post(
            f"/v1/occurrences/{mine[0]['id']}/attendance",
            json={"state": "planned"},
            headers=coordinator,
        )
        assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "body.state"
        by_volunteer = await http.post(
            f"/v1/occurrences/{mine[0]['id']}/attendance",
            json={"state": "attended"},
            headers=anna,
        )
        assert by_volunteer.status_code == 403

        # Anna gives up the whole place: her planned dates are cancelled and Bartek, first on
        # the waitlist, takes the series (he keeps the date he already had).
        assignment = mine[0]["assignment_id"]
        cancelled = await http.post(f"/v1/assignments/{assignment}/cancel", headers=anna)
        assert cancelled.status_code == 200
        series = (await http.get("/v1/me/occurrences", headers=bartek)).json()
        assert [(line["occurrence_date"], line["state"]) for line in series] == [
            (DAYS[0], "planned"),
            (DAYS[1], "planned"),
            (DAYS[2], "planned"),
        ]
        assert len({line["assignment_id"] for line in series}) == 1
        places = (await http.get(f"/v1/tasks/{task['id']}/assignments", headers=coordinator)).json()
        assert sorted(item["status"] for item in places) == ["cancelled", "confirmed"]

        # A date removed from the series is cancelled for whoever was on it.
        shorter = {**body, "schedule": {**WEEKLY, "rrule": "FREQ=WEEKLY;COUNT=2"}}
        changed = await http.put(f"/v1/tasks/{task['id']}", json=shorter, headers=coordinator)
        assert changed.status_code == 200, changed.text
        after = (await http.get("/v1/me/occurrences", headers=bartek)).json()
        assert [line["state"] for line in after] == ["planned", "planned", "cancelled"]
        # Put back, the date is his again (the same occurrence, planned once more).
        restored = await http.put(f"/v1/tasks/{task['id']}", json=body, headers=coordinator)
        assert restored.status_code == 200
        again = (await http.get("/v1/me/occurrences", headers=bartek)).json()
        assert [line["state"] for line in again] == ["planned", "planned", "planned"]
        assert again[2]["id"] == after[2]["id"]

    events = await shift_events(platform)
    anna_id, bartek_id = ids["anna"], ids["bartek"]
    assert [(fact, data["volunteer_id"], data["occurrence_date"]) for fact, data in events] == [
        ("planned", anna_id, DAYS[0]),
        ("planned", anna_id, DAYS[1]),
        ("planned", anna_id, DAYS[2]),
        ("excused", anna_id, DAYS[1]),
        ("planned", bartek_id, DAYS[1]),
        ("promoted", bartek_id, DAYS[1]),
        ("cancelled", anna_id, DAYS[0]),
        ("cancelled", anna_id, DAYS[2]),
        ("planned", bartek_id, DAYS[0]),
        ("planned", bartek_id, DAYS[2]),
        ("cancelled", bartek_id, DAYS[2]),
        ("planned", bartek_id, DAYS[2]),
    ]
    first = events[0][1]
    assert first["branch_code"] == "wola-12" and first["task_id"] == task["id"]
    assert first["starts_at"].startswith(DAYS[0]) and first["ends_at"] is not None
    # Both Bartek's dates belong to one assignment, the one the series was confirmed in.
    assert events[4][1]["assignment_id"] == events[8][1]["assignment_id"]


async def test_a_date_given_from_the_waitlist_is_declined_not_excused(
    platform: TestPlatform,
) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        scene = await branch_scene(platform, http, "anna", "bartek", "celina")
        ids, coordinator = scene.ids, scene.coordinator
        anna, bartek, celina = (scene.people[name] for name in ("anna", "bartek", "celina"))
        task = await scene.task(schedule=WEEKLY, places=1)
        await scene.place(task, "anna")
        for waiting in ("bartek", "celina"):
            await scene.apply(task, waiting)
        mine = (await http.get("/v1/me/occurrences", headers=anna)).json()
        await http.post(f"/v1/occurrences/{mine[1]['id']}/excuse", headers=anna)

        # Bartek, first on the waitlist, is given the date; he never asked for it alone, so
        # turning it down is declining it: Celina gets it, and his application still waits.
        [given] = (await http.get("/v1/me/occurrences", headers=bartek)).json()
        assert given["from_waitlist"] is True and mine[0]["from_waitlist"] is False
        declined = await http.post(f"/v1/occurrences/{given['id']}/excuse", headers=bartek)
        assert declined.status_code == 200 and declined.json()["state"] == "declined"
        again = await http.post(f"/v1/occurrences/{given['id']}/excuse", headers=bartek)
        assert again.status_code == 409
        [hers] = (await http.get("/v1/me/occurrences", headers=celina)).json()
        assert (hers["occurrence_date"], hers["state"]) == (DAYS[1], "planned")
        listed = (
            await http.get(f"/v1/tasks/{task['id']}/applications", headers=coordinator)
        ).json()
        assert sorted(item["status"] for item in listed) == ["accepted", "waitlisted", "waitlisted"]
        # A declined date is no absence: the coordinator cannot mark it.
        marked = await http.post(
            f"/v1/occurrences/{given['id']}/attendance",
            json={"state": "absent"},
            headers=coordinator,
        )
        assert marked.status_code == 409
        roster = (await http.get(f"/v1/tasks/{task['id']}/occurrences", headers=coordinator)).json()
        assert sorted(line["state"] for line in roster[1]["shifts"]) == [
            "declined",
            "excused",
            "planned",
        ]
        assert roster[1]["taken"] == 1

    facts = [(fact, data["volunteer_id"]) for fact, data in await shift_events(platform)][3:]
    assert facts == [
        ("excused", ids["anna"]),
        ("planned", ids["bartek"]),
        ("promoted", ids["bartek"]),
        ("declined", ids["bartek"]),
        ("planned", ids["celina"]),
        ("promoted", ids["celina"]),
    ]


async def test_a_flexible_task_has_one_date_without_a_time(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        ids = await register_volunteers(platform, "dorota")
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        dorota = bearer(platform.token("volunteer", subject=ids["dorota"]))
        last = TASK_DAY + timedelta(days=20)
        flexible = {
            "kind": "flexible",
            "first_day": TASK_DAY.isoformat(),
            "last_day": last.isoformat(),
            "hours": "15",
        }
        body = one_off_task(schedule=flexible)
        task = (await http.post("/v1/tasks", json=body, headers=coordinator)).json()
        applied = (await http.post(f"/v1/tasks/{task['id']}/applications", headers=dorota)).json()
        await http.post(f"/v1/applications/{applied['id']}/accept", headers=coordinator)
        [line] = (await http.get("/v1/me/occurrences", headers=dorota)).json()
        assert (line["occurrence_date"], line["until"]) == (TASK_DAY.isoformat(), last.isoformat())
        assert line["starts_at"] is None and line["ends_at"] is None
    [(fact, data)] = await shift_events(platform)
    assert fact == "planned" and data["starts_at"] is None and data["ends_at"] is None


async def test_the_branch_says_where_it_is_and_finished_tasks_are_not_open(
    platform: TestPlatform,
) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        ids = await register_volunteers(platform, "ewa")
        await wait_enrolled(platform, "wola-12")
        place = {
            **branch("wola-12"),
            "address": "ul. Młynarska 35a, 01-205 Warszawa",
            "opening_hours": [{"day": "mon", "opens": "10:00", "closes": "19:00"}],
        }
        await publish_registry(platform, registry_event("branch.updated.v1", place))

        async def known() -> bool:
            address = await platform.fetchval(
                "SELECT address FROM matching.branches WHERE code = 'wola-12'"
            )
            return address is not None

        await eventually(known, message="the branch's address in matching")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        ewa = bearer(platform.token("volunteer", subject=ids["ewa"]))
        task = (await http.post("/v1/tasks", json=one_off_task(), headers=coordinator)).json()
        applied = (await http.post(f"/v1/tasks/{task['id']}/applications", headers=ewa)).json()
        await http.post(f"/v1/applications/{applied['id']}/accept", headers=coordinator)
        [line] = (await http.get("/v1/me/occurrences", headers=ewa)).json()
        assert line["branch"]["address"] == "ul. Młynarska 35a, 01-205 Warszawa"
        assert line["branch"]["opening_hours"] == [
            {"day": "mon", "opens": "10:00", "closes": "19:00"}
        ]
        assert line["branch"]["map_url"] == (
            "https://mapa.um.warszawa.pl/?q=ul.%20M%C5%82ynarska%2035a%2C%2001-205%20Warszawa"
        )
        place = (await http.get("/v1/branches/wola-12/place", headers=ewa)).json()
        assert place == line["branch"]
        unknown = await http.get("/v1/branches/nowhere-1/place", headers=ewa)
        assert unknown.status_code == 404

        past = (
            await http.post(
                "/v1/tasks", json=one_off_task(schedule=PAST_SHIFT), headers=coordinator
            )
        ).json()
        assert past["finished"] is True and task["finished"] is False
        open_ids = [
            item["id"]
            for item in (
                await http.get("/v1/tasks", params={"status": "published"}, headers=ewa)
            ).json()
        ]
        assert task["id"] in open_ids and past["id"] not in open_ids
        finished = (
            await http.get("/v1/tasks", params={"status": "finished"}, headers=coordinator)
        ).json()
        assert [item["id"] for item in finished] == [past["id"]]


async def test_the_coordinator_marks_today_and_an_excused_date_goes_to_its_waitlist(
    platform: TestPlatform,
) -> None:
    today = datetime.now(WARSAW).date().isoformat()
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        ids = await register_volunteers(platform, "gosia", "henryk")
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        other = bearer(platform.token("coordinator", branches=("ochota-3",)))
        gosia, henryk = (
            bearer(platform.token("volunteer", subject=ids[name])) for name in ("gosia", "henryk")
        )
        schedule = {"kind": "one_off", "first_day": today, "start": "00:00", "end": "23:59"}
        body = one_off_task(schedule=schedule, places=1)
        task = (await http.post("/v1/tasks", json=body, headers=coordinator)).json()
        first = (await http.post(f"/v1/tasks/{task['id']}/applications", headers=gosia)).json()
        await http.post(f"/v1/applications/{first['id']}/accept", headers=coordinator)
        await http.post(f"/v1/tasks/{task['id']}/applications", headers=henryk)
        [hers] = (await http.get("/v1/me/occurrences", headers=gosia)).json()
        url = f"/v1/occurrences/{hers['id']}/attendance"

        foreign = await http.post(url, json={"state": "excused"}, headers=other)
        assert foreign.status_code == 403
        excused = await http.post(url, json={"state": "excused"}, headers=coordinator)
        assert excused.status_code == 200 and excused.json()["state"] == "excused"
        [his] = (await http.get("/v1/me/occurrences", headers=henryk)).json()
        assert (his["occurrence_date"], his["state"]) == (today, "planned")

        there = f"/v1/occurrences/{his['id']}/attendance"
        came = await http.post(there, json={"state": "attended"}, headers=coordinator)
        assert came.json()["state"] == "attended"
        same = await http.post(there, json={"state": "attended"}, headers=coordinator)
        assert same.status_code == 200  # marking again changes nothing
        corrected = await http.post(there, json={"state": "absent"}, headers=coordinator)
        assert corrected.json()["state"] == "absent"
        [day] = (await http.get(f"/v1/tasks/{task['id']}/occurrences", headers=coordinator)).json()
        assert (day["taken"], day["places"]) == (1, 1)

    facts = [(fact, data["volunteer_id"]) for fact, data in await shift_events(platform)]
    assert facts == [
        ("planned", ids["gosia"]),
        ("excused", ids["gosia"]),
        ("planned", ids["henryk"]),
        ("promoted", ids["henryk"]),
        ("attended", ids["henryk"]),
        ("absent", ids["henryk"]),
    ]


async def test_a_date_given_up_no_longer_clashes_with_another_task(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        ids = await register_volunteers(platform, "irena")
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        irena = bearer(platform.token("volunteer", subject=ids["irena"]))
        weekly = (
            await http.post("/v1/tasks", json=one_off_task(schedule=WEEKLY), headers=coordinator)
        ).json()
        overlapping = {"kind": "one_off", "first_day": DAYS[1], "start": "11:00", "end": "13:00"}
        other = (
            await http.post(
                "/v1/tasks", json=one_off_task(schedule=overlapping), headers=coordinator
            )
        ).json()
        for task in (weekly, other):
            await http.post(f"/v1/tasks/{task['id']}/applications", headers=irena)
        applications = {
            task["id"]: (
                await http.get(f"/v1/tasks/{task['id']}/applications", headers=coordinator)
            ).json()[0]["id"]
            for task in (weekly, other)
        }
        first = await http.post(
            f"/v1/applications/{applications[weekly['id']]}/accept", headers=coordinator
        )
        assert first.status_code == 200
        clash = await http.post(
            f"/v1/applications/{applications[other['id']]}/accept", headers=coordinator
        )
        assert clash.status_code == 409 and clash.json()["title"] == "Double booking"
        assert "Głośne czytanie" in clash.json()["clash"]

        mine = (await http.get("/v1/me/occurrences", headers=irena)).json()
        [second] = [line for line in mine if line["occurrence_date"] == DAYS[1]]
        await http.post(f"/v1/occurrences/{second['id']}/excuse", headers=irena)
        free = await http.post(
            f"/v1/applications/{applications[other['id']]}/accept", headers=coordinator
        )
        assert free.status_code == 200, free.text


async def test_the_calendar_feed_follows_the_dates_held(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        ids = await register_volunteers(platform, "jola")
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        jola = bearer(platform.token("volunteer", subject=ids["jola"]))
        task = (
            await http.post("/v1/tasks", json=one_off_task(schedule=WEEKLY), headers=coordinator)
        ).json()
        applied = (await http.post(f"/v1/tasks/{task['id']}/applications", headers=jola)).json()
        await http.post(f"/v1/applications/{applied['id']}/accept", headers=coordinator)
        mine = (await http.get("/v1/me/occurrences", headers=jola)).json()
        await http.post(f"/v1/occurrences/{mine[1]['id']}/excuse", headers=jola)

        link = (await http.post("/v1/me/calendar-feed", headers=jola)).json()["url"]
        events = Calendar.from_ical((await http.get(link)).content).walk("VEVENT")
        assert [event.decoded("dtstart").date().isoformat() for event in events] == [
            DAYS[0],
            DAYS[2],
        ]
        assert [str(event["uid"]).split("@")[0] for event in events] == [
            mine[0]["id"],
            mine[2]["id"],
        ]
        assert str(events[0]["location"]) == "Biblioteka dla Dzieci i Młodzieży wola-12"
