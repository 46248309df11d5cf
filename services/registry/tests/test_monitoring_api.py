"""A branch's year: training, programme, stages, visits and report, through the HTTP API."""

from __future__ import annotations

import json
from typing import Any

from registry.testing import PROGRAMME, REPORT, Registry


async def _setup(registry: Registry) -> dict[str, Any]:
    return await registry.enrolled_with_team()


async def test_attending_every_module_trains_the_branch(registry: Registry) -> None:
    ids = await _setup(registry)
    edition, enrolment, staff = ids["edition"], ids["enrolment"], ids["staff"]
    modules = [
        await registry.call(
            "POST",
            f"/v1/editions/{edition['id']}/modules",
            expect=201,
            json={"kind": kind, "number": number, "title": title},
        )
        for kind, number, title in (
            ("module", 1, "Czym jest wolontariat w bibliotece"),
            ("module", 2, "Rekrutacja i opieka nad wolontariuszami"),
            ("forum", 1, "Forum koordynatorów: wiosna"),
        )
    ]
    sessions = [
        await registry.call(
            "POST",
            f"/v1/modules/{module['id']}/sessions",
            expect=201,
            json={
                "held_on": f"2019-03-0{n + 1}",
                "trainer_id": ids["trainer"]["id"],
                "topic": module["title"],
                "place": "Biblioteka na Koszykowej, sala 2",
            },
        )
        for n, module in enumerate(modules)
    ]
    attend = {"branch_code": "wola-12", "staff_id": staff["id"]}
    after_forum = await registry.call(
        "POST", f"/v1/sessions/{sessions[2]['id']}/attendance", expect=201, json=attend
    )
    after_first = await registry.call(
        "POST", f"/v1/sessions/{sessions[0]['id']}/attendance", expect=201, json=attend
    )
    assert after_forum["stage"] is None and after_first["stage"] is None
    progress = await registry.call("GET", f"/v1/enrolments/{enrolment['id']}/training")
    assert progress["trained"] is False
    assert [m["number"] for m in progress["missing"]] == [2]
    twice = await registry.call(
        "POST", f"/v1/sessions/{sessions[0]['id']}/attendance", expect=409, json=attend
    )
    assert "already recorded" in twice["detail"]

    after_all = await registry.call(
        "POST", f"/v1/sessions/{sessions[1]['id']}/attendance", expect=201, json=attend
    )
    assert (after_all["stage"], after_all["stage_reached_on"]) == ("trained", "2019-03-02")
    listed = await registry.call("GET", f"/v1/sessions/{sessions[1]['id']}/attendance")
    assert [(a["branch_code"], a["staff_name"]) for a in listed] == [("wola-12", "Anna Kowalska")]


async def test_stages_move_in_order_and_every_document_moves_them(registry: Registry) -> None:
    ids = await _setup(registry)
    enrolment = ids["enrolment"]
    path = f"/v1/enrolments/{enrolment['id']}"

    skipped = await registry.call(
        "POST",
        f"{path}/stages",
        expect=409,
        json={"stage": "recruiting", "reached_on": "2019-03-01"},
    )
    assert skipped["title"] == "Reason required"
    assert "the next stage is 'trained'" in skipped["detail"]
    await registry.call(
        "POST", f"{path}/stages", json={"stage": "trained", "reached_on": "2019-03-01"}
    )

    # The coordinator of the branch writes and submits the programme.
    coordinator: dict[str, Any] = {
        "role": "coordinator",
        "branches": ("wola-12",),
        "subject": "kc-anna",
    }
    missing = await registry.call(
        "POST", f"{path}/programme/submit", expect=409, json={}, **coordinator
    )
    assert "no volunteer programme yet" in missing["detail"]
    saved = await registry.call("PUT", f"{path}/programme", json=PROGRAMME, **coordinator)
    assert saved["status"] == "draft" and saved["spaces"] == PROGRAMME["spaces"]
    submitted = await registry.call(
        "POST", f"{path}/programme/submit", json={"submitted_on": "2019-04-10"}, **coordinator
    )
    assert submitted["status"] == "submitted"
    current = await registry.call("GET", path)
    assert (current["stage"], current["stage_reached_on"]) == ("programme_prepared", "2019-04-10")

    await registry.call(
        "POST", f"{path}/stages", json={"stage": "recruiting", "reached_on": "2019-05-01"}
    )
    back = await registry.call(
        "POST", f"{path}/stages", expect=409, json={"stage": "trained", "reached_on": "2019-05-02"}
    )
    assert "moving back from 'recruiting' to 'trained' needs a reason" in back["detail"]
    earlier = await registry.call(
        "POST",
        f"{path}/stages",
        expect=409,
        json={"stage": "volunteers_active", "reached_on": "2019-04-30"},
    )
    assert "before the current stage 'recruiting' was reached on 2019-05-01" in earlier["detail"]
    await registry.call(
        "POST", f"{path}/stages", json={"stage": "volunteers_active", "reached_on": "2019-06-01"}
    )

    # The trainer records a visit as themself (their token's user id is on their record).
    trainer: dict[str, Any] = {"role": "trainer", "branches": ("wola-12",), "subject": "kc-ewa"}
    visit = await registry.call(
        "POST",
        f"{path}/visits",
        expect=201,
        json={
            "visited_on": "2019-06-15",
            "notes": "Wolontariusze prowadzą zajęcia; świetna atmosfera.",
            "next_steps": "Dodać dyżury w soboty",
            "follow_up_on": "2019-09-15",
        },
        **trainer,
    )
    assert visit["trainer_id"] == ids["trainer"]["id"] and visit["branch_code"] == "wola-12"
    updated = await registry.call(
        "PATCH", f"/v1/visits/{visit['id']}", json={"follow_up_on": "2019-10-01"}, **trainer
    )
    assert updated["follow_up_on"] == "2019-10-01"
    bad_date = await registry.call(
        "PATCH", f"/v1/visits/{visit['id']}", expect=409, json={"follow_up_on": "2019-01-01"}
    )
    assert "must not be before the visit" in bad_date["detail"]
    stranger = await registry.call(
        "POST", "/v1/trainers", expect=201, json={"name": "Obcy Trener", "email": "o@ngo.pl"}
    )
    unassigned = await registry.call(
        "POST",
        f"{path}/visits",
        expect=409,
        json={"visited_on": "2019-06-16", "notes": "x", "trainer_id": stranger["id"]},
    )
    assert "Obcy Trener is not assigned to branch 'wola-12'" in unassigned["detail"]
    visits = await registry.call("GET", "/v1/visits", params={"edition": ids["edition"]["id"]})
    assert [v["id"] for v in visits["items"]] == [visit["id"]]

    # The coordinator reports; the city accepts; the branch is evaluated.
    await registry.call("PUT", f"{path}/report", json=REPORT, **coordinator)
    report = await registry.call(
        "POST", f"{path}/report/submit", json={"submitted_on": "2019-12-01"}, **coordinator
    )
    assert report["status"] == "submitted" and report["volunteer_hours"] == "340.50"
    accepted = await registry.call(
        "POST", f"{path}/report/accept", json={"accepted_on": "2019-12-10"}
    )
    assert accepted["status"] == "accepted"
    final = await registry.call("GET", path)
    assert (final["stage"], final["stage_reached_on"]) == ("evaluated", "2019-12-10")
    history = await registry.call("GET", f"{path}/stages")
    assert [(h["stage"], h["reached_on"]) for h in history] == [
        ("trained", "2019-03-01"),
        ("programme_prepared", "2019-04-10"),
        ("recruiting", "2019-05-01"),
        ("volunteers_active", "2019-06-01"),
        ("evaluated", "2019-12-10"),
    ]

    rows = await registry.platform.fetch(
        "SELECT event_type, body FROM registry.outbox ORDER BY seq"
    )
    facts = [row["event_type"].removeprefix("pl.waw.volunteering.registry.") for row in rows]
    assert [f for f in facts if f.startswith(("programme", "visit", "report"))] == [
        "programme.submitted.v1",
        "visit.recorded.v1",
        "report.submitted.v1",
        "report.accepted.v1",
    ]
    reached = [json.loads(r["body"])["data"]["stage"] for r in rows if "stage" in r["event_type"]]
    assert reached == [
        "trained",
        "programme_prepared",
        "recruiting",
        "volunteers_active",
        "evaluated",
    ]
    visit_event = next(json.loads(r["body"]) for r in rows if "visit" in r["event_type"])
    assert visit_event["data"]["follow_up_on"] == "2019-09-15"
    assert "notes" not in visit_event["data"]


async def test_moving_back_with_a_reason_is_recorded(registry: Registry) -> None:
    ids = await _setup(registry)
    path = f"/v1/enrolments/{ids['enrolment']['id']}"
    await registry.call(
        "POST",
        f"{path}/stages",
        json={"stage": "recruiting", "reached_on": "2019-03-01", "reason": "Przeszkoleni w 2018"},
    )
    await registry.call(
        "POST",
        f"{path}/stages",
        json={"stage": "trained", "reached_on": "2019-04-01", "reason": "Nowa koordynatorka"},
    )
    history = await registry.call("GET", f"{path}/stages")
    assert [(h["previous_stage"], h["stage"], h["reason"]) for h in history] == [
        (None, "recruiting", "Przeszkoleni w 2018"),
        ("recruiting", "trained", "Nowa koordynatorka"),
    ]
