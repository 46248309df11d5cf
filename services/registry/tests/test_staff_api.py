"""Coordinators, trainers and mentors through the HTTP API, on real Postgres."""

from __future__ import annotations

import json
from typing import Any

from registry import staff
from registry.testing import Registry


async def _person(registry: Registry, kind: str, name: str, email: str, **extra: Any) -> Any:
    return await registry.call(
        "POST", f"/v1/{kind}", expect=201, json={"name": name, "email": email, **extra}
    )


async def test_coordinators_many_per_branch_and_branches_per_person(registry: Registry) -> None:
    for code in ("wola-12", "wola-13"):
        await registry.branch(code)
    anna = await _person(
        registry, "staff", "Anna Żółkiewska", "Anna.Z@example.pl", subject="kc-coordinator-4"
    )
    assert anna["email"] == "anna.z@example.pl"
    piotr = await _person(registry, "staff", "Piotr Nowak", "piotr@example.pl", language="en")
    for code, person in (("wola-12", anna), ("wola-12", piotr), ("wola-13", anna)):
        await registry.call(
            "POST",
            f"/v1/branches/{code}/coordinators",
            expect=201,
            json={"staff_id": person["id"], "assigned_on": "2019-02-01"},
        )
    twice = await registry.call(
        "POST",
        "/v1/branches/wola-12/coordinators",
        expect=409,
        json={"staff_id": anna["id"]},
    )
    assert "Anna Żółkiewska already coordinates volunteers at branch 'wola-12'" in twice["detail"]

    wola12 = await registry.call("GET", "/v1/branches/wola-12/coordinators")
    assert [c["staff"]["name"] for c in wola12] == ["Anna Żółkiewska", "Piotr Nowak"]

    await registry.call("DELETE", f"/v1/branches/wola-12/coordinators/{piotr['id']}", expect=204)
    gone = await registry.call(
        "DELETE", f"/v1/branches/wola-12/coordinators/{piotr['id']}", expect=404
    )
    assert "does not coordinate" in gone["detail"]
    wola12 = await registry.call("GET", "/v1/branches/wola-12/coordinators")
    assert [c["staff"]["name"] for c in wola12] == ["Anna Żółkiewska"]
    # Assigned again later: a new assignment, the history stays.
    await registry.call(
        "POST", "/v1/branches/wola-12/coordinators", expect=201, json={"staff_id": piotr["id"]}
    )
    assert (
        await registry.platform.fetchval("SELECT count(*) FROM registry.coordinator_assignments")
        == 4
    )

    rows = await registry.platform.fetch(
        "SELECT event_type, body FROM registry.outbox WHERE event_type LIKE '%coordinator%' "
        "ORDER BY seq"
    )
    facts = [row["event_type"].rsplit(".", 2)[-2] for row in rows]
    assert facts == ["assigned", "assigned", "assigned", "unassigned", "assigned"]
    # Tokens carry the identity provider's user id: notifications finds the staff id by it.
    assert json.loads(rows[0]["body"])["data"]["subject"] == "kc-coordinator-4"
    unassigned = json.loads(rows[3]["body"])["data"]
    assert unassigned["name"] == "Piotr Nowak" and unassigned["language"] == "en"
    assert unassigned["code"] == "wola-12" and unassigned["subject"] is None
    assert set(unassigned) == {
        "branch_id", "code", "staff_id", "name", "email", "language", "subject"
    }  # fmt: skip


async def test_a_changed_user_id_is_told_to_others(registry: Registry) -> None:
    anna = await _person(registry, "staff", "Anna Nowak", "anna@example.pl")
    ewa = await _person(registry, "trainers", "Ewa Trenerska", "ewa@ngo.example.pl")
    staff_path, trainer_path = f"/v1/staff/{anna['id']}", f"/v1/trainers/{ewa['id']}"
    await registry.call("PATCH", staff_path, json={"subject": "kc-coordinator-4"})
    await registry.call("PATCH", staff_path, json={"subject": "kc-coordinator-4"})  # the same
    await registry.call("PATCH", staff_path, json={"name": "Anna Nowak-Lis"})  # not the user id
    await registry.call("PATCH", staff_path, json={"subject": None})
    await registry.call("PATCH", trainer_path, json={"subject": "kc-trainer-1"})

    rows = await registry.platform.fetch(
        "SELECT event_type, body FROM registry.outbox WHERE event_type LIKE '%subject.changed%' "
        "ORDER BY seq"
    )
    told = [
        (row["event_type"].removeprefix("pl.waw.volunteering.registry."),
         json.loads(row["body"])["data"])
        for row in rows
    ]  # fmt: skip
    assert told == [
        ("staff.subject.changed.v1", {"staff_id": anna["id"], "subject": "kc-coordinator-4"}),
        ("staff.subject.changed.v1", {"staff_id": anna["id"], "subject": None}),
        ("trainer.subject.changed.v1", {"trainer_id": ewa["id"], "subject": "kc-trainer-1"}),
    ]


async def test_trainers_and_mentors_are_assigned_per_edition(registry: Registry) -> None:
    edition = await registry.edition()
    await registry.branch("wola-12")
    await registry.branch("wola-13")
    enrolment = await registry.enrol(edition, "wola-12")
    trainer = await _person(
        registry, "trainers", "Ewa Trenerska", "ewa@ngo.example.pl", organisation="Fundacja Ś",
        subject="kc-trainer-1",
    )  # fmt: skip
    assigned = await registry.call(
        "POST",
        f"/v1/enrolments/{enrolment['id']}/trainers",
        expect=201,
        json={"trainer_id": trainer["id"]},
    )
    assert assigned["assigned_on"]
    again = await registry.call(
        "POST",
        f"/v1/enrolments/{enrolment['id']}/trainers",
        expect=409,
        json={"trainer_id": trainer["id"]},
    )
    assert "already assigned to branch 'wola-12'" in again["detail"]

    own = await _person(registry, "staff", "Koordynatorka Własna", "own@example.pl")
    await registry.call(
        "POST", "/v1/branches/wola-12/coordinators", expect=201, json={"staff_id": own["id"]}
    )
    refused = await registry.call(
        "POST",
        f"/v1/enrolments/{enrolment['id']}/mentors",
        expect=409,
        json={"staff_id": own["id"]},
    )
    assert "cannot also mentor it" in refused["detail"]
    mentor = await _person(registry, "staff", "Mentorka Doświadczona", "mentor@example.pl")
    await registry.call(
        "POST",
        f"/v1/enrolments/{enrolment['id']}/mentors",
        expect=201,
        json={"staff_id": mentor["id"]},
    )
    team = await registry.call("GET", f"/v1/enrolments/{enrolment['id']}/team")
    assert [p["name"] for p in team["coordinators"]] == ["Koordynatorka Własna"]
    assert [p["name"] for p in team["trainers"]] == ["Ewa Trenerska"]
    assert team["trainers"][0]["organisation"] == "Fundacja Ś"
    assert [p["name"] for p in team["mentors"]] == ["Mentorka Doświadczona"]

    event = json.loads(
        await registry.platform.fetchval(
            "SELECT body FROM registry.outbox WHERE event_type LIKE '%trainer.assigned%'"
        )
    )
    assert event["data"]["trainer_id"] == trainer["id"]
    assert event["data"]["edition_id"] == edition["id"]
    assert event["data"]["subject"] == "kc-trainer-1"

    # Not enrolled in an open edition: no trainer.
    withdrawn = await registry.call(
        "POST", f"/v1/enrolments/{enrolment['id']}/withdraw", json={"reason": "Remont"}
    )
    other = await _person(registry, "trainers", "Jan Drugi", "jan@ngo.example.pl")
    refused = await registry.call(
        "POST",
        f"/v1/enrolments/{withdrawn['id']}/trainers",
        expect=409,
        json={"trainer_id": other["id"]},
    )
    assert refused["detail"] == "branch 'wola-12' has withdrawn from edition 2019 (Edycja 2019)"


async def test_people_are_validated_and_unique_by_email(registry: Registry) -> None:
    bad = await registry.call(
        "POST",
        "/v1/staff",
        expect=422,
        json={"name": "", "email": "nope", "phone": "123", "language": "de"},
    )
    assert {e["field"] for e in bad["errors"]} == {
        "body.name",
        "body.email",
        "body.phone",
        "body.language",
    }
    first = await _person(registry, "staff", "Zofia Kowalska", "zofia@example.pl")
    duplicate = await registry.call(
        "POST", "/v1/staff", expect=409, json={"name": "Inna", "email": "ZOFIA@example.pl"}
    )
    assert (
        f"zofia@example.pl already belongs to Zofia Kowalska ({first['id']})"
        in (duplicate["detail"])
    )
    renamed = await registry.call(
        "PATCH", f"/v1/staff/{first['id']}", json={"name": "Zofia Kowalska-Wiśniewska"}
    )
    assert renamed["name"] == "Zofia Kowalska-Wiśniewska"
    listed = await registry.call("GET", "/v1/staff")
    assert listed["total"] == 1


async def test_linked_user_ids_can_be_told_again(registry: Registry) -> None:
    anna = await _person(registry, "staff", "Anna Nowak", "anna@example.pl", subject="kc-anna")
    await _person(registry, "staff", "Piotr Nowak", "piotr@example.pl")  # no account yet
    ewa = await _person(registry, "trainers", "Ewa T", "ewa@ngo.example.pl", subject="kc-ewa")
    async with registry.service.unit_of_work() as uow:
        assert await staff.announce_subjects(uow) == 2

    rows = await registry.platform.fetch(
        "SELECT body FROM registry.outbox WHERE event_type LIKE '%subject.changed%' ORDER BY seq"
    )
    told = {tuple(sorted(json.loads(row["body"])["data"].items())) for row in rows}
    assert told == {
        (("staff_id", anna["id"]), ("subject", "kc-anna")),
        (("subject", "kc-ewa"), ("trainer_id", ewa["id"])),
    }
