"""Staff sign-in through the OIDC client, the session it leaves, CSRF, sign-out."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import Depends
from structlog.testing import capture_logs

from console import web
from console.oidc import OidcClient, SignInFailed


async def test_callback_exchanges_the_code_and_keeps_the_person_in_the_session(
    console: Any,
) -> None:
    to_issuer = await console.browser.get("/zaloguj?next=/miasto/raporty")
    authorize = urlsplit(to_issuer.headers["location"])
    assert authorize.path == "/auth/realms/warszawa/protocol/openid-connect/auth"
    query = parse_qs(authorize.query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == ["http://127.0.0.1:8080/zalogowano"]
    assert len(query["code_challenge"][0]) == 43 and query["state"] and query["nonce"]

    with capture_logs() as logged:
        landed = await console.sign_in("urzad", next_path="/miasto/raporty")
    # Back where the person was going, with their session.
    assert landed.history[-1].headers["location"] == "/miasto/raporty"
    start = await console.browser.get("/")
    assert start.status_code == 303 and start.headers["location"] == "/miasto"
    [signed_in] = [line for line in logged if line.get("action") == "sign-in"]
    assert signed_in["outcome"] == "ok" and signed_in["subject"] == "kc-city-1"
    assert "Anna" not in str(signed_in)  # ids only in the audit log

    page = await console.browser.get("/wylogowano")  # any page shows the person's name
    assert "Anna Miejska" in page.text
    assert 'action="/wyloguj"' in page.text


async def test_each_role_starts_on_its_own_page(console: Any) -> None:
    landed = await console.sign_in("koordynatorka")
    assert landed.history[-1].headers["location"] == "/koordynator"
    start = await console.browser.get("/")
    assert start.headers["location"] == "/koordynator"


async def test_a_callback_with_another_state_is_refused(console: Any, headings: Any) -> None:
    await console.browser.get("/zaloguj")
    forged = await console.browser.get("/zalogowano?code=abc&state=not-the-one")
    assert forged.status_code == 401
    assert headings(forged) == ["Logowanie nie powiodło się"]
    unexpected = await console.browser.get("/zalogowano?code=abc&state=whatever")
    assert unexpected.status_code == 401  # no sign-in in progress any more
    start = await console.browser.get("/")
    assert start.status_code == 200  # still nobody signed in


async def test_forms_without_the_sessions_csrf_token_are_refused(
    console: Any, headings: Any
) -> None:
    await console.sign_in("koordynatorka")
    missing = await console.browser.post("/wyloguj", data={})
    assert missing.status_code == 403
    assert headings(missing) == ["Brak dostępu"]
    assert "Formularz wygasł" in missing.text
    forged = await console.browser.post("/wyloguj", data={"csrf": "guessed"})
    assert forged.status_code == 403
    assert (await console.browser.get("/")).headers["location"] == "/koordynator"  # still in


async def test_sign_out_ends_both_sessions(console: Any) -> None:
    await console.sign_in("koordynatorka")
    csrf = await console.csrf("/wylogowano")
    out = await console.browser.post("/wyloguj", data={"csrf": csrf})
    assert out.status_code == 303
    logout = urlsplit(out.headers["location"])
    assert logout.path == "/auth/realms/warszawa/protocol/openid-connect/logout"
    assert parse_qs(logout.query)["post_logout_redirect_uri"] == [
        "http://127.0.0.1:8080/wylogowano"
    ]
    back = await console.browser.get(out.headers["location"])
    assert back.headers["location"] == "http://127.0.0.1:8080/wylogowano"
    assert (await console.browser.get("/")).status_code == 200  # the welcome page again


async def test_a_copied_session_cookie_stops_working_after_sign_out(
    console: Any, platform: Any
) -> None:
    serve_subject_and_token(console)
    await console.sign_in("koordynatorka")
    copied = console.browser.cookies["konsola"]
    [stored] = await platform.fetch("SELECT data FROM console.sessions")
    refresh_token = json.loads(stored["data"])["refresh_token"]
    # The cookie holds the session's id only: no token, no name, no refresh token.
    assert "." not in copied and refresh_token not in copied and len(copied) < 64
    assert (await console.browser.get("/koordynator-test")).status_code == 200

    csrf = await console.csrf("/koordynator")
    assert (await console.browser.post("/wyloguj", data={"csrf": csrf})).status_code == 303
    assert await platform.fetch("SELECT 1 FROM console.sessions WHERE subject IS NOT NULL") == []

    # Replayed from another browser: nobody is signed in with it.
    console.browser.cookies.clear()
    console.browser.cookies.set("konsola", copied)
    replayed = await console.browser.get("/koordynator-test")
    assert replayed.status_code == 303
    assert replayed.headers["location"].startswith("/zaloguj")
    # And the issuer renews nothing with the refresh token the session held.
    renewed = await console.browser.post(
        "/auth/realms/warszawa/protocol/openid-connect/token",
        data={
            "grant_type": "refresh_token",
            "client_id": "staff-console",
            "refresh_token": refresh_token,
        },
    )
    assert renewed.status_code == 400
    assert renewed.json()["error"] == "invalid_grant"


async def test_sign_out_asks_the_issuer_to_revoke_the_refresh_token(
    console: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await console.sign_in("koordynatorka")
    revoked: list[str] = []
    original = OidcClient.revoke

    async def recording(self: OidcClient, refresh_token: str) -> bool:
        revoked.append(refresh_token)
        return await original(self, refresh_token)

    monkeypatch.setattr(OidcClient, "revoke", recording)
    csrf = await console.csrf("/koordynator")
    with capture_logs() as logged:
        await console.browser.post("/wyloguj", data={"csrf": csrf})
    assert len(revoked) == 1
    [audited] = [line for line in logged if line.get("action") == "sign-out"]
    assert audited["refresh_token_revoked"] is True


def serve_subject_and_token(console: Any) -> None:
    """A staff page for these tests: who the console sees, and the token it holds."""

    async def staff_page(
        user: Annotated[web.User, Depends(web.require_role("coordinator"))],
    ) -> list[str]:
        return [user.subject, user.access_token]

    console.app.add_api_route("/koordynator-test", staff_page)


def expire_sessions(console: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The console's clock moves past the access token's expiry."""
    later = time.time() + console.settings.dev_token_lifetime_s + 1
    monkeypatch.setattr(web, "time", SimpleNamespace(time=lambda: later))


async def test_an_expired_access_token_is_renewed_while_the_issuer_session_lives(
    console: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_subject_and_token(console)
    await console.sign_in("koordynatorka")
    subject, first_token = (await console.browser.get("/koordynator-test")).json()
    assert subject == "kc-coordinator-4"
    expire_sessions(console, monkeypatch)
    renewed = await console.browser.get("/koordynator-test")
    assert renewed.status_code == 200
    assert renewed.json()[0] == "kc-coordinator-4"
    assert renewed.json()[1] != first_token


async def test_an_expired_token_the_issuer_will_not_renew_sends_staff_to_sign_in(
    console: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_subject_and_token(console)
    await console.sign_in("koordynatorka")

    async def issuer_session_ended(self: OidcClient, refresh_token: str) -> None:
        raise SignInFailed("the issuer refused: 400 invalid_grant")

    monkeypatch.setattr(OidcClient, "refresh", issuer_session_ended)
    expire_sessions(console, monkeypatch)
    expired = await console.browser.get("/koordynator-test?strona=2")
    assert expired.status_code == 303
    assert expired.headers["location"] == "/zaloguj?next=%2Fkoordynator-test%3Fstrona%3D2"
    assert (await console.browser.get("/")).status_code == 200  # the welcome page


async def test_a_role_the_page_does_not_serve_gets_a_polish_403(
    console: Any, headings: Any
) -> None:
    async def city_page(_: Annotated[web.User, Depends(web.require_role("trainer"))]) -> str:
        return "ok"

    console.app.add_api_route("/miasto-test", city_page)

    await console.sign_in("koordynatorka")
    refused = await console.browser.get("/miasto-test")
    assert refused.status_code == 403
    assert headings(refused) == ["Brak dostępu"]
    assert "Nie masz dostępu do tej strony." in refused.text


async def test_unknown_pages_and_bad_input_get_polish_pages_or_problem_json(
    console: Any, headings: Any
) -> None:
    missing = await console.browser.get("/nie-ma-takiej")
    assert missing.status_code == 404
    assert headings(missing) == ["Nie ma takiej strony"]
    assert missing.headers["content-type"].startswith("text/html")
    as_json = await console.browser.get("/nie-ma-takiej", headers={"accept": "application/json"})
    assert as_json.headers["content-type"] == "application/problem+json"
    assert as_json.json()["status"] == 404
    bad = await console.browser.get("/wolontariusz/propozycje/not-a-uuid?token=0123456789")
    assert bad.status_code == 400
    assert headings(bad) == ["Nieprawidłowe dane"]
