"""Branches apply to an edition: the call, the application, the city office's decisions."""

from __future__ import annotations

import json
from typing import Any

from registry.testing import Registry

CALL = {
    "opens_on": "2019-01-01",
    "closes_on": "2019-03-31",
    "criteria": "Oddziały z salą dla dzieci i godzinami popołudniowymi",
    "budget_pln": "10000.00",
}
APPLICATION = {
    "branch_code": "wola-12",
    "motivation": "Chcemy otworzyć czytelnię na popołudniowe czytanie z dziećmi.",
    "team": "Kierowniczka i dwie bibliotekarki",
    "task_types": ["reading_help", "homework_help"],
    "submitted_on": "2019-02-10",
}
COORDINATOR: dict[str, Any] = {"role": "coordinator", "subject": "kc-anna"}
OTHER_COORDINATOR: dict[str, Any] = {"role": "coordinator", "subject": "kc-basia"}


async def _coordinator(registry: Registry, code: str, subject: str, email: str) -> None:
    staff = await registry.call(
        "POST",
        "/v1/staff",
        expect=201,
        json={"name": f"Koordynatorka {code}", "email": email, "subject": subject},
    )
    await registry.call(
        "POST", f"/v1/branches/{code}/coordinators", expect=201, json={"staff_id": staff["id"]}
    )


async def _call(registry: Registry) -> dict[str, Any]:
    edition = await registry.edition()
    await registry.branch("wola-12")
    await registry.branch("mokotow-3")
    await _coordinator(registry, "wola-12", "kc-anna", "anna@example.pl")
    await _coordinator(registry, "mokotow-3", "kc-basia", "basia@example.pl")
    call = await registry.call("PUT", f"/v1/editions/{edition['id']}/call", json=CALL)
    assert call["left_pln"] == "10000.00" and call["granted_pln"] == "0"
    return edition


async def _events(registry: Registry) -> list[tuple[str, dict[str, Any]]]:
    rows = await registry.platform.fetch(
        "SELECT event_type, body FROM registry.outbox ORDER BY seq"
    )
    return [(r["event_type"], json.loads(r["body"])["data"]) for r in rows]


async def test_an_application_asked_to_change_then_accepted_enrols_the_branch(
    registry: Registry,
) -> None:
    edition = await _call(registry)
    path = f"/v1/editions/{edition['id']}/applications"
    application = await registry.call("POST", path, expect=201, json=APPLICATION, **COORDINATOR)
    assert application["status"] == "submitted" and application["branch_code"] == "wola-12"

    asked = await registry.call(
        "POST",
        f"/v1/applications/{application['id']}/request-changes",
        json={"changes": "Proszę opisać, kto poprowadzi dyżury w soboty."},
    )
    assert asked["status"] == "changes_requested"
    assert asked["answer"].startswith("Proszę opisać")
    # Nothing to decide until the branch answers.
    await registry.call(
        "POST",
        f"/v1/applications/{application['id']}/accept",
        expect=409,
        json={"funding_pln": "4000.00"},
    )
    amended = await registry.call(
        "PUT",
        f"/v1/applications/{application['id']}",
        json={
            "motivation": APPLICATION["motivation"],
            "team": "Kierowniczka, dwie bibliotekarki i wolontariusz-senior w soboty",
            "task_types": ["reading_help"],
        },
        **COORDINATOR,
    )
    assert amended["status"] == "submitted" and amended["task_types"] == ["reading_help"]

    accepted = await registry.call(
        "POST",
        f"/v1/applications/{application['id']}/accept",
        json={"funding_pln": "4000.00", "decided_on": "2019-03-01"},
    )
    assert accepted["status"] == "accepted" and accepted["funding_pln"] == "4000.00"
    enrolment = await registry.call("GET", f"/v1/enrolments/{accepted['enrolment_id']}")
    assert enrolment["branch"]["code"] == "wola-12" and enrolment["funding_pln"] == "4000.00"
    call = await registry.call("GET", f"/v1/editions/{edition['id']}/call")
    assert call["granted_pln"] == "4000.00" and call["left_pln"] == "6000.00"

    facts = [
        event_type.removeprefix("pl.waw.volunteering.registry.").removesuffix(".v1")
        for event_type, _ in await _events(registry)
    ]
    assert facts[-5:] == [
        "application.submitted",
        "application.changes_requested",
        "application.submitted",
        "branch.enrolled",
        "application.accepted",
    ]


async def test_a_rejection_keeps_its_reason_and_enrols_nobody(registry: Registry) -> None:
    edition = await _call(registry)
    application = await registry.call(
        "POST",
        f"/v1/editions/{edition['id']}/applications",
        expect=201,
        json=APPLICATION,
        **COORDINATOR,
    )
    rejected = await registry.call(
        "POST",
        f"/v1/applications/{application['id']}/reject",
        json={"reason": "Oddział jest w remoncie do końca roku."},
    )
    assert rejected["status"] == "rejected" and rejected["enrolment_id"] is None
    seen = await registry.call("GET", f"/v1/applications/{application['id']}", **COORDINATOR)
    assert seen["answer"] == "Oddział jest w remoncie do końca roku."
    enrolments = await registry.call("GET", f"/v1/enrolments?edition={edition['id']}")
    assert enrolments["total"] == 0
    [(event_type, data)] = [e for e in await _events(registry) if "rejected" in e[0]]
    assert event_type == "pl.waw.volunteering.registry.application.rejected.v1"
    assert data["reason"] == "Oddział jest w remoncie do końca roku."


async def test_bad_applications_are_refused_and_change_nothing(registry: Registry) -> None:
    edition = await _call(registry)
    path = f"/v1/editions/{edition['id']}/applications"
    late = await registry.call(
        "POST",
        path,
        expect=409,
        json={**APPLICATION, "submitted_on": "2019-04-01"},
        **COORDINATOR,
    )
    assert late["title"] == "Outside the call's dates"
    assert await registry.call("GET", "/v1/applications") == []

    first = await registry.call("POST", path, expect=201, json=APPLICATION, **COORDINATOR)
    second = await registry.call("POST", path, expect=409, json=APPLICATION, **COORDINATOR)
    assert second["title"] == "Already applied"

    too_much = await registry.call(
        "POST",
        f"/v1/applications/{first['id']}/accept",
        expect=409,
        json={"funding_pln": "10000.01"},
    )
    assert too_much["title"] == "Budget exceeded"
    assert "10000.00 PLN left" in too_much["detail"]
    still = await registry.call("GET", f"/v1/applications/{first['id']}")
    assert still["status"] == "submitted" and still["enrolment_id"] is None
    enrolments = await registry.call("GET", f"/v1/enrolments?edition={edition['id']}")
    assert enrolments["total"] == 0

    invalid = await registry.call(
        "POST", path, expect=422, json={**APPLICATION, "task_types": []}, **COORDINATOR
    )
    assert invalid["status"] == 422
    # The budget cannot drop below what is granted.
    await registry.call(
        "POST", f"/v1/applications/{first['id']}/accept", json={"funding_pln": "6000.00"}
    )
    lowered = await registry.call(
        "PUT",
        f"/v1/editions/{edition['id']}/call",
        expect=409,
        json={**CALL, "budget_pln": "5000.00"},
    )
    assert lowered["title"] == "Budget below what was granted"


async def test_another_branchs_coordinator_finds_no_application(registry: Registry) -> None:
    edition = await _call(registry)
    path = f"/v1/editions/{edition['id']}/applications"
    application = await registry.call("POST", path, expect=201, json=APPLICATION, **COORDINATOR)
    await registry.call(
        "GET", f"/v1/applications/{application['id']}", expect=404, **OTHER_COORDINATOR
    )
    await registry.call(
        "PUT",
        f"/v1/applications/{application['id']}",
        expect=404,
        json={k: APPLICATION[k] for k in ("motivation", "team", "task_types")},
        **OTHER_COORDINATOR,
    )
    # Applying for a branch they do not coordinate: no such branch for them.
    await registry.call("POST", path, expect=404, json=APPLICATION, **OTHER_COORDINATOR)
    assert await registry.call("GET", "/v1/applications", **OTHER_COORDINATOR) == []
    own = await registry.call("GET", "/v1/applications", **COORDINATOR)
    assert [a["id"] for a in own] == [application["id"]]
    # Deciding is the city office's.
    await registry.call(
        "POST",
        f"/v1/applications/{application['id']}/accept",
        expect=403,
        json={"funding_pln": "100.00"},
        **COORDINATOR,
    )


async def test_the_budget_sums_what_was_granted_and_what_accepted_reports_spent(
    registry: Registry,
) -> None:
    edition = await _call(registry)
    application = await registry.call(
        "POST",
        f"/v1/editions/{edition['id']}/applications",
        expect=201,
        json=APPLICATION,
        **COORDINATOR,
    )
    accepted = await registry.call(
        "POST", f"/v1/applications/{application['id']}/accept", json={"funding_pln": "4000.00"}
    )
    # A branch the city office enrolled directly counts against the same budget.
    await registry.enrol(edition, "mokotow-3", funding="2500.00")
    enrolment = accepted["enrolment_id"]
    report = {
        "summary": "Rok głośnego czytania",
        "volunteers_count": 6,
        "volunteer_hours": "120.00",
        "spent_pln": "3600.00",
    }
    await registry.call("PUT", f"/v1/enrolments/{enrolment}/report", json=report)
    submitted = await registry.call("POST", f"/v1/enrolments/{enrolment}/report/submit", json={})
    assert submitted["spent_pln"] == "3600.00"

    before = await registry.call("GET", f"/v1/editions/{edition['id']}/budget")
    assert before["budget_pln"] == "10000.00" and before["granted_pln"] == "6500.00"
    assert before["left_pln"] == "3500.00" and before["spent_pln"] == "0.00"

    await registry.call(
        "POST",
        f"/v1/enrolments/{enrolment}/report/accept",
        json={"reason": "Oddział pracował poza cyklem szkoleń"},
    )
    budget = await registry.call("GET", f"/v1/editions/{edition['id']}/budget")
    assert budget["spent_pln"] == "3600.00"
    rows = {row["branch_code"]: row for row in budget["branches"]}
    assert rows["wola-12"]["granted_pln"] == "4000.00" and rows["wola-12"]["settled"] is True
    assert rows["mokotow-3"]["report_status"] is None and rows["mokotow-3"]["settled"] is False
    [(_, event)] = [e for e in await _events(registry) if e[0].endswith("report.submitted.v1")]
    assert event["spent_pln"] == "3600.00"
    await registry.call("GET", f"/v1/editions/{edition['id']}/budget", expect=403, **COORDINATOR)
