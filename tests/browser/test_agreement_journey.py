"""The agreement as a document, through the gateway: the coordinator downloads it to print,
the volunteer sends back the signed copy (a photo instead of a PDF is refused first, with a
message that says why), asks for a reference, the coordinator writes it in the console and
the volunteer downloads it."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pypdf
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import Browser, Page, expect

from shared.signed_links import sign_link_token
from tests.browser.conftest import (
    COORDINATOR_BRANCH,
    VOLUNTEER_LINK_SECRET,
    WARSAW,
    Journey,
    System,
    answer,
    apply_as_volunteer,
    candidates_of,
    publish_flexible_task,
    sign_in,
)

SCOPE = "Pomoc przy klubie gier planszowych"
REFERENCE = "Prowadziła klub gier planszowych sumiennie, punktualnie i z wielką życzliwością."


async def agreement_with_a_volunteer(system: System) -> tuple[dict[str, Any], str]:
    """A volunteer applies to a task of the coordinator's branch (so the branch may conclude
    an agreement with them), and the branch concludes one for the next six weeks."""
    task = await publish_flexible_task(system, "Klub gier planszowych", starts_in_days=1)
    start = datetime.now(WARSAW).date() + timedelta(days=1)
    refusals = []
    async with system.api(system.staff_token("koordynatorka")) as api:
        for candidate in await candidates_of(system, task["id"]):
            await apply_as_volunteer(system, task["id"], candidate)
            concluded = await api.post(
                "/matching/v1/agreements",
                json={
                    "volunteer_id": candidate,
                    "branch_code": COORDINATOR_BRANCH,
                    "scope": SCOPE,
                    "starts_on": start.isoformat(),
                    "ends_on": (start + timedelta(days=42)).isoformat(),
                },
            )
            if concluded.is_success:
                return concluded.json(), candidate
            refusals.append(concluded.text)
    raise AssertionError(f"no agreement could be concluded: {refusals[:3]}")


async def flash(page: Page, text: str) -> None:
    await expect(page.get_by_role("status")).to_contain_text(text)


async def download(page: Page, link_name: str) -> bytes:
    async with page.expect_download() as started:
        await page.get_by_role("link", name=link_name).first.click()
    saved = await (await started.value).path()
    return await asyncio.to_thread(Path(saved).read_bytes)


def text_of(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


async def test_agreement_journey(
    system: System, page: Page, journey: Journey, browser: Browser, axe: Axe, tmp_path: Path
) -> None:
    agreement, volunteer = await agreement_with_a_volunteer(system)

    # The coordinator: the branch's agreements, this one's page, its PDF to print.
    await sign_in(journey, "koordynatorka", "Barbara Wieczorek")
    await page.goto("/koordynator/porozumienia")
    await journey.check("porozumienia")
    await page.get_by_role("link", name=re.compile(f"do podpisu: {SCOPE}")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Porozumienie z wolontariuszem")
    await journey.check("porozumienie")
    printed = await download(page, "Pobierz porozumienie do podpisu (PDF)")
    text = text_of(printed)
    assert "POROZUMIENIE" in text and SCOPE in text and "formie pisemnej" in text

    # The volunteer, on their phone: a photo is refused, the scanned PDF is taken.
    phone_context = await browser.new_context(base_url=system.url, locale="pl-PL")
    try:
        phone = await phone_context.new_page()
        mine = Journey("agreement-volunteer", phone, axe)
        link = sign_link_token(
            VOLUNTEER_LINK_SECRET, purpose="volunteer.session", subject=volunteer, lifetime_s=600
        )
        await phone.goto(f"/wolontariusz/wejscie?t={link}")
        await phone.get_by_role("link", name="Porozumienia i opinie").click()
        await expect(phone.get_by_role("heading", level=1)).to_have_text(
            "Moje porozumienia i opinie"
        )
        await mine.check("porozumienia")
        card = phone.locator(f"#porozumienie-{agreement['id']}")
        photo = tmp_path / "podpisane.jpg"
        photo.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 2048)
        await card.get_by_label("Podpisane porozumienie (PDF, najwyżej 5 MB)").set_input_files(
            str(photo)
        )
        await card.get_by_role("button", name="Wyślij podpisane porozumienie").click()
        await flash(phone, "To nie jest plik PDF")
        await mine.check("zly-plik")
        await expect(card).to_contain_text("czeka na podpisany egzemplarz")
        scan = tmp_path / "podpisane.pdf"
        scan.write_bytes(printed)
        await card.get_by_label("Podpisane porozumienie (PDF, najwyżej 5 MB)").set_input_files(
            str(scan)
        )
        await card.get_by_role("button", name="Wyślij podpisane porozumienie").click()
        await flash(phone, "porozumienie jest podpisane")
        await expect(card).to_contain_text("podpisane ")
        await card.get_by_role("button", name=f"Poproś o opinię: {SCOPE}").click()
        await flash(phone, "Poprosiliśmy koordynatora o opinię")
        await expect(card).to_contain_text("Koordynator ją pisze")
        await mine.check("opinia-zamowiona")

        # The coordinator sees the signed copy and the request, and writes the reference.
        await page.reload()
        await expect(
            page.get_by_role("link", name="Pobierz podpisane porozumienie (PDF)")
        ).to_be_visible()
        assert await download(page, "Pobierz podpisane porozumienie (PDF)") == printed
        await page.get_by_role("link", name="Opinie dla wolontariuszy").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Opinie dla wolontariuszy")
        await journey.check("opinie")
        await page.get_by_label("Treść opinii").first.fill(REFERENCE)
        await page.get_by_role("button", name="Wydaj opinię").first.click()
        await flash(page, "Opinia gotowa")
        await journey.check("opinia-wydana")

        # The volunteer downloads it.
        await phone.reload()
        reference = await download(phone, "Pobierz opinię (PDF)")
        await mine.check("opinia-gotowa")
        written = text_of(reference)
        assert "OPINIA" in written and "art. 44 ust. 3" in written
        assert "sumiennie, punktualnie i z wielką życzliwością" in written
    finally:
        await phone_context.close()

    async with system.api(system.volunteer_token(volunteer)) as api:
        found = await answer(await api.get(f"/matching/v1/agreements/{agreement['id']}"))
    assert found["signed_at"] is not None
