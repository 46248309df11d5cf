"""The volunteer's agreement page against the real matching service, in English: the
agreement to download, a refused file said in the page's language (nothing changes), the
signed copy taken, a reference asked for."""

from __future__ import annotations

import re
from typing import Any

import httpx

from shared.auth import load_or_create_key_pair
from shared.testing.platform import TestPlatform

TERMS = {
    "branch_code": "wola-12",
    "scope": "Reading aloud for children",
    "starts_on": "2027-01-10",
    "ends_on": "2027-01-30",
}
FIELD = "plik"


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


async def test_the_volunteer_sends_the_signed_copy_and_asks_for_a_reference(
    platform: TestPlatform, console: Any, scene: Any
) -> None:
    _, volunteer_public_key = load_or_create_key_pair(console.settings.volunteer_signing_key_file)
    async with platform.running("matching", auth_volunteer_public_key=volunteer_public_key) as (
        matching,
    ):
        console.gateway.mount_service("matching", matching.http)
        await scene.enrol_branch("wola-12")
        volunteer = await scene.register_volunteer("reader")
        transport = httpx.ASGITransport(app=matching.http)
        async with httpx.AsyncClient(transport=transport, base_url="http://matching") as http:
            admin = {"authorization": f"Bearer {platform.token('city_admin')}"}
            concluded = await http.post(
                "/v1/agreements", json={**TERMS, "volunteer_id": volunteer}, headers=admin
            )
            assert concluded.status_code == 201, concluded.text
        agreement = concluded.json()
        base = f"/wolontariusz/porozumienia/{agreement['id']}"

        browser = console.browser
        await browser.get(console.volunteer_link(volunteer), follow_redirects=True)
        page = await browser.get("/wolontariusz/porozumienia?lang=en")
        assert page.status_code == 200, page.text
        assert "My agreements and references" in page.text
        assert "waiting for the signed copy" in page.text
        printed = await browser.get(f"{base}/porozumienie.pdf")
        assert printed.headers["content-type"] == "application/pdf"
        assert printed.content.startswith(b"%PDF-")

        async def send(content: bytes, name: str = "scan.pdf") -> httpx.Response:
            sent: httpx.Response = await browser.post(
                f"{base}/podpisane",
                data={"csrf": csrf_of(page)},
                files={FIELD: (name, content, "application/pdf")},
                follow_redirects=True,
            )
            return sent

        refusals = {
            "This is not a PDF file.": b"\xff\xd8\xff\xe0 a photo",
            "The PDF file is incomplete.": printed.content[:2000],
            "The file is too large: 5 MB at most.": b"%PDF-1.4" + b"0" * (5 * 1024 * 1024),
        }
        for message, content in refusals.items():
            refused = await send(content)
            assert refused.status_code == 200
            assert message in refused.text, message
            assert "waiting for the signed copy" in refused.text
        missing = await browser.post(
            f"{base}/podpisane", data={"csrf": csrf_of(page)}, follow_redirects=True
        )
        assert "Choose the PDF file with the signed agreement." in missing.text

        taken = await send(printed.content)
        assert "The signed agreement is saved: the agreement is signed." in taken.text
        assert "Download the signed agreement (PDF)" in taken.text
        back = await browser.get(f"{base}/podpisane.pdf")
        assert back.content == printed.content

        asked = await browser.post(
            f"{base}/opinia", data={"csrf": csrf_of(taken)}, follow_redirects=True
        )
        assert "We have asked the coordinator for a reference." in asked.text
        assert "The coordinator is writing it." in asked.text
