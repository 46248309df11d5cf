"""The volunteer's way in: a signed link from a message becomes a short session."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from typing import Any

import jwt
from structlog.testing import capture_logs

from shared.auth import load_or_create_key_pair
from shared.signed_links import sign_link_token

VOLUNTEER = str(uuid.uuid4())


async def test_a_valid_link_opens_a_volunteer_session_signed_by_the_console(console: Any) -> None:
    with capture_logs() as logged:
        entered = await console.browser.get(console.volunteer_link(VOLUNTEER))
    assert entered.status_code == 303
    assert entered.headers["location"] == "/wolontariusz"  # the token leaves the address bar
    assert (await console.browser.get("/")).headers["location"] == "/wolontariusz"
    [audited] = [line for line in logged if line.get("action") == "sign-in"]
    assert (audited["outcome"], audited["subject"]) == ("ok", VOLUNTEER)

    # The session's token is what the services verify: the console's volunteer issuer,
    # the volunteer role only, half an hour.
    volunteer_sessions = console.app.state.volunteer_sessions
    _, public_key = load_or_create_key_pair(console.settings.volunteer_signing_key_file)
    assert volunteer_sessions.public_key == public_key
    user = await volunteer_sessions.open(
        console.volunteer_link(VOLUNTEER).split("t=", 1)[1], console.app.state.store
    )
    claims = jwt.decode(
        user.access_token,
        public_key,
        ["RS256"],
        audience="volunteering-platform",
        issuer="http://127.0.0.1:8080/console",
    )
    assert claims["sub"] == VOLUNTEER and claims["roles"] == ["volunteer"]
    assert 1790 <= claims["exp"] - time.time() <= 1800


async def test_a_link_works_once(console: Any, platform: Any, headings: Any) -> None:
    link = console.volunteer_link(VOLUNTEER)
    assert (await console.browser.get(link)).status_code == 303
    console.browser.cookies.clear()
    with capture_logs() as logged:
        again = await console.browser.get(link)
    assert again.status_code == 403
    assert headings(again) == ["Link jest nieważny"]
    assert "Ten link został już użyty" in again.text
    assert [line["outcome"] for line in logged if line.get("action") == "sign-in"] == [
        "invalid-link"
    ]
    assert (await console.browser.get("/")).status_code == 200  # nobody signed in
    # The jti is what is kept, with the person's id, until the link would have expired.
    [used] = await platform.fetch("SELECT jti, subject FROM console.used_links")
    assert used["subject"] == VOLUNTEER


async def test_revoking_a_persons_links_ends_them_and_their_sessions(
    console: Any, platform: Any
) -> None:
    older = console.volunteer_link(VOLUNTEER)
    other_person = console.volunteer_link(str(uuid.uuid4()))
    assert (await console.browser.get(console.volunteer_link(VOLUNTEER))).status_code == 303
    assert (await console.browser.get("/wolontariusz")).status_code != 401
    session_cookie = console.browser.cookies["konsola"]

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "console",
        "revoke-links",
        "--volunteer",
        VOLUNTEER,
        env={
            **os.environ,
            "CONSOLE_DATABASE_URL": console.settings.database_url,
            "CONSOLE_SESSION_SECRET": "test-session-secret",
            "CONSOLE_DEV_SIGN_IN": "true",
        },
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0
    assert VOLUNTEER in output.decode()

    # The open session has ended, the older link opens nothing; another person's still works.
    console.browser.cookies.clear()
    console.browser.cookies.set("konsola", session_cookie)
    assert (await console.browser.get("/wolontariusz")).status_code == 401
    console.browser.cookies.clear()
    assert (await console.browser.get(older)).status_code == 403
    assert (await console.browser.get(other_person)).status_code == 303
    # A link made after the revocation works again.
    console.browser.cookies.clear()
    assert (await console.browser.get(console.volunteer_link(VOLUNTEER))).status_code == 303
    [revocation] = await platform.fetch("SELECT subject FROM console.link_revocations")
    assert revocation["subject"] == VOLUNTEER


async def test_an_altered_link_shows_a_polish_error_with_403(console: Any, headings: Any) -> None:
    link = console.volunteer_link(VOLUNTEER)
    header, payload, signature = link.split("t=", 1)[1].split(".")
    someone_else = sign_link_token(
        "another-link-secret-of-32-bytes-or-more",
        purpose="volunteer.session",
        subject=VOLUNTEER,
        lifetime_s=600,
    ).split(".")[1]
    for token in (
        f"{header}.{someone_else}.{signature}",
        f"{header}.{payload}.{signature[:-2]}xx",
        "garbage",
    ):
        with capture_logs() as logged:
            refused = await console.browser.get("/wolontariusz/wejscie", params={"t": token})
        assert refused.status_code == 403
        assert headings(refused) == ["Link jest nieważny"]
        assert "Ten link jest nieważny albo wygasł." in refused.text
        assert [line["outcome"] for line in logged if line.get("action") == "sign-in"] == [
            "invalid-link"
        ]
    start = await console.browser.get("/")
    assert start.status_code == 200  # nobody signed in


async def test_an_expired_or_foreign_purpose_link_is_refused(console: Any, headings: Any) -> None:
    expired = console.volunteer_link(VOLUNTEER, lifetime_s=-5)
    refused = await console.browser.get(expired)
    assert refused.status_code == 403
    assert "Link wygasł." in refused.text
    proposal_link = sign_link_token(
        "test-volunteer-link-secret-of-32-bytes",
        purpose="proposal.respond",
        subject=VOLUNTEER,
        lifetime_s=600,
    )
    refused = await console.browser.get("/wolontariusz/wejscie", params={"t": proposal_link})
    assert refused.status_code == 403


async def test_volunteer_pages_without_a_session_ask_for_the_link(
    console: Any, headings: Any
) -> None:
    page = await console.browser.get("/wolontariusz")
    assert page.status_code == 401
    assert headings(page) == ["Otwórz link z wiadomości"]
    await console.sign_in("koordynatorka")
    staff = await console.browser.get("/wolontariusz")
    assert staff.status_code == 403  # staff have their own pages


async def test_language_switch_is_remembered_for_the_session(console: Any, headings: Any) -> None:
    polish = await console.browser.get("/")
    assert '<html lang="pl">' in polish.text
    assert headings(polish) == ["Wolontariat w bibliotekach"]
    assert 'href="/?lang=en"' in polish.text and 'lang="en"' in polish.text

    english = await console.browser.get("/?lang=en")
    assert '<html lang="en">' in english.text
    assert headings(english) == ["Volunteering in libraries"]
    assert "Sign in as staff" in english.text

    error = await console.browser.get("/wolontariusz/wejscie?t=garbage")  # no ?lang= here
    assert headings(error) == ["The link is not valid"]
    assert "This link is invalid or has expired." in error.text

    back = await console.browser.get("/?lang=pl")
    assert headings(back) == ["Wolontariat w bibliotekach"]
    ignored = await console.browser.get("/?lang=xx")
    assert '<html lang="pl">' in ignored.text
