"""The agreement as a document on the real broker and database: both parties download its
PDF, a signed copy comes back (and a bad file changes nothing), the agreement becomes
signed with ``agreement.signed.v1``; a reference is asked for, written and downloaded."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import httpx
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


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


async def linked_volunteers(
    platform: TestPlatform, http: httpx.AsyncClient, coordinator: dict[str, str]
) -> dict[str, str]:
    """An adult and a fifteen-year-old who applied to a task of wola-12 (a branch concludes
    agreements only with people linked to it)."""
    ids = await register_volunteers(platform, "adult", first_name="Łucja", last_name="Żółć")
    teen = minor_data("teen", date(2011, 6, 1))
    ids |= await register_volunteers(
        platform,
        "teen",
        first_name="Jaś",
        last_name="Kowalski",
        birth_date=teen["birth_date"],
        guardian=teen["guardian"],
    )
    task = (
        await http.post(
            "/v1/tasks", json=one_off_task(schedule=PAST_SHIFT, min_age=None), headers=coordinator
        )
    ).json()
    for volunteer_id in ids.values():
        token = bearer(platform.token("volunteer", subject=volunteer_id))
        applied = await http.post(f"/v1/tasks/{task['id']}/applications", headers=token)
        assert applied.status_code == 201, applied.text
    return ids


async def conclude(
    http: httpx.AsyncClient, coordinator: dict[str, str], volunteer_id: str, **terms: Any
) -> dict[str, Any]:
    body = {
        "volunteer_id": volunteer_id,
        "branch_code": "wola-12",
        "scope": "głośne czytanie dla dzieci",
        "starts_on": "2027-01-10",
        "ends_on": "2027-02-08",
        **terms,
    }
    response = await http.post("/v1/agreements", json=body, headers=coordinator)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_download_upload_signed_copy_and_refusals(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        ids = await linked_volunteers(platform, http, coordinator)
        adult = bearer(platform.token("volunteer", subject=ids["adult"]))
        teen = bearer(platform.token("volunteer", subject=ids["teen"]))
        elsewhere = bearer(platform.token("coordinator", branches=("mokotow-3",)))

        agreement = await conclude(
            http, coordinator, ids["adult"], working_hours="wtorki 16:00–18:00"
        )
        assert agreement["signed_at"] is None and agreement["signed_copy_url"] is None
        teen_agreement = await conclude(http, coordinator, ids["teen"], ends_on="2027-06-30")

        # Both parties download it; nobody else does.
        for who in (adult, coordinator):
            pdf = await http.get(agreement["pdf_url"], headers=who)
            assert pdf.status_code == 200, pdf.text
            assert pdf.headers["content-type"] == "application/pdf"
        text = pdf_text(pdf.content)
        assert "Łucja Żółć, zwaną/zwanym dalej „Wolontariuszem”" in text
        assert "w godzinach: wtorki 16:00–18:00" in text and "(NNW)" in text
        teen_text = pdf_text((await http.get(teen_agreement["pdf_url"], headers=teen)).content)
        assert "Jaś Kowalski, osobą małoletnią, która ukończyła 13 lat" in teen_text
        assert "Załącznik: zgoda przedstawiciela ustawowego" in teen_text
        assert "formie pisemnej (art. 44 ust. 4 ustawy)" in teen_text
        for stranger in (teen, elsewhere):
            refused = await http.get(agreement["pdf_url"], headers=stranger)
            assert refused.status_code == 403, refused.text
            assert refused.headers["content-type"] == "application/problem+json"

        upload = f"/v1/agreements/{agreement['id']}/signed-copy"
        signed = pdf.content  # a scan would do; the PDF printed and signed stands in for it
        bad: dict[str, tuple[bytes, str, int, str]] = {
            "an image": (b"\x89PNG\r\n\x1a\n" + b"0" * 200, "application/pdf", 422, "not_pdf"),
            "an empty file": (b"", "application/pdf", 422, "empty"),
            "a truncated PDF": (signed[: len(signed) // 2], "application/pdf", 422, "truncated"),
            "a damaged PDF": (
                signed.replace(b"startxref\n", b"startxref\n9", 1),
                "application/pdf",
                422,
                "damaged",
            ),
            "too large": (signed + b"%" * (5 * 1024 * 1024), "application/pdf", 413, "too_large"),
            "a form upload": (signed, "multipart/form-data; boundary=x", 415, "not_pdf"),
        }
        for name, (content, media_type, status, reason) in bad.items():
            refused = await http.post(
                upload, content=content, headers={**adult, "content-type": media_type}
            )
            assert refused.status_code == status, (name, refused.text)
            problem = refused.json()
            assert refused.headers["content-type"] == "application/problem+json"
            assert problem["errors"][0]["reason"] == reason, name
        assert (await http.get(upload, headers=adult)).status_code == 404
        stored = await platform.fetchval("SELECT count(*) FROM matching.agreement_signed_copies")
        assert stored == 0
        foreign = await http.post(
            upload, content=signed, headers={**elsewhere, "content-type": "application/pdf"}
        )
        assert foreign.status_code == 403

        accepted = await http.post(
            upload, content=signed, headers={**adult, "content-type": "application/pdf"}
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["signed_at"] is not None
        assert accepted.json()["signed_copy_url"] == upload
        back = await http.get(upload, headers=coordinator)
        assert back.status_code == 200 and back.content == signed
        pypdf.PdfReader(io.BytesIO(back.content))  # what came back opens
        # A second upload replaces the copy; the agreement was signed once.
        again = await http.post(
            upload,
            content=signed + b"\n",
            headers={**coordinator, "content-type": "application/pdf"},
        )
        assert again.status_code == 200, again.text
        assert again.json()["signed_at"] == accepted.json()["signed_at"]
        listed = (await http.get("/v1/agreements", headers=adult)).json()
        assert listed[0]["signed_at"] == accepted.json()["signed_at"]

        events = await platform.fetch(
            "SELECT body FROM matching.outbox WHERE event_type = $1",
            "pl.waw.volunteering.matching.agreement.signed.v1",
        )
        assert len(events) == 1
        data = json.loads(events[0]["body"])["data"]
        assert data["agreement_id"] == agreement["id"] and data["branch_code"] == "wola-12"
        assert data["written_form_required"] is False


async def test_a_reference_is_asked_written_and_downloaded(platform: TestPlatform) -> None:
    async with platform.running("matching") as (matching,), client(matching) as http:
        await enrol_branch(platform, "wola-12")
        await wait_enrolled(platform, "wola-12")
        coordinator = bearer(platform.token("coordinator", branches=("wola-12",)))
        ids = await linked_volunteers(platform, http, coordinator)
        adult = bearer(platform.token("volunteer", subject=ids["adult"]))
        teen = bearer(platform.token("volunteer", subject=ids["teen"]))
        elsewhere = bearer(platform.token("coordinator", branches=("mokotow-3",)))
        agreement = await conclude(http, coordinator, ids["adult"])
        ask = f"/v1/agreements/{agreement['id']}/reference-request"

        assert (await http.post(ask, headers=teen)).status_code == 403
        assert (await http.post(ask, headers=coordinator)).status_code == 403
        asked = await http.post(ask, headers=adult)
        assert asked.status_code == 201, asked.text
        assert (await http.post(ask, headers=adult)).json()["id"] == asked.json()["id"]
        reference = asked.json()
        assert reference["written_at"] is None and reference["pdf_url"] is None

        waiting = await http.get(
            "/v1/references", params={"open_only": "true"}, headers=coordinator
        )
        assert [item["id"] for item in waiting.json()] == [reference["id"]]
        assert (await http.get("/v1/references", headers=teen)).json() == []
        assert (
            await http.get("/v1/references", params={"branch_code": "wola-12"}, headers=elsewhere)
        ).status_code == 403
        write = f"/v1/references/{reference['id']}/text"
        text = "Pani Łucja prowadziła głośne czytanie sumiennie, punktualnie i z pomysłem."
        assert (await http.put(write, json={"text": text}, headers=elsewhere)).status_code == 403
        assert (await http.put(write, json={"text": text}, headers=adult)).status_code == 403
        short = await http.put(write, json={"text": "ok"}, headers=coordinator)
        assert short.status_code == 422
        assert (
            await http.get(f"/v1/references/{reference['id']}/pdf", headers=adult)
        ).status_code == 404

        written = await http.put(write, json={"text": text}, headers=coordinator)
        assert written.status_code == 200, written.text
        assert written.json()["pdf_url"] == f"/v1/references/{reference['id']}/pdf"
        assert (await http.put(write, json={"text": text}, headers=coordinator)).status_code == 409
        pdf = await http.get(written.json()["pdf_url"], headers=adult)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        content = pdf_text(pdf.content)
        assert "OPINIA" in content and "(art. 44 ust. 3 ustawy" in content
        assert "Łucja Żółć" in content and "sumiennie, punktualnie i z pomysłem" in content
        assert (await http.get(written.json()["pdf_url"], headers=teen)).status_code == 403
        assert (
            await http.get("/v1/references", params={"open_only": "true"}, headers=coordinator)
        ).json() == []
        # Asked once (twice is the same request) and written once: each told once, so that
        # the coordinators hear of the request and the volunteer of the PDF.
        told = await platform.fetch(
            "SELECT event_type, convert_from(body, 'UTF8') AS body FROM matching.outbox"
            " WHERE event_type LIKE '%.reference.%' ORDER BY seq"
        )
        assert [row["event_type"].rsplit(".", 2)[-2] for row in told] == ["requested", "written"]
        for row in told:
            data = json.loads(row["body"])["data"]
            assert (data["reference_id"], data["agreement_id"]) == (
                reference["id"],
                agreement["id"],
            )
            assert (data["volunteer_id"], data["branch_code"]) == (ids["adult"], "wola-12")

        # Erasure drops the reference's text and PDF and the signed copy.
        upload = f"/v1/agreements/{agreement['id']}/signed-copy"
        signed = (await http.get(agreement["pdf_url"], headers=adult)).content
        await http.post(
            upload, content=signed, headers={**adult, "content-type": "application/pdf"}
        )
        await platform.publish_event(erasure_requested("adult"))

        async def forgotten() -> bool:
            left = await platform.fetchval(
                "SELECT count(*) FROM matching.reference_requests WHERE pdf IS NOT NULL"
                " OR text IS NOT NULL"
            )
            copies = await platform.fetchval(
                "SELECT count(*) FROM matching.agreement_signed_copies"
            )
            return bool(left == 0 and copies == 0)

        await eventually(forgotten, message="the erasure did not reach the documents")
        gone = await http.get(agreement["pdf_url"], headers=coordinator)
        assert gone.status_code == 410
