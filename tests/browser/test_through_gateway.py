"""What every answer through the gateway carries, and the console in English.

The browser's own responses are watched while a page loads (the page, its stylesheet and
script, the sign-in redirects), and a few API answers (an error included) are asked for
directly: each has a request id and the gateway's security headers.
"""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Page, Response

from tests.browser.conftest import Journey, System

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}


def request_ids(headers: dict[str, str]) -> set[str]:
    """The request ids an answer names (repeated headers arrive joined)."""
    return {value.strip() for value in re.split(r"[,\n]", headers.get("x-request-id", ""))} - {""}


def assert_gateway_headers(url: str, headers: dict[str, str]) -> None:
    assert len(request_ids(headers)) == 1, f"X-Request-ID on {url}: {headers.get('x-request-id')!r}"
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, f"{name} on {url}: {headers.get(name)!r}"
    assert "default-src 'self'" in headers.get("content-security-policy", ""), url
    assert "camera=()" in headers.get("permissions-policy", ""), url


async def test_gateway_headers_and_english(system: System, page: Page, journey: Journey) -> None:
    seen: list[Response] = []
    page.on("response", lambda response: seen.append(response))

    await page.goto("/?lang=en")
    await journey.check("start-en")
    assert await page.locator("html").get_attribute("lang") == "en"
    assert await page.get_by_role("heading", level=1).count() == 1
    assert await page.get_by_role("link", name="Polski").count() == 1

    await page.goto("/zaloguj")
    await journey.check("logowanie-en")
    assert await page.locator("html").get_attribute("lang") == "en"

    await page.goto("/?lang=pl")
    assert await page.locator("html").get_attribute("lang") == "pl"

    assert len(seen) >= 4
    for response in seen:
        assert_gateway_headers(response.url, await response.all_headers())

    token = system.staff_token("urzad")
    async with system.api(token) as api:
        answers = [
            await api.get("/registry/v1/editions"),
            await api.get("/matching/v1/tasks", params={"limit": 1}),
            await api.get("/reporting/v1/reports/summary"),
            await api.get("/notifications/v1/messages/does-not-exist"),
        ]
    async with httpx.AsyncClient(base_url=system.url) as anonymous:
        answers.append(await anonymous.get("/api/registry/v1/editions"))
        answers.append(await anonymous.get("/api/matching/health/ready"))
        chosen_id = await anonymous.get("/", headers={"x-request-id": "browser-test-1"})
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    assert answers[4].status_code == 401
    assert answers[5].status_code == 404
    for answer in [*answers, chosen_id]:
        assert_gateway_headers(str(answer.url), dict(answer.headers))
    assert request_ids(dict(chosen_id.headers)) == {"browser-test-1"}
