"""The development issuer end to end: authorize, code, token with PKCE, keys.

Its tokens must verify with the services' own verifier configured with its public key,
and the token endpoint must refuse what an OAuth server refuses.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt

from console.oidc import code_challenge
from shared.auth import TokenVerifier, key_id, load_or_create_key_pair
from shared.settings import ServiceSettings

ISSUER = "http://127.0.0.1:8080/auth/realms/warszawa"
ENDPOINTS = "/auth/realms/warszawa/protocol/openid-connect"
CALLBACK = "http://127.0.0.1:8080/zalogowano"


async def authorize(console: Any, *, username: str, verifier: str, nonce: str = "n-1") -> str:
    """Choose ``username`` on the sign-in page; the code the issuer sends back."""
    query = {
        "response_type": "code",
        "client_id": "staff-console",
        "redirect_uri": CALLBACK,
        "state": "s-1",
        "nonce": nonce,
        "code_challenge": code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    page = await console.browser.get(f"{ENDPOINTS}/auth?{urlencode(query)}")
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    user_id = {"koordynatorka": "kc-coordinator-4", "urzad": "kc-city-1"}[username]
    form = {key: value for key, value in query.items() if key != "response_type"}
    back = await console.browser.post(
        f"{ENDPOINTS}/auth", data={**form, "user_id": user_id, "csrf": csrf.group(1)}
    )
    assert back.status_code == 303
    location = urlsplit(back.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    returned = parse_qs(location.query)
    assert returned["state"] == ["s-1"] and returned["iss"] == [ISSUER]
    return str(returned["code"][0])


async def redeem(console: Any, code: str, verifier: str, **changes: str) -> Any:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "client_id": "staff-console",
        "code_verifier": verifier,
        **changes,
    }
    return await console.browser.post(f"{ENDPOINTS}/token", data=form)


def verifier_for(public_key: str) -> TokenVerifier:
    """The services' verifier, configured as ``make run`` configures them."""
    settings = ServiceSettings(
        service_name="matching",
        database_url="postgresql://unused",
        http_port=0,
        auth_public_key=public_key,
    )
    return TokenVerifier(settings)


async def test_sign_in_page_lists_the_realms_demo_users_in_polish(console: Any) -> None:
    verifier = secrets.token_urlsafe(48)
    query = urlencode(
        {
            "client_id": "staff-console",
            "redirect_uri": CALLBACK,
            "state": "s",
            "code_challenge": code_challenge(verifier),
            "response_type": "code",
            "code_challenge_method": "S256",
        }
    )
    page = await console.browser.get(f"{ENDPOINTS}/auth?{query}")
    assert '<html lang="pl">' in page.text
    assert "<h1>Logowanie deweloperskie</h1>" in page.text
    buttons = re.findall(r'<button type="submit" name="user_id"[^>]*>(.*?)</button>', page.text)
    assert "Zaloguj jako Barbara Wieczorek" in buttons
    assert "Zaloguj jako Anna Miejska" in buttons
    assert "Zaloguj jako Dyrekcja Biblioteki Białołęka" in buttons
    assert len(buttons) == 5

    elsewhere = query.replace("127.0.0.1%3A8080", "evil.example")
    refused = await console.browser.get(f"{ENDPOINTS}/auth?{elsewhere}")
    assert refused.status_code == 400
    assert "Niedozwolony adres powrotu" in refused.text
    plain = query.replace("S256", "plain")
    assert (await console.browser.get(f"{ENDPOINTS}/auth?{plain}")).status_code == 400


async def test_code_and_pkce_verifier_give_tokens_the_services_accept(console: Any) -> None:
    verifier = secrets.token_urlsafe(48)
    code = await authorize(console, username="koordynatorka", verifier=verifier, nonce="n-42")
    answer = await redeem(console, code, verifier)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    tokens = answer.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600

    _, public_key = load_or_create_key_pair(console.settings.dev_signing_key_file)
    principal = await verifier_for(public_key).verify(tokens["access_token"])
    assert principal.subject == "kc-coordinator-4"
    assert principal.roles == {"coordinator"}
    assert principal.branches == {"bialoleka-29"}

    identity = jwt.decode(tokens["id_token"], public_key, ["RS256"], audience="staff-console")
    assert identity["nonce"] == "n-42"
    assert identity["iss"] == ISSUER
    assert (identity["given_name"], identity["family_name"]) == ("Barbara", "Wieczorek")


async def test_token_endpoint_refuses_wrong_verifier_reused_code_and_other_redirect(
    console: Any,
) -> None:
    verifier = secrets.token_urlsafe(48)

    code = await authorize(console, username="urzad", verifier=verifier)
    wrong = await redeem(console, code, secrets.token_urlsafe(48))
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    assert "verifier" in wrong.json()["error_description"]
    # A refused attempt spends the code: guessing verifiers gets one try per code.
    assert (await redeem(console, code, verifier)).status_code == 400

    code = await authorize(console, username="urzad", verifier=verifier)
    granted = await redeem(console, code, verifier)
    assert granted.status_code == 200
    reused = await redeem(console, code, verifier)
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"

    # Refresh tokens renew once each; the renewal brings the next one.
    refresh = {"grant_type": "refresh_token", "client_id": "staff-console"}
    first = granted.json()["refresh_token"]
    renewed = await console.browser.post(
        f"{ENDPOINTS}/token", data={**refresh, "refresh_token": first}
    )
    assert renewed.status_code == 200
    assert renewed.json()["refresh_token"] != first
    again = await console.browser.post(
        f"{ENDPOINTS}/token", data={**refresh, "refresh_token": first}
    )
    assert again.json()["error"] == "invalid_grant"

    code = await authorize(console, username="urzad", verifier=verifier)
    other_redirect = await redeem(
        console, code, verifier, redirect_uri="http://127.0.0.1:8080/gdzie-indziej"
    )
    assert other_redirect.status_code == 400
    assert "redirect_uri" in other_redirect.json()["error_description"]

    code = await authorize(console, username="urzad", verifier=verifier)
    other_client = await redeem(console, code, verifier, client_id="another-client")
    assert other_client.status_code == 400

    unsupported = await redeem(console, "x", verifier, grant_type="password")
    assert unsupported.json()["error"] == "unsupported_grant_type"


async def test_keys_and_discovery_publish_what_signs_the_tokens(console: Any) -> None:
    _, public_key = load_or_create_key_pair(console.settings.dev_signing_key_file)
    keys = (await console.browser.get(f"{ENDPOINTS}/certs")).json()
    [key] = keys["keys"]
    assert key["kid"] == key_id(public_key)
    assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")

    verifier = secrets.token_urlsafe(48)
    code = await authorize(console, username="urzad", verifier=verifier)
    access_token = (await redeem(console, code, verifier)).json()["access_token"]
    signing_key = jwt.PyJWKSet.from_dict(keys)[key["kid"]].key
    claims = jwt.decode(
        access_token, signing_key, ["RS256"], audience="volunteering-platform", issuer=ISSUER
    )
    assert claims["roles"] == ["city_admin"]

    discovery = await console.browser.get("/auth/realms/warszawa/.well-known/openid-configuration")
    assert discovery.json()["issuer"] == ISSUER
    assert discovery.json()["jwks_uri"] == f"{ISSUER}/protocol/openid-connect/certs"
    assert discovery.json()["code_challenge_methods_supported"] == ["S256"]
