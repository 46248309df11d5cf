"""A district library's administrator: the city office assigns them to the library, and
they see and act for its branches only (enrolments, coordinators, stages, applications)."""

from __future__ import annotations

from typing import Any

from registry.testing import Registry

DIRECTOR: dict[str, Any] = {"role": "district_admin", "subject": "kc-dyrektorka-wola"}
CALL = {
    "opens_on": "2019-01-01",
    "closes_on": "2019-03-31",
    "criteria": "Oddziały z salą dla dzieci",
    "budget_pln": "10000.00",
}
APPLICATION = {
    "branch_code": "wola-20",
    "motivation": "Chcemy prowadzić głośne czytanie po południu.",
    "team": "Kierowniczka filii i bibliotekarka",
    "task_types": ["reading_help"],
    "submitted_on": "2019-02-10",
}


async def _wola_library(registry: Registry) -> dict[str, Any]:
    """Wola's district library runs wola-12 and wola-20 (wola-12 enrolled, with coordinator
    Anna); Mokotów's runs mokotow-3 (enrolled). The director administers Wola's."""
    team = await registry.enrolled_with_team()
    await registry.branch("wola-20")
    await registry.branch("mokotow-3")
    other = await registry.enrol(team["edition"], "mokotow-3")
    organisations = await registry.call("GET", "/v1/organisations")
    wola = next(o for o in organisations if o["district"] == "wola")
    director = await registry.call(
        "POST",
        "/v1/staff",
        expect=201,
        json={"name": "Dorota Dyrektorska", "email": "dyr@bp-wola.example.pl",
              "subject": DIRECTOR["subject"]},
    )  # fmt: skip
    path = f"/v1/organisations/{wola['id']}/administrators"
    await registry.call("POST", path, expect=201, json={"staff_id": director["id"]})
    return {**team, "other": other, "wola": wola, "director": director, "path": path}


async def test_the_director_sees_and_acts_for_their_librarys_branches_only(
    registry: Registry,
) -> None:
    setup = await _wola_library(registry)
    branches = await registry.call("GET", "/v1/branches", **DIRECTOR)
    assert sorted(b["code"] for b in branches["items"]) == ["wola-12", "wola-20"]
    enrolments = await registry.call("GET", "/v1/enrolments", **DIRECTOR)
    assert [e["branch"]["code"] for e in enrolments["items"]] == ["wola-12"]
    coordinators = await registry.call("GET", "/v1/branches/wola-12/coordinators", **DIRECTOR)
    assert [c["staff"]["name"] for c in coordinators] == ["Anna Kowalska"]
    stages = await registry.call(
        "GET", f"/v1/enrolments/{setup['enrolment']['id']}/stages", **DIRECTOR
    )
    assert isinstance(stages, list)

    # Another district library's branch is refused with a reason, and nothing leaks.
    refused = await registry.call(
        "GET", "/v1/branches/mokotow-3/coordinators", expect=403, **DIRECTOR
    )
    assert "mokotow-3" in refused["detail"]
    await registry.call("GET", f"/v1/enrolments/{setup['other']['id']}", expect=403, **DIRECTOR)
    await registry.call(
        "GET", f"/v1/enrolments/{setup['other']['id']}/stages", expect=403, **DIRECTOR
    )
    # Assigning people and deciding stay with the city office.
    await registry.call(
        "POST",
        "/v1/branches/wola-20/coordinators",
        expect=403,
        json={"staff_id": setup["director"]["id"]},
        **DIRECTOR,
    )
    await registry.call(
        "POST", setup["path"], expect=403, json={"staff_id": setup["director"]["id"]}, **DIRECTOR
    )


async def test_the_director_applies_for_a_branch_and_bad_applications_are_refused(
    registry: Registry,
) -> None:
    setup = await _wola_library(registry)
    edition = setup["edition"]
    await registry.call("PUT", f"/v1/editions/{edition['id']}/call", json=CALL)
    path = f"/v1/editions/{edition['id']}/applications"

    late = await registry.call(
        "POST", path, expect=409, json={**APPLICATION, "submitted_on": "2019-04-01"}, **DIRECTOR
    )
    assert late["title"] == "Outside the call's dates"
    foreign = await registry.call(
        "POST", path, expect=404, json={**APPLICATION, "branch_code": "mokotow-3"}, **DIRECTOR
    )
    assert foreign["title"] == "Not your branch" and "mokotow-3" in foreign["detail"]
    assert await registry.call("GET", "/v1/applications") == []

    applied = await registry.call("POST", path, expect=201, json=APPLICATION, **DIRECTOR)
    assert applied["branch_code"] == "wola-20" and applied["status"] == "submitted"
    again = await registry.call("POST", path, expect=409, json=APPLICATION, **DIRECTOR)
    assert again["title"] == "Already applied"
    amended = await registry.call(
        "PUT",
        f"/v1/applications/{applied['id']}",
        json={**{k: APPLICATION[k] for k in ("team", "task_types")}, "motivation": "Nowa"},
        **DIRECTOR,
    )
    assert amended["motivation"] == "Nowa"
    listed = await registry.call("GET", "/v1/applications", **DIRECTOR)
    assert [a["id"] for a in listed] == [applied["id"]]
    # The city office applies for another Mokotów branch; the director does not see it.
    await registry.branch("mokotow-5")
    other = await registry.call(
        "POST", path, expect=201, json={**APPLICATION, "branch_code": "mokotow-5"}
    )
    await registry.call("GET", f"/v1/applications/{other['id']}", expect=404, **DIRECTOR)
    await registry.call(
        "POST",
        f"/v1/applications/{applied['id']}/accept",
        expect=403,
        json={"funding_pln": "100.00"},
        **DIRECTOR,
    )


async def test_unassigning_or_erasing_the_director_ends_their_access(registry: Registry) -> None:
    setup = await _wola_library(registry)
    listed = await registry.call("GET", setup["path"])
    assert [a["staff"]["id"] for a in listed] == [setup["director"]["id"]]
    again = await registry.call(
        "POST", setup["path"], expect=409, json={"staff_id": setup["director"]["id"]}
    )
    assert again["title"] == "Already assigned"

    await registry.call("DELETE", f"{setup['path']}/{setup['director']['id']}", expect=204)
    assert (await registry.call("GET", "/v1/branches", **DIRECTOR))["items"] == []
    await registry.call("GET", "/v1/branches/wola-12/coordinators", expect=403, **DIRECTOR)

    await registry.call(
        "POST", setup["path"], expect=201, json={"staff_id": setup["director"]["id"]}
    )
    assert (await registry.call("GET", "/v1/branches", **DIRECTOR))["total"] == 2
    await registry.call("POST", f"/v1/staff/{setup['director']['id']}/erasure")
    assert await registry.call("GET", setup["path"]) == []
    assert (await registry.call("GET", "/v1/branches", **DIRECTOR))["items"] == []
    refused = await registry.call(
        "POST", setup["path"], expect=409, json={"staff_id": setup["director"]["id"]}
    )
    assert refused["title"] == "Person erased"
    assert (
        await registry.platform.fetchval(
            "SELECT count(*) FROM registry.organisation_administrators WHERE unassigned_on IS NULL"
        )
        == 0
    )
