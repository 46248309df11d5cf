"""The first flow: the portal registers a person, reporting counts them, erasure forgets them."""

from __future__ import annotations

import httpx

from shared.testing.platform import TestPlatform, eventually
from tests.portal import erasure_requested, registered


async def test_registered_volunteer_is_counted_by_reporting_and_erasure_removes_personal_data(
    platform: TestPlatform,
) -> None:
    async with platform.running("matching", "reporting") as (_, reporting):
        await platform.publish_event(registered("portal-123"))
        transport = httpx.ASGITransport(app=reporting.http)
        headers = {"authorization": f"Bearer {platform.token('city_admin')}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://reporting") as client:

            async def counted() -> dict[str, int] | None:
                response = await client.get("/v1/volunteers/count", headers=headers)
                assert response.status_code == 200, response.text
                body: dict[str, int] = response.json()
                return body if body["registered"] == 1 else None

            counts = await eventually(counted)
            assert counts == {"registered": 1, "erased": 0, "current": 1, "minors": 0}

            await platform.publish_event(erasure_requested("portal-123"))

            async def erased() -> bool:
                response = await client.get("/v1/volunteers/count", headers=headers)
                return bool(response.json()["erased"] == 1)

            await eventually(erased)

    row = (await platform.fetch("SELECT * FROM matching.volunteers"))[0]
    personal = ("portal_id", "first_name", "last_name", "email", "phone", "birth_date", "guardian")
    assert all(row[field] is None for field in personal), dict(row)
    assert row["erased_at"] is not None
    # Reporting never held personal data; its anonymous count stays.
    columns = {
        r["column_name"]
        for r in await platform.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'reporting'"
        )
    }
    assert not columns & {"first_name", "last_name", "email", "phone", "birth_date"}
