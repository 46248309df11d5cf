"""The audit log of a service's API: refusals and changes, with ids and never personal data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from structlog.testing import capture_logs

from shared.testing.platform import TestPlatform

EDITION = {
    "year": 2031,
    "name": "Edycja 2031 — Anna Kowalska prowadzi",
    "starts_on": "2031-01-01",
    "ends_on": "2031-12-31",
}


def audit_lines(logged: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [line for line in logged if line.get("audit") is True]


async def test_refusals_and_changes_are_audited_without_personal_data(
    platform: TestPlatform,
) -> None:
    async with platform.running("registry") as (registry,):
        transport = httpx.ASGITransport(app=registry.http)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as http:

            def as_(*roles: str, subject: str) -> dict[str, str]:
                token = platform.token(*roles, branches=("wola-12",), subject=subject)
                return {"authorization": f"Bearer {token}"}

            with capture_logs() as logged:
                anonymous = await http.post("/v1/editions", json=EDITION)
                refused = await http.post(
                    "/v1/editions", json=EDITION, headers=as_("coordinator", subject="kc-c-7")
                )
                created = await http.post(
                    "/v1/editions", json=EDITION, headers=as_("city_admin", subject="kc-city-1")
                )
                read = await http.get("/v1/editions", headers=as_("city_admin", subject="kc-a"))

    assert (anonymous.status_code, refused.status_code) == (401, 403)
    assert (created.status_code, read.status_code) == (201, 200)
    lines = audit_lines(logged)
    summary = [(line["action"], line["outcome"], line["subject"]) for line in lines]
    assert summary == [
        ("denied", "401", None),
        ("denied", "403", "kc-c-7"),
        ("change", "201", "kc-city-1"),
    ]  # reading is not audited
    assert lines[1]["roles"] == ["coordinator"]
    assert {line["path"] for line in lines} == {"/v1/editions"}
    # The body held a person's name; no audit line carries it.
    assert not any("Kowalska" in repr(line) for line in lines)
