"""Trainers review what branches write: comments, sending back for changes, acceptance; the
documents waiting for review; forum meetings' notes; the city settles a report."""

from __future__ import annotations

import json
from typing import Any

from registry.testing import PROGRAMME, REPORT, Registry

TRAINER: dict[str, Any] = {"role": "trainer", "branches": ("wola-12",), "subject": "kc-ewa"}
COORDINATOR: dict[str, Any] = {
    "role": "coordinator",
    "branches": ("wola-12",),
    "subject": "kc-anna",
}


async def _outbox(registry: Registry) -> list[dict[str, Any]]:
    rows = await registry.platform.fetch("SELECT body FROM registry.outbox ORDER BY seq")
    return [json.loads(row["body"]) for row in rows]


async def test_a_trainer_returns_a_programme_for_changes_then_accepts_it(
    registry: Registry,
) -> None:
    ids = await registry.enrolled_with_team()
    path = f"/v1/enrolments/{ids['enrolment']['id']}"
    await registry.call(
        "POST", f"{path}/stages", json={"stage": "trained", "reached_on": "2019-03-01"}
    )
    await registry.call("PUT", f"{path}/programme", json=PROGRAMME, **COORDINATOR)

    # A draft is not reviewed: nothing to send back or accept, and nothing changes.
    draft_back = await registry.call(
        "POST",
        f"{path}/programme/comments",
        expect=409,
        json={"body": "Proszę dopisać godziny.", "return_for_changes": True},
        **TRAINER,
    )
    assert "only a submitted document goes back for changes" in draft_back["detail"]
    early = await registry.call("POST", f"{path}/programme/accept", expect=409, json={}, **TRAINER)
    assert "only a submitted programme can be accepted" in early["detail"]
    assert await registry.call("GET", f"{path}/programme/comments", **COORDINATOR) == []

    await registry.call("POST", f"{path}/programme/submit", json={}, **COORDINATOR)
    waiting = await registry.call(
        "GET", "/v1/documents/programme", params={"status": "submitted"}, **TRAINER
    )
    assert [row["branch"]["code"] for row in waiting] == ["wola-12"]
    assert waiting[0]["branch"]["address"]
    # Another branch's trainer sees none of it.
    other = await registry.call(
        "GET", "/v1/documents/programme", role="trainer", branches=("ochota-1",), subject="x"
    )
    assert other == []

    back = await registry.call(
        "POST",
        f"{path}/programme/comments",
        expect=201,
        json={"body": "Proszę dopisać opiekę w soboty.", "return_for_changes": True},
        **TRAINER,
    )
    assert (back["author"], back["returned"]) == ("Ewa Trenerska", True)
    assert (await registry.call("GET", f"{path}/programme", **COORDINATOR))["status"] == "draft"
    # The coordinator reads the comment, cannot comment as a reviewer, and submits again.
    seen = await registry.call("GET", f"{path}/programme/comments", **COORDINATOR)
    assert [c["body"] for c in seen] == ["Proszę dopisać opiekę w soboty."]
    await registry.call(
        "POST", f"{path}/programme/comments", expect=403, json={"body": "ok"}, **COORDINATOR
    )
    await registry.call("POST", f"{path}/programme/submit", json={}, **COORDINATOR)
    accepted = await registry.call(
        "POST", f"{path}/programme/accept", json={"accepted_on": "2019-04-20"}, **TRAINER
    )
    assert (accepted["status"], accepted["accepted_on"]) == ("accepted", "2019-04-20")

    facts = [event["type"].rsplit("registry.", 1)[1] for event in await _outbox(registry)]
    assert "document.returned.v1" in facts and "programme.accepted.v1" in facts
    returned = next(e for e in await _outbox(registry) if e["type"].endswith("returned.v1"))
    assert returned["data"]["document"] == "programme" and returned["subject"] == "wola-12"


async def test_an_accepted_report_settles_the_funding_in_an_event(registry: Registry) -> None:
    ids = await registry.enrolled_with_team()
    path = f"/v1/enrolments/{ids['enrolment']['id']}"
    for stage, on in (
        ("trained", "2019-03-01"),
        ("programme_prepared", "2019-04-01"),
        ("recruiting", "2019-05-01"),
        ("volunteers_active", "2019-06-01"),
    ):
        await registry.call("POST", f"{path}/stages", json={"stage": stage, "reached_on": on})
    await registry.call(
        "PUT", f"{path}/report", json={**REPORT, "spent_pln": "4200.00"}, **COORDINATOR
    )
    await registry.call("POST", f"{path}/report/submit", json={}, **COORDINATOR)
    await registry.call(
        "POST",
        f"{path}/report/comments",
        expect=201,
        json={"body": "Brakuje liczby godzin w grudniu.", "return_for_changes": True},
        **TRAINER,
    )
    assert (await registry.call("GET", f"{path}/report", **COORDINATOR))["status"] == "draft"
    await registry.call("POST", f"{path}/report/submit", json={}, **COORDINATOR)
    assert await registry.call(
        "GET", "/v1/documents/report", params={"status": "submitted"}, **TRAINER
    )
    # The trainer reviews; the city office accepts.
    await registry.call("POST", f"{path}/report/accept", expect=403, json={}, **TRAINER)
    await registry.call("POST", f"{path}/report/accept", json={"accepted_on": "2019-12-10"})
    accepted = next(e for e in await _outbox(registry) if e["type"].endswith("report.accepted.v1"))
    assert accepted["data"]["spent_pln"] == "4200.00"
    assert accepted["data"]["funding_pln"] == ids["enrolment"]["funding_pln"]


async def test_a_forum_meeting_keeps_its_notes(registry: Registry) -> None:
    ids = await registry.enrolled_with_team()
    forum = await registry.call(
        "POST",
        f"/v1/editions/{ids['edition']['id']}/modules",
        expect=201,
        json={"kind": "forum", "number": 1, "title": "Forum koordynatorów"},
    )
    meeting = await registry.call(
        "POST",
        f"/v1/modules/{forum['id']}/sessions",
        expect=201,
        json={"held_on": "2019-04-09", "topic": "Wiosna", "place": "Koszykowa 26/28"},
    )
    assert meeting["notes"] is None
    empty = await registry.call(
        "PUT", f"/v1/sessions/{meeting['id']}/notes", expect=422, json={"notes": ""}, **TRAINER
    )
    assert empty["errors"][0]["field"] == "body.notes"
    await registry.call(
        "PUT", f"/v1/sessions/{meeting['id']}/notes", expect=403, json={"notes": "x"}, **COORDINATOR
    )
    kept = await registry.call(
        "PUT",
        f"/v1/sessions/{meeting['id']}/notes",
        json={"notes": "Wymiana doświadczeń z rekrutacji."},
        **TRAINER,
    )
    assert kept["notes"] == "Wymiana doświadczeń z rekrutacji."
    listed = await registry.call("GET", f"/v1/modules/{forum['id']}/sessions", **COORDINATOR)
    assert listed[0]["notes"] == "Wymiana doświadczeń z rekrutacji."
