"""Input bounds: what generated input found answered 500, now a 422 problem+json.

Each request below reached Postgres before (an offset past bigint, a NUL in a text
parameter or body field, a year Postgres takes and the reports do not) and the service
answered 500; each is now refused before any query, naming the field.
"""

from __future__ import annotations

import uuid

import httpx

from shared.problems import PROBLEM_CONTENT_TYPE
from shared.testing.platform import TestPlatform

HUGE = "82293223756557139968"
TASK = str(uuid.uuid4())

# (service, method, path with query, JSON body, the refused field)
REFUSED: list[tuple[str, str, str, object, str]] = [
    ("matching", "GET", f"/v1/agreements?offset={HUGE}", None, "query.offset"),
    ("matching", "GET", f"/v1/tasks/{TASK}/applications?offset={HUGE}", None, "query.offset"),
    ("matching", "GET", f"/v1/tasks/{TASK}/assignments?offset={HUGE}", None, "query.offset"),
    ("matching", "GET", f"/v1/tasks/{TASK}/hours?offset={HUGE}", None, "query.offset"),
    ("matching", "GET", f"/v1/tasks?offset={HUGE}", None, "query.offset"),
    ("matching", "GET", "/v1/agreements?branch_code=%00Q%23", None, "query.branch_code"),
    (
        "matching",
        "POST",
        "/v1/tasks",
        {"branch_code": "\u0000Q#"},
        "body.branch_code",
    ),
    ("notifications", "GET", "/v1/messages?offset=247391509090171518976", None, "query.offset"),
    ("notifications", "GET", "/v1/messages?branch_code=wola%00", None, "query.branch_code"),
    (
        "reporting",
        "GET",
        "/v1/reports/summary?branch=wawer-5&district=5%C2%AE%C2%89%C3%AB%00%C3%A6%14",
        None,
        "query.district",
    ),
    ("reporting", "GET", "/v1/reports/timeseries?date_from=0001-01-01", None, "query.date_from"),
    ("reporting", "GET", f"/v1/reports/timeseries?offset={HUGE}", None, "query.offset"),
    ("reporting", "GET", "/v1/exports/summary.csv?branch=%00", None, "query.branch"),
    ("reporting", "GET", "/v1/exports/monitoring.xlsx?as_of=9999-01-01", None, "query.as_of"),
    ("registry", "GET", f"/v1/branches?offset={HUGE}", None, "query.offset"),
]


async def test_out_of_bounds_input_is_a_422_problem_naming_the_field(
    platform: TestPlatform,
) -> None:
    names = ("registry", "matching", "notifications", "reporting")
    headers = {"authorization": f"Bearer {platform.token('city_admin')}"}
    async with platform.running(*names) as services:
        apps = dict(zip(names, services, strict=True))
        for service, method, target, body, field in REFUSED:
            transport = httpx.ASGITransport(app=apps[service].http)
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
                response = await client.request(method, target, json=body, headers=headers)
            assert response.status_code == 422, (service, target, response.text)
            assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE, target
            problem = response.json()
            assert problem["status"] == 422
            assert field in [error["field"] for error in problem["errors"]], (target, problem)


async def test_the_openapi_documents_declare_422_as_problem_json(platform: TestPlatform) -> None:
    for name in ("registry", "matching", "notifications", "reporting"):
        document = platform.build(name).http.openapi()
        assert "HTTPValidationError" not in document["components"]["schemas"]
        refusals = [
            operation["responses"]["422"]
            for path in document["paths"].values()
            for operation in path.values()
            if "422" in operation.get("responses", {})
        ]
        assert refusals, name
        for refused in refusals:
            assert list(refused["content"]) == [PROBLEM_CONTENT_TYPE]
