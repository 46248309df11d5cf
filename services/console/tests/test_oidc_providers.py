"""The sign-in works with any standard OpenID Connect provider, found by discovery.

A second provider with its own layout (Azure-like paths, roles in a ``roles`` claim, no
revocation, no end-session endpoint) is served in-process; the same client that talks to
the development issuer signs a person in against it. The development issuer's journey is
in ``test_signin.py``."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, HTTPException

from console.oidc import OidcClient, SignInFailed
from console.settings import ConsoleSettings

ISSUER = "https://login.example.test/tenant-7/v2.0"
CLIENT_ID = "konsola-wolontariat"
AUDIENCE = "volunteering-platform"
PUBLIC_URL = "https://wolontariat.example.test"


class SecondProvider:
    """Just enough of a standard provider: discovery, authorize (a code per person), token
    (authorization code with PKCE, refresh), keys."""

    def __init__(self, *, issuer_in_discovery: str = ISSUER) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.issuer_in_discovery = issuer_in_discovery
        self.codes: dict[str, dict[str, str]] = {}
        self.refresh_tokens: set[str] = set()

    def authorize(self, query: dict[str, list[str]], subject: str) -> str:
        """The person signed in at the provider: a code bound to the request's challenge."""
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "subject": subject,
            "challenge": query["code_challenge"][0],
            "nonce": query["nonce"][0],
            "redirect_uri": query["redirect_uri"][0],
        }
        return code

    def sign(self, claims: dict[str, Any]) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "iat": now, "exp": now + 300, **claims}
        return jwt.encode(body, self.key, algorithm="RS256", headers={"kid": "second-1"})

    def tokens(self, subject: str, nonce: str | None) -> dict[str, Any]:
        refresh = secrets.token_urlsafe(16)
        self.refresh_tokens.add(refresh)
        access = self.sign(
            {"sub": subject, "aud": AUDIENCE, "roles": ["coordinator"], "name": "Ewa"}
        )
        identity = {"sub": subject, "aud": CLIENT_ID, "given_name": "Ewa", "family_name": "Nowak"}
        if nonce is not None:
            identity["nonce"] = nonce
        return {
            "token_type": "Bearer",
            "access_token": access,
            "id_token": self.sign(identity),
            "refresh_token": refresh,
            "expires_in": 300,
        }

    def app(self) -> FastAPI:
        app = FastAPI()
        base = "/tenant-7"

        @app.get(f"{base}/v2.0/.well-known/openid-configuration")
        async def discovery() -> dict[str, Any]:
            return {
                "issuer": self.issuer_in_discovery,
                "authorization_endpoint": f"https://login.example.test{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"https://login.example.test{base}/oauth2/v2.0/token",
                "jwks_uri": f"https://login.example.test{base}/discovery/v2.0/keys",
                "response_types_supported": ["code"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }

        @app.get(f"{base}/discovery/v2.0/keys")
        async def keys() -> dict[str, Any]:
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return {"keys": [{**jwk, "kid": "second-1", "use": "sig", "alg": "RS256"}]}

        @app.post(f"{base}/oauth2/v2.0/token")
        async def token(
            grant_type: Annotated[str, Form()],
            client_id: Annotated[str, Form()],
            code: Annotated[str | None, Form()] = None,
            code_verifier: Annotated[str | None, Form()] = None,
            redirect_uri: Annotated[str | None, Form()] = None,
            refresh_token: Annotated[str | None, Form()] = None,
        ) -> dict[str, Any]:
            if client_id != CLIENT_ID:
                raise HTTPException(401, "invalid_client")
            if grant_type == "refresh_token":
                if refresh_token not in self.refresh_tokens:
                    raise HTTPException(400, "invalid_grant")
                return self.tokens("second-sub-1", nonce=None)
            issued = self.codes.pop(code or "", None)
            if issued is None or redirect_uri != issued["redirect_uri"]:
                raise HTTPException(400, "invalid_grant")
            digest = hashlib.sha256((code_verifier or "").encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != issued["challenge"]:
                raise HTTPException(400, "invalid_grant: PKCE")
            return self.tokens(issued["subject"], issued["nonce"])

        return app


def settings() -> ConsoleSettings:
    return ConsoleSettings(
        database_url="postgresql+asyncpg://console@127.0.0.1:5432/unused",
        public_url=PUBLIC_URL,
        oidc_issuer=ISSUER,
        oidc_client_id=CLIENT_ID,
        api_audience=AUDIENCE,
        session_secret="a-session-secret-long-enough-for-the-tests-0001",
        volunteer_link_secret="a-link-secret-long-enough-for-the-tests-00001",
    )


async def client_for(provider: SecondProvider) -> AsyncIterator[OidcClient]:
    transport = httpx.ASGITransport(app=provider.app())
    async with httpx.AsyncClient(transport=transport) as http:
        yield OidcClient(settings(), http)


@pytest.fixture
def provider() -> SecondProvider:
    return SecondProvider()


@pytest.fixture
async def oidc(provider: SecondProvider) -> AsyncIterator[OidcClient]:
    async for client in client_for(provider):
        yield client


async def test_a_second_provider_is_found_by_discovery_and_signs_a_person_in(
    oidc: OidcClient, provider: SecondProvider
) -> None:
    url, pending = await oidc.start("/koordynator")
    authorize = urlsplit(url)
    assert (authorize.netloc, authorize.path) == (
        "login.example.test",
        "/tenant-7/oauth2/v2.0/authorize",
    )
    query = parse_qs(authorize.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == [f"{PUBLIC_URL}/zalogowano"]
    assert query["state"] == [pending.state] and query["nonce"] == [pending.nonce]

    code = provider.authorize(query, subject="second-sub-1")
    staff = await oidc.finish(code, pending)
    assert staff.subject == "second-sub-1"
    assert staff.roles == frozenset({"coordinator"})
    assert staff.name == "Ewa Nowak"

    renewed = await oidc.refresh(str(staff.refresh_token))
    assert renewed.subject == "second-sub-1"


async def test_without_the_pkce_verifier_or_with_a_replayed_code_nobody_signs_in(
    oidc: OidcClient, provider: SecondProvider
) -> None:
    url, pending = await oidc.start("/")
    code = provider.authorize(parse_qs(urlsplit(url).query), subject="second-sub-1")
    other = type(pending)(pending.state, pending.nonce, "another-verifier" * 3, "/")
    with pytest.raises(SignInFailed, match="refused: 400"):
        await oidc.finish(code, other)
    with pytest.raises(SignInFailed, match="refused: 400"):
        await oidc.finish(code, pending)  # the code was spent by the first attempt


async def test_a_provider_without_revocation_or_end_session_still_signs_out(
    oidc: OidcClient,
) -> None:
    assert await oidc.revoke("any-refresh-token") is False
    assert await oidc.logout_url() == f"{PUBLIC_URL}/wylogowano"


async def test_a_discovery_document_naming_another_issuer_is_refused() -> None:
    impostor = SecondProvider(issuer_in_discovery="https://login.example.test/other/v2.0")
    async for oidc in client_for(impostor):
        with pytest.raises(SignInFailed, match="another issuer"):
            await oidc.start("/")


async def test_an_unreachable_issuer_is_a_sign_in_failure_not_a_crash() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
        oidc = OidcClient(settings(), http)
        with pytest.raises(SignInFailed, match="discovery document"):
            await oidc.start("/")
        assert await oidc.logout_url() == f"{PUBLIC_URL}/wylogowano"
