"""Staff tokens: signature, issuer, audience, expiry, roles and branch scope."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI

from shared.auth import Principal, TokenVerifier, require_roles
from shared.problems import PROBLEM_CONTENT_TYPE, Problem, install_problem_handlers
from shared.settings import ServiceSettings

SECRET = "a-shared-secret-for-unit-tests-only-32b"
ISSUER = "https://login.example.waw.pl/realms/warszawa"
AUDIENCE = "volunteering-platform"


def settings(**auth: Any) -> ServiceSettings:
    values: dict[str, Any] = {
        "auth_issuer": ISSUER,
        "auth_audience": AUDIENCE,
        "auth_jwks_url": None,
        "auth_public_key": None,
        "auth_shared_secret": None,
        **auth,
    }
    return ServiceSettings(
        service_name="test",
        database_url="postgresql+asyncpg://test:test@127.0.0.1:5432/test",
        http_port=8000,
        **values,
    )


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    values: dict[str, Any] = {
        "sub": "staff-1",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
        "roles": ["coordinator"],
        "branches": ["WOL-01"],
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def hs256(payload: dict[str, Any], secret: str = SECRET) -> str:
    return jwt.encode(payload, secret, algorithm="HS256")


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def base64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def rejected(verifier: TokenVerifier, token: str) -> Problem:
    with pytest.raises(Problem) as caught:
        await verifier.verify(token)
    return caught.value


# TokenVerifier


async def test_shared_secret_token_gives_its_principal() -> None:
    verifier = TokenVerifier(settings(auth_shared_secret=SECRET))

    principal = await verifier.verify(hs256(claims()))

    assert principal == Principal(
        subject="staff-1",
        roles=frozenset({"coordinator"}),
        scopes=frozenset(),
        branches=frozenset({"WOL-01"}),
    )


async def test_rsa_public_key_verifies_an_rs256_token(rsa_key: rsa.RSAPrivateKey) -> None:
    verifier = TokenVerifier(settings(auth_public_key=public_pem(rsa_key)))

    principal = await verifier.verify(jwt.encode(claims(), rsa_key, algorithm="RS256"))

    assert principal.subject == "staff-1"
    assert principal.roles == {"coordinator"}


async def test_rsa_public_key_rejects_a_token_signed_by_another_key(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    verifier = TokenVerifier(settings(auth_public_key=public_pem(rsa_key)))
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    problem = await rejected(verifier, jwt.encode(claims(), other, algorithm="RS256"))

    assert problem.status == 401


async def test_rsa_public_key_rejects_an_hs256_token_signed_with_the_public_key(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    pem = public_pem(rsa_key)
    verifier = TokenVerifier(settings(auth_public_key=pem))
    header = base64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = base64url(json.dumps(claims()).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = base64url(hmac.new(pem.encode(), signing_input, hashlib.sha256).digest())

    problem = await rejected(verifier, f"{header}.{payload}.{signature}")

    assert problem.status == 401


async def test_expired_token_is_rejected() -> None:
    verifier = TokenVerifier(settings(auth_shared_secret=SECRET))
    long_ago = int(time.time()) - 3600

    problem = await rejected(verifier, hs256(claims(iat=long_ago - 600, exp=long_ago)))

    assert problem.status == 401


async def test_token_expired_within_the_leeway_is_accepted() -> None:
    verifier = TokenVerifier(settings(auth_shared_secret=SECRET, auth_leeway_s=30))

    principal = await verifier.verify(hs256(claims(exp=int(time.time()) - 5)))

    assert principal.subject == "staff-1"


async def test_wrong_audience_is_rejected() -> None:
    verifier = TokenVerifier(settings(auth_shared_secret=SECRET))

    problem = await rejected(verifier, hs256(claims(aud="another-platform")))

    assert problem.status == 401


async def test_wrong_issuer_is_rejected() -> None:
    verifier = TokenVerifier(settings(auth_shared_secret=SECRET))

    problem = await rejected(verifier, hs256(claims(iss="https://evil.example.com/realms/x")))

    assert problem.status == 401


async def test_wrong_signature_is_rejected() -> None:
    verifier = TokenVerifier(settings(auth_shared_secret=SECRET))

    problem = await rejected(verifier, hs256(claims(), secret="another-secret-of-32-bytes-length"))

    assert problem.status == 401


async def test_unsigned_token_is_rejected() -> None:
    verifier = TokenVerifier(settings(auth_shared_secret=SECRET))
    header = base64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    unsigned = f"{header}.{base64url(json.dumps(claims()).encode())}."

    problem = await rejected(verifier, unsigned)

    assert problem.status == 401


@pytest.mark.parametrize("claim", ["sub", "exp", "iss", "aud"])
async def test_token_without_a_required_claim_is_rejected(claim: str) -> None:
    verifier = TokenVerifier(settings(auth_shared_secret=SECRET))

    problem = await rejected(verifier, hs256(claims(**{claim: None})))

    assert problem.status == 401


async def test_garbage_token_is_rejected() -> None:
    verifier = TokenVerifier(settings(auth_shared_secret=SECRET))

    problem = await rejected(verifier, "not.a.jwt")

    assert problem.status == 401


async def test_verifier_without_any_key_is_not_configured_and_answers_503() -> None:
    verifier = TokenVerifier(settings())

    problem = await rejected(verifier, hs256(claims()))

    assert not verifier.configured
    assert problem.status == 503


async def test_keycloak_realm_access_roles_are_read() -> None:
    verifier = TokenVerifier(settings(auth_shared_secret=SECRET))
    token = hs256(claims(roles=None, realm_access={"roles": ["trainer", "offline_access"]}))

    principal = await verifier.verify(token)

    assert principal.roles == {"trainer"}


async def test_roles_from_both_claims_are_combined() -> None:
    verifier = TokenVerifier(settings(auth_shared_secret=SECRET))
    token = hs256(claims(roles=["coordinator"], realm_access={"roles": ["trainer"]}))

    principal = await verifier.verify(token)

    assert principal.roles == {"coordinator", "trainer"}


async def test_unknown_roles_are_ignored() -> None:
    verifier = TokenVerifier(settings(auth_shared_secret=SECRET))
    token = hs256(claims(roles=["superuser", "uma_authorization", "volunteer"]))

    principal = await verifier.verify(token)

    assert principal.roles == {"volunteer"}


async def test_branches_and_scopes_claims_are_read() -> None:
    verifier = TokenVerifier(settings(auth_shared_secret=SECRET))
    token = hs256(claims(branches=["WOL-01", "OCH-02"], scope="openid profile"))

    principal = await verifier.verify(token)

    assert principal.branches == {"WOL-01", "OCH-02"}
    assert principal.scopes == {"openid", "profile"}


async def test_token_without_branches_has_no_branch_scope() -> None:
    verifier = TokenVerifier(settings(auth_shared_secret=SECRET))

    principal = await verifier.verify(hs256(claims(branches=None)))

    assert principal.branches == frozenset()


# Principal


def test_staff_can_act_only_for_the_branches_in_their_token() -> None:
    coordinator = Principal("c-1", roles=frozenset({"coordinator"}), branches=frozenset({"WOL-01"}))

    assert coordinator.can_act_for_branch("WOL-01")
    assert not coordinator.can_act_for_branch("OCH-02")


def test_city_admin_can_act_for_every_branch() -> None:
    admin = Principal("a-1", roles=frozenset({"city_admin"}))

    assert admin.can_act_for_branch("OCH-02")


def test_principal_without_roles_has_none_of_them() -> None:
    assert not Principal("x").has_any_role(["coordinator", "city_admin"])


# require_roles through HTTP


def make_app(verifier: TokenVerifier) -> FastAPI:
    app = FastAPI()
    app.state.token_verifier = verifier
    install_problem_handlers(app)

    @app.get("/coordination")
    async def coordination(
        principal: Annotated[Principal, Depends(require_roles("coordinator"))],
    ) -> dict[str, str]:
        return {"subject": principal.subject}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = make_app(TokenVerifier(settings(auth_shared_secret=SECRET)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_request_without_a_token_gets_401_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/coordination")

    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM_CONTENT_TYPE)
    assert response.json()["status"] == 401


async def test_request_with_another_scheme_gets_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/coordination", headers={"Authorization": "Basic dXNlcjpwdw=="})

    assert response.status_code == 401


async def test_request_with_an_invalid_token_gets_401_problem(client: httpx.AsyncClient) -> None:
    token = hs256(claims(), secret="another-secret-of-32-bytes-length")

    response = await client.get("/coordination", headers=bearer(token))

    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM_CONTENT_TYPE)


async def test_request_with_the_wrong_role_gets_403_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/coordination", headers=bearer(hs256(claims(roles=["volunteer"]))))

    assert response.status_code == 403
    assert response.headers["content-type"].startswith(PROBLEM_CONTENT_TYPE)


async def test_request_with_the_role_gets_200(client: httpx.AsyncClient) -> None:
    response = await client.get("/coordination", headers=bearer(hs256(claims())))

    assert response.status_code == 200
    assert response.json() == {"subject": "staff-1"}


async def test_city_admin_is_always_allowed(client: httpx.AsyncClient) -> None:
    token = hs256(claims(roles=["city_admin"], branches=None))

    response = await client.get("/coordination", headers=bearer(token))

    assert response.status_code == 200
