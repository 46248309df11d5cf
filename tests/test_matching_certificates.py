"""Agreements for adults and minors, the certificate as a Polish PDF, and erasure of both."""

from __future__ import annotations

import io
from datetime import date

import pypdf

from shared.testing.platform import TestPlatform, eventually
from tests.portal import erasure_requested, minor_data
from tests.test_matching_support import (
    bearer,
    client,
    enrol_branch,
    one_off_task,
    register_volunteers,
    wait_enrolled,
)

PAST_SHIFT = {"kind": "one_off", "first_day": "2026-11-20", "start": "16:00", "end": "19:00"}


async def test_agreements_certificate_pdf_and_erasure(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        ids = await register_volunteers(platform, "adult", first_name="Łucja", last_name="Żółć")
        minor = minor_data("kid", date(2015, 3, 1))
        ids |= await register_volunteers(
            platform, "kid", birth_date=minor["birth_date"], guardian=minor["guardian"]
        )
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        adult = bearer(platform.token("volunteer", subject=ids["adult"]))
        # Both apply first: a branch concludes agreements only with people linked to it.
        task = (
            await http.post(
                "/v1/tasks",
                json=one_off_task(schedule=PAST_SHIFT, min_age=None),
                headers=coordinator,
            )
        ).json()
        application = (
            await http.post(f"/v1/tasks/{task['id']}/applications", headers=adult)
        ).json()
        kid = bearer(platform.token("volunteer", subject=ids["kid"]))
        applied = await http.post(f"/v1/tasks/{task['id']}/applications", headers=kid)
        assert applied.status_code == 201, applied.text

        agreement = await http.post(
            "/v1/agreements",
            json={
                "volunteer_id": ids["adult"],
                "branch_code": "wola-12",
                "scope": "głośne czytanie dla dzieci",
                "starts_on": "2026-11-01",
                "ends_on": "2026-12-01",
            },
            headers=coordinator,
        )
        assert agreement.status_code == 201, agreement.text
        assert agreement.json()["written_form_required"] is True
        assert agreement.json()["guardian_role"] == "none"
        child = await http.post(
            "/v1/agreements",
            json={
                "volunteer_id": ids["kid"],
                "branch_code": "wola-12",
                "scope": "pomoc przy konkursie",
                "starts_on": "2026-12-01",
                "ends_on": "2026-12-10",
            },
            headers=coordinator,
        )
        assert child.json()["guardian_role"] == "concludes_agreement"
        assert child.json()["guardian_name"] == "Anna Kowalska"
        assert child.json()["written_form_required"] is False

        await http.post(f"/v1/applications/{application['id']}/accept", headers=coordinator)
        [assignment] = (await http.get("/v1/me/assignments", headers=adult)).json()
        entry = (
            await http.post(
                f"/v1/assignments/{assignment['id']}/hours",
                json={"hours": "3", "worked_on": "2026-11-20"},
                headers=adult,
            )
        ).json()
        await http.post(f"/v1/hours/{entry['id']}/approve", headers=coordinator)

        issued = await http.post("/v1/certificates", json={"branch_code": "wola-12"}, headers=adult)
        assert issued.status_code == 201, issued.text
        assert issued.json()["approved_hours"] == "3.00"
        pdf = await http.get(issued.json()["pdf_url"], headers=adult)
        assert pdf.headers["content-type"] == "application/pdf"
        extracted = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
        text = " ".join(extracted.split())  # justified lines come out with wider spaces
        assert "ZAŚWIADCZENIE" in text
        assert "Łucja Żółć" in text
        assert "głośne czytanie dla dzieci" in text
        assert "od 01.11.2026 do 01.12.2026" in text
        assert "Łączna liczba zatwierdzonych godzin: 3,00" in text
        stranger = bearer(platform.token("volunteer", subject=ids["kid"]))
        assert (await http.get(issued.json()["pdf_url"], headers=stranger)).status_code == 403

        await platform.publish_event(erasure_requested("kid"))
        await platform.publish_event(erasure_requested("adult"))

        async def forgotten() -> bool:
            response = await http.get(issued.json()["pdf_url"], headers=coordinator)
            return response.status_code == 404

        await eventually(forgotten)

    guardians = await platform.fetch("SELECT guardian_name FROM matching.agreements")
    assert [row["guardian_name"] for row in guardians] == [None, None]
    hours = await platform.fetchval(
        "SELECT sum(hours) FROM matching.hours"
        " WHERE branch_code = 'wola-12' AND status = 'approved'"
    )
    assert str(hours) == "3.00"  # the anonymous hours per branch stay
