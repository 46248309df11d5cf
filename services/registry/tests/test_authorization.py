"""Every route authorizes: by role, and by branch for trainers and coordinators."""

from __future__ import annotations

import re
import uuid
from typing import Any

from registry.testing import Registry


def _routes(registry: Registry) -> list[tuple[str, str]]:
    """Every /v1 route of the service, with its path parameters filled in."""
    spec: dict[str, Any] = registry.service.http.openapi()
    routes: list[tuple[str, str]] = []
    for path, operations in spec["paths"].items():
        if not path.startswith("/v1/"):
            continue
        concrete = re.sub(r"\{key\}", "wola-12", path)
        concrete = re.sub(r"\{[a-z_]+\}", str(uuid.uuid4()), concrete)
        routes.extend((method.upper(), concrete) for method in operations)
    return routes


async def test_every_route_needs_a_token_and_a_volunteer_gets_nothing(registry: Registry) -> None:
    routes = _routes(registry)
    assert len(routes) > 40
    for method, path in routes:
        anonymous = await registry.client.request(method, path, json={})
        assert anonymous.status_code == 401, (method, path, anonymous.text)
        volunteer = await registry.client.request(
            method, path, json={}, headers=registry.auth("volunteer", branches=("wola-12",))
        )
        assert volunteer.status_code == 403, (method, path, volunteer.text)
        assert volunteer.headers["content-type"] == "application/problem+json"


async def _two_branches(registry: Registry) -> dict[str, Any]:
    """Scope comes from registry's assignments: Ewa and Jan train wola-12 only, Anna
    coordinates it; mokotow-3 is enrolled too."""
    team = await registry.enrolled_with_team()
    second = await registry.trainer("Jan Trenerski", "jan@ngo.example.pl", "kc-jan")
    await registry.assign_trainer(team["enrolment"], second)
    await registry.branch("mokotow-3")
    other = await registry.enrol(team["edition"], "mokotow-3")
    return {
        "edition": team["edition"],
        "own": team["enrolment"],
        "other": other,
        "trainer": team["trainer"],
    }


VISIT = {"visited_on": "2019-06-01", "notes": "Wizyta monitoringowa"}
PROGRAMME = {
    "spaces": "Czytelnia",
    "hours_available": "Wtorki",
    "task_types": ["reading_help"],
    "volunteer_profiles": "Licealiści",
    "welcome_and_care": "Opiekun",
}


async def test_a_trainer_reads_and_monitors_only_assigned_branches(registry: Registry) -> None:
    ids = await _two_branches(registry)
    trainer: dict[str, Any] = {"role": "trainer", "branches": ("wola-12",), "subject": "kc-ewa"}
    listed = await registry.call("GET", "/v1/branches", **trainer)
    assert [b["code"] for b in listed["items"]] == ["wola-12"]
    enrolments = await registry.call("GET", "/v1/enrolments", **trainer)
    assert [e["branch"]["code"] for e in enrolments["items"]] == ["wola-12"]
    await registry.call("GET", "/v1/branches/wola-12", **trainer)

    denied = await registry.call("GET", "/v1/branches/mokotow-3", expect=403, **trainer)
    assert denied["detail"] == "branch 'mokotow-3' is not one of the branches you are assigned to"
    await registry.call("GET", f"/v1/enrolments/{ids['other']['id']}", expect=403, **trainer)
    await registry.call(
        "POST", f"/v1/enrolments/{ids['other']['id']}/visits", expect=403, json=VISIT, **trainer
    )
    # Monitoring its own branch is allowed; running the programme is not.
    await registry.call(
        "POST", f"/v1/enrolments/{ids['own']['id']}/visits", expect=201, json=VISIT, **trainer
    )
    await registry.call(
        "PUT", f"/v1/enrolments/{ids['own']['id']}/programme", expect=403, json=PROGRAMME, **trainer
    )
    wrong_role = await registry.call(
        "POST",
        "/v1/branches",
        expect=403,
        json={"code": "wola-1", "name": "X", "district": "wola", "address": "ul. X"},
        **trainer,
    )
    assert "city_admin" in wrong_role["detail"]
    # Another trainer's identity cannot record visits in Ewa's name.
    impostor: dict[str, Any] = {**trainer, "subject": "kc-jan"}
    refused = await registry.call(
        "POST",
        f"/v1/enrolments/{ids['own']['id']}/visits",
        expect=409,
        json={**VISIT, "trainer_id": ids["trainer"]["id"]},
        **impostor,
    )
    assert refused["title"] == "Someone else's visit"


async def test_a_coordinator_reads_own_branches_and_writes_only_its_documents(
    registry: Registry,
) -> None:
    ids = await _two_branches(registry)
    coordinator: dict[str, Any] = {
        "role": "coordinator",
        "branches": ("wola-12",),
        "subject": "kc-anna",
    }
    await registry.call("GET", f"/v1/enrolments/{ids['own']['id']}", **coordinator)
    await registry.call("GET", "/v1/branches/mokotow-3", expect=403, **coordinator)
    await registry.call(
        "PUT",
        f"/v1/enrolments/{ids['other']['id']}/programme",
        expect=403,
        json=PROGRAMME,
        **coordinator,
    )
    await registry.call(
        "PUT",
        f"/v1/enrolments/{ids['own']['id']}/programme",
        expect=200,
        json=PROGRAMME,
        **coordinator,
    )
    await registry.call(
        "POST",
        f"/v1/enrolments/{ids['own']['id']}/visits",
        expect=403,
        json=VISIT,
        **coordinator,
    )
    await registry.call(
        "POST",
        f"/v1/enrolments/{ids['own']['id']}/stages",
        expect=403,
        json={"stage": "trained", "reached_on": "2019-03-01"},
        **coordinator,
    )
    await registry.call(
        "POST",
        f"/v1/enrolments/{ids['own']['id']}/report/accept",
        expect=403,
        json={},
        **coordinator,
    )
    await registry.call("GET", "/v1/staff", expect=403, **coordinator)
    nothing = await registry.call("GET", "/v1/branches", role="coordinator")
    assert nothing["items"] == [] and nothing["total"] == 0


async def test_a_city_admin_sees_everything(registry: Registry) -> None:
    await _two_branches(registry)
    listed = await registry.call("GET", "/v1/branches")
    assert [b["code"] for b in listed["items"]] == ["mokotow-3", "wola-12"]
