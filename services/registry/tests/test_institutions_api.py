"""Districts, branches, editions and enrolments through the HTTP API, on real Postgres."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

from registry.testing import Registry

STASZIC = "Biblioteka Publiczna im. Stanisława Staszica"


async def test_the_migration_loads_the_18_districts_and_their_libraries(registry: Registry) -> None:
    districts = await registry.call("GET", "/v1/districts")
    assert len(districts) == 18
    by_slug = {d["slug"]: d for d in districts}
    assert by_slug["zoliborz"]["name"] == "Żoliborz"
    assert by_slug["bielany"]["district_library"].startswith(STASZIC)
    organisations = await registry.call("GET", "/v1/organisations")
    assert len(organisations) == 18


async def test_polish_characters_survive_every_round_trip(registry: Registry) -> None:
    created = await registry.branch(
        "bielany-1",
        name=STASZIC,
        address="ul. Żeromskiego 2, 01-842 Warszawa",
        contact_name="Małgorzata Źdźbło-Łęcka",
    )
    assert created["name"] == STASZIC
    assert created["district_library"].startswith(STASZIC)
    read = await registry.call("GET", "/v1/branches/bielany-1")
    assert (read["name"], read["address"], read["contact_name"]) == (
        STASZIC,
        "ul. Żeromskiego 2, 01-842 Warszawa",
        "Małgorzata Źdźbło-Łęcka",
    )
    listed = await registry.call("GET", "/v1/branches", params={"district": "bielany"})
    assert [b["name"] for b in listed["items"]] == [STASZIC]
    # The same address typed with a decomposed "Ż" (Z + combining dot above) is stored
    # composed (NFC): it is the same address, so nothing changes and no update goes out.
    address = "ul. Żeromskiego 2, 01-842 Warszawa"
    decomposed = address.replace("Ż", "Z\u0307")
    assert decomposed != address
    same = await registry.call("PATCH", "/v1/branches/bielany-1", json={"address": decomposed})
    assert same["address"] == address
    assert await registry.platform.fetchval("SELECT address FROM registry.branches") == address
    # And in the event other services read.
    bodies = [
        json.loads(row["body"])
        for row in await registry.platform.fetch("SELECT body FROM registry.outbox ORDER BY seq")
    ]
    assert [b["data"]["name"] for b in bodies] == [STASZIC]


async def test_a_branch_is_registered_read_updated_and_listed(registry: Registry) -> None:
    created = await registry.branch(
        "wola-12",
        opening_hours=[
            {"weekday": 6, "opens": "10:00", "closes": "15:00"},
            {"weekday": 1, "opens": "12:00", "closes": "19:00"},
        ],
        volunteer_spaces=4,
        contact_email="wola12@example.pl",
        contact_phone="+48 22 123 45 67",
    )
    assert created["code"] == "wola-12"
    assert created["institution_type"] == "library_branch"
    assert created["district_library"] == "Biblioteka Publiczna w Dzielnicy Wola m.st. Warszawy"
    assert [h["weekday"] for h in created["opening_hours"]] == [1, 6]
    assert created["contact_phone"] == "+48221234567"
    by_id = await registry.call("GET", f"/v1/branches/{created['id']}")
    assert by_id["code"] == "wola-12"

    updated = await registry.call(
        "PATCH", "/v1/branches/wola-12", json={"volunteer_spaces": 6, "address": "ul. Nowa 5"}
    )
    assert (updated["volunteer_spaces"], updated["address"]) == (6, "ul. Nowa 5")
    # The same change again is no change: no second event.
    await registry.call("PATCH", "/v1/branches/wola-12", json={"volunteer_spaces": 6})
    types = [
        row["event_type"]
        for row in await registry.platform.fetch(
            "SELECT event_type FROM registry.outbox ORDER BY seq"
        )
    ]
    assert types == [
        "pl.waw.volunteering.registry.branch.registered.v1",
        "pl.waw.volunteering.registry.branch.updated.v1",
    ]
    # Matching and notifications read the opening hours from the events, weekdays by name.
    payloads = await registry.platform.fetch(
        "SELECT body FROM registry.outbox ORDER BY seq LIMIT 1"
    )
    assert json.loads(payloads[0]["body"])["data"]["opening_hours"] == [
        {"day": "mon", "opens": "12:00", "closes": "19:00"},
        {"day": "sat", "opens": "10:00", "closes": "15:00"},
    ]


async def test_branch_validation_says_what_to_fix(registry: Registry) -> None:
    problem = await registry.call(
        "POST",
        "/v1/branches",
        expect=422,
        json={
            "code": "Wola 12!",
            "name": "",
            "district": "atlantyda",
            "address": "x" * 301,
            "opening_hours": [{"weekday": 8, "opens": "19:00", "closes": "10:00"}],
            "contact_email": "not-an-email",
        },
    )
    fields = {error["field"] for error in problem["errors"]}
    assert {
        "body.code",
        "body.name",
        "body.district",
        "body.address",
        "body.opening_hours.0.weekday",
        "body.contact_email",
    } <= fields
    messages = " ".join(error["message"] for error in problem["errors"])
    assert "like 'wola-12'" in messages
    assert "unknown district 'atlantyda'" in messages

    await registry.branch("wola-12")
    duplicate = await registry.call(
        "POST",
        "/v1/branches",
        expect=409,
        json={"code": "wola-12", "name": "Inna", "district": "wola", "address": "ul. X 1"},
    )
    assert "code 'wola-12' already exists" in duplicate["detail"]
    missing = await registry.call("GET", "/v1/branches/wola-99", expect=404)
    assert missing["detail"] == "no branch with code 'wola-99'"


async def test_only_one_edition_per_institution_type_is_open(registry: Registry) -> None:
    first = await registry.edition(2019)
    assert first["status"] == "open"
    second = await registry.edition(2020, open=False)
    refused = await registry.call("POST", f"/v1/editions/{second['id']}/open", expect=409)
    assert "edition 2019 (Edycja 2019) is still open for library_branch" in refused["detail"]
    # Another institution type has its own open edition.
    care_homes = await registry.edition(2020, institution_type="care_home")
    assert care_homes["status"] == "open"

    closed = await registry.call("POST", f"/v1/editions/{first['id']}/close")
    assert closed["status"] == "closed"
    reopened = await registry.call("POST", f"/v1/editions/{second['id']}/open")
    assert reopened["status"] == "open"
    again = await registry.call("POST", f"/v1/editions/{first['id']}/open", expect=409)
    assert "closed and cannot be opened again" in again["detail"]

    listed = await registry.call("GET", "/v1/editions", params={"status": "open"})
    assert sorted((e["year"], e["institution_type"]) for e in listed["items"]) == [
        (2020, "care_home"),
        (2020, "library_branch"),
    ]


async def test_the_database_refuses_a_second_open_edition_even_when_two_open_at_once(
    registry: Registry,
) -> None:
    a = await registry.edition(2021, open=False)
    b = await registry.edition(2022, open=False)
    responses = await asyncio.gather(
        registry.client.post(f"/v1/editions/{a['id']}/open", headers=registry.auth()),
        registry.client.post(f"/v1/editions/{b['id']}/open", headers=registry.auth()),
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert (
        await registry.platform.fetchval(
            "SELECT count(*) FROM registry.editions WHERE status = 'open'"
        )
        == 1
    )
    # And straight in the database, past the domain, the partial unique index holds.
    indexes = await registry.platform.fetch(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'editions_one_open_per_type'"
    )
    assert "WHERE" in indexes[0]["indexdef"] and "UNIQUE" in indexes[0]["indexdef"]


async def test_enrolment_only_in_an_open_edition_with_exact_funding(registry: Registry) -> None:
    await registry.branch("wola-12")
    planned = await registry.edition(2019, open=False)
    refused = await registry.call(
        "POST",
        f"/v1/editions/{planned['id']}/enrolments",
        expect=409,
        json={"branch_code": "wola-12", "funding_pln": "100.00"},
    )
    assert "branch 'wola-12' cannot enrol in edition 2019" in refused["detail"]
    assert "the edition is planned" in refused["detail"]

    await registry.call("POST", f"/v1/editions/{planned['id']}/open")
    enrolment = await registry.enrol(planned, "wola-12", funding="12345.67")
    assert enrolment["funding_pln"] == "12345.67"
    assert enrolment["branch"]["code"] == "wola-12"
    assert enrolment["status"] == "enrolled"
    stored = await registry.platform.fetchval("SELECT funding_pln FROM registry.enrolments")
    assert stored == Decimal("12345.67")

    too_precise = await registry.call(
        "PATCH",
        f"/v1/enrolments/{enrolment['id']}",
        expect=422,
        json={"funding_pln": "10.005"},
    )
    assert too_precise["errors"][0]["field"] == "body.funding_pln"
    changed = await registry.call(
        "PATCH", f"/v1/enrolments/{enrolment['id']}", json={"funding_pln": "0.10"}
    )
    assert changed["funding_pln"] == "0.10"

    twice = await registry.call(
        "POST",
        f"/v1/editions/{planned['id']}/enrolments",
        expect=409,
        json={"branch_code": "wola-12"},
    )
    assert "already enrolled" in twice["detail"]

    await registry.call("POST", f"/v1/editions/{planned['id']}/close")
    await registry.branch("wola-13")
    closed = await registry.call(
        "POST",
        f"/v1/editions/{planned['id']}/enrolments",
        expect=409,
        json={"branch_code": "wola-13"},
    )
    assert "the edition is closed" in closed["detail"]


async def test_withdrawal_keeps_its_reason_and_tells_others(registry: Registry) -> None:
    edition = await registry.edition()
    await registry.branch("wola-12")
    enrolment = await registry.enrol(edition, "wola-12")
    no_reason = await registry.call(
        "POST", f"/v1/enrolments/{enrolment['id']}/withdraw", expect=422, json={}
    )
    assert no_reason["errors"][0]["field"] == "body.reason"
    withdrawn = await registry.call(
        "POST",
        f"/v1/enrolments/{enrolment['id']}/withdraw",
        json={"reason": "Remont filii do końca roku", "withdrawn_on": "2019-05-01"},
    )
    assert withdrawn["status"] == "withdrawn"
    assert withdrawn["withdrawal_reason"] == "Remont filii do końca roku"
    twice = await registry.call(
        "POST",
        f"/v1/enrolments/{enrolment['id']}/withdraw",
        expect=409,
        json={"reason": "jeszcze raz"},
    )
    assert "already withdrawn" in twice["detail"]
    event = json.loads(
        await registry.platform.fetchval(
            "SELECT body FROM registry.outbox WHERE event_type LIKE '%withdrawn%'"
        )
    )
    assert event["data"]["reason"] == "Remont filii do końca roku"
    assert event["data"]["code"] == "wola-12"


async def test_lists_filter_by_edition_district_stage_and_type_and_paginate(
    registry: Registry,
) -> None:
    edition = await registry.edition()
    for number in range(1, 6):
        await registry.branch(f"wola-{number}")
    await registry.branch("mokotow-1")
    await registry.branch("ochota-dk", institution_type="culture_centre", name="Dom Kultury Ochota")
    for code in ("wola-1", "wola-2", "mokotow-1"):
        await registry.enrol(edition, code)

    everything = await registry.call("GET", "/v1/branches", params={"limit": 3})
    assert everything["total"] == 7 and len(everything["items"]) == 3
    second_page = await registry.call("GET", "/v1/branches", params={"limit": 3, "offset": 3})
    assert [b["code"] for b in second_page["items"]] == ["wola-2", "wola-3", "wola-4"]

    in_edition = await registry.call("GET", "/v1/branches", params={"edition": edition["id"]})
    assert [b["code"] for b in in_edition["items"]] == ["mokotow-1", "wola-1", "wola-2"]
    in_wola = await registry.call(
        "GET", "/v1/branches", params={"edition": edition["id"], "district": "wola"}
    )
    assert in_wola["total"] == 2
    culture = await registry.call("GET", "/v1/branches", params={"type": "culture_centre"})
    assert [b["code"] for b in culture["items"]] == ["ochota-dk"]
    assert culture["items"][0]["district_library"] is None

    await registry.platform.fetch(
        "UPDATE registry.enrolments SET stage = 'trained' WHERE branch_id = "
        "(SELECT id FROM registry.branches WHERE code = 'wola-2')"
    )
    trained = await registry.call("GET", "/v1/branches", params={"stage": "trained"})
    assert [b["code"] for b in trained["items"]] == ["wola-2"]
    enrolments = await registry.call(
        "GET", "/v1/enrolments", params={"edition": edition["id"], "stage": "trained"}
    )
    assert [e["branch"]["code"] for e in enrolments["items"]] == ["wola-2"]

    bad = await registry.call(
        "GET", "/v1/branches", expect=422, params={"stage": "flying", "limit": 0}
    )
    assert {e["field"] for e in bad["errors"]} == {"query.stage", "query.limit"}
