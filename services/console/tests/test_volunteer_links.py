"""The volunteer's way in: a signed link from a message becomes a short session."""

from __future__ import annotations

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
    user = volunteer_sessions.open(console.volunteer_link(VOLUNTEER).split("t=", 1)[1])
    claims = jwt.decode(
        user.access_token,
        public_key,
        ["RS256"],
        audience="volunteering-platform",
        issuer="http://127.0.0.1:8080/console",
    )
    assert claims["sub"] == VOLUNTEER and claims["roles"] == ["volunteer"]
    assert 1790 <= claims["exp"] - time.time() <= 1800


async def test_an_altered_link_shows_a_polish_error_with_403(console: Any, headings: Any) -> None:
    link = console.volunteer_link(VOLUNTEER)
    payload, signature = link.split("t=", 1)[1].split(".")
    someone_else = sign_link_token(
        "another-secret", purpose="volunteer.session", subject=VOLUNTEER, lifetime_s=600
    ).split(".")[0]
    for token in (f"{someone_else}.{signature}", f"{payload}.{signature[:-2]}xx", "garbage"):
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
        "test-volunteer-link-secret",
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
