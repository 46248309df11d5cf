"""JWT verification for the HTTP APIs: signature (JWKS or a key), issuer, audience, expiry.

Roles: city_admin (everything), trainer (assigned branches, read and monitoring),
coordinator (own branch), district_admin (the branches of the district library they
administer, in registry), volunteer (own data). Keycloak puts roles in
``realm_access.roles``; a plain ``roles`` claim is read too. Branch scope comes from the
``branches`` claim, OAuth scopes from ``scope``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Request

from shared.problems import Problem
from shared.settings import ServiceSettings, development_mode

ROLES = ("city_admin", "trainer", "coordinator", "district_admin", "volunteer")


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    branches: frozenset[str] = field(default_factory=frozenset)

    def has_any_role(self, roles: Iterable[str]) -> bool:
        return not self.roles.isdisjoint(roles)

    def can_act_for_branch(self, branch: str) -> bool:
        """City admins act everywhere; staff only for the branches in their token."""
        return "city_admin" in self.roles or branch in self.branches


class TokenVerifier:
    """Verifies the platform's bearer tokens.

    Staff tokens come from the identity provider (Keycloak in production: RS256 through
    JWKS or a configured public key; an HS256 development secret where one is set).
    Volunteer sessions come from the console's own issuer and may hold the volunteer role
    only, whatever they claim. The key is chosen by issuer and algorithm, never by a key
    the token brings, so an RS256 public key can never be used as an HMAC secret.
    """

    def __init__(self, settings: ServiceSettings) -> None:
        self._issuer = settings.auth_issuer
        self._audience = settings.auth_audience
        self._leeway = settings.auth_leeway_s
        self._jwks = jwt.PyJWKClient(settings.auth_jwks_url) if settings.auth_jwks_url else None
        self._public_key = settings.auth_public_key
        # HS256 is a development convenience: outside development it is refused altogether.
        self._shared_secret = settings.auth_shared_secret if development_mode() else None
        self._asymmetric_algorithms = list(settings.auth_algorithms)
        self._volunteer_issuer = settings.auth_volunteer_issuer
        self._volunteer_key = settings.auth_volunteer_public_key
        if self._volunteer_key is None and settings.auth_volunteer_public_key_file is not None:
            self._volunteer_key = settings.auth_volunteer_public_key_file.read_text()

    @property
    def configured(self) -> bool:
        return any((self._jwks, self._public_key, self._shared_secret, self._volunteer_key))

    async def verify(self, token: str) -> Principal:
        if not self.configured:
            raise Problem(
                503,
                "Authentication is not configured",
                "no JWKS URL, public key or development secret is set",
            )
        try:
            header = jwt.get_unverified_header(token)
            claimed_issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError as error:
            raise Problem(401, "Invalid token", str(error)) from error
        if claimed_issuer == self._volunteer_issuer and self._volunteer_key:
            claims = self._decode(
                token, self._volunteer_key, ["RS256"], issuer=self._volunteer_issuer
            )
            principal = principal_from_claims(claims)
            return replace(principal, roles=principal.roles & {"volunteer"}, branches=frozenset())
        algorithm = str(header.get("alg", ""))
        signing_key: Any
        if algorithm.startswith("HS"):
            if self._shared_secret is None:
                raise Problem(401, "Invalid token", "HMAC-signed tokens are not accepted here")
            signing_key, algorithms = self._shared_secret, ["HS256"]
        elif self._jwks is not None:
            # PyJWKClient fetches over blocking HTTP (cached); keep it off the event loop.
            jwks = self._jwks
            signing_key = (await asyncio.to_thread(jwks.get_signing_key_from_jwt, token)).key
            algorithms = self._asymmetric_algorithms
        elif self._public_key is not None:
            signing_key, algorithms = self._public_key, self._asymmetric_algorithms
        else:
            raise Problem(401, "Invalid token", f"tokens signed with {algorithm} are not accepted")
        return principal_from_claims(
            self._decode(token, signing_key, algorithms, issuer=self._issuer)
        )

    def _decode(
        self, token: str, key: Any, algorithms: list[str], *, issuer: str
    ) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self._audience,
                issuer=issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise Problem(401, "Invalid token", str(error)) from error
        return claims


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    roles = set(claims.get("roles") or [])
    realm_access = claims.get("realm_access")
    if isinstance(realm_access, Mapping):
        roles.update(realm_access.get("roles") or [])
    return Principal(
        subject=str(claims["sub"]),
        roles=frozenset(role for role in roles if role in ROLES),
        scopes=frozenset(str(claims.get("scope") or "").split()),
        branches=frozenset(str(branch) for branch in claims.get("branches") or []),
    )


def require_roles(*roles: str) -> Callable[[Request], Awaitable[Principal]]:
    """A FastAPI dependency: a verified principal holding one of ``roles`` (city_admin always)."""
    allowed = {"city_admin", *roles}

    async def dependency(request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Problem(401, "Authentication required", "send 'Authorization: Bearer <token>'")
        verifier: TokenVerifier = request.app.state.token_verifier
        principal = await verifier.verify(token)
        request.state.principal = principal  # for the audit log of this request
        if not principal.has_any_role(allowed):
            raise Problem(
                403, "Forbidden", f"this needs one of the roles: {', '.join(sorted(allowed))}"
            )
        return principal

    return dependency


def token_claims(
    *,
    subject: str,
    roles: Iterable[str],
    issuer: str,
    audience: str,
    branches: Iterable[str] = (),
    lifetime_s: int = 3600,
    **claims: Any,
) -> dict[str, Any]:
    """The claims of a platform token, valid from now for ``lifetime_s`` seconds."""
    now = int(time.time())
    return {
        # Every token its own id: two tokens of one second are never the same string.
        "jti": uuid.uuid4().hex,
        **claims,
        "sub": subject,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + lifetime_s,
        "roles": list(roles),
        "branches": list(branches),
    }


def mint_token(secret: str, **claims: Any) -> str:
    """A development token signed with the shared secret (never used in production);
    ``claims`` as for ``token_claims``."""
    return jwt.encode(token_claims(**claims), secret, algorithm="HS256")


def generate_key_pair() -> tuple[str, str]:
    """A fresh RSA key pair as PEM text: (private, public)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return private_pem, public_key_of(private_pem)


def public_key_of(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def load_or_create_key_pair(path: Path) -> tuple[str, str]:
    """A development signing key kept in ``path`` (made on first use, readable by owner only)."""
    if not path.exists():
        private_pem, _ = generate_key_pair()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(private_pem)
    private_pem = path.read_text()
    return private_pem, public_key_of(private_pem)


def key_id(public_pem: str) -> str:
    """A stable ``kid`` for a public key: its SHA-256, shortened."""
    return hashlib.sha256(public_pem.encode()).hexdigest()[:16]


def public_jwks(public_pem: str) -> dict[str, Any]:
    """The JSON Web Key Set that publishes ``public_pem`` (an issuer's ``certs`` endpoint)."""
    public_key = serialization.load_pem_public_key(public_pem.encode())
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise ValueError("the development issuer signs with RSA keys only")
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public_key))
    jwk.update({"kid": key_id(public_pem), "use": "sig", "alg": "RS256"})
    return {"keys": [jwk]}


def sign_token(private_pem: str, **claims: Any) -> str:
    """An RS256 token, as an identity provider signs it (the development issuer uses this);
    ``claims`` as for ``token_claims``."""
    return jwt.encode(
        token_claims(**claims),
        private_pem,
        algorithm="RS256",
        headers={"kid": key_id(public_key_of(private_pem))},
    )


def main() -> int:
    """``python -m shared.auth --role city_admin``: print a development token.

    ``python -m shared.auth --dev-key PATH``: make the development signing key if missing
    and print its public half (what the services verify the local issuer's tokens with).
    """
    import argparse
    import os

    from shared.settings import ServiceSettings

    defaults = ServiceSettings.model_fields
    parser = argparse.ArgumentParser(prog="python -m shared.auth")
    parser.add_argument("--dev-key", type=Path, help="print the public key of this key file")
    parser.add_argument("--role", action="append", choices=ROLES)
    parser.add_argument("--branch", action="append", default=[])
    parser.add_argument("--subject", default="dev-user")
    parser.add_argument("--secret", default=os.environ.get("DEV_AUTH_SECRET"))
    args = parser.parse_args()
    if args.dev_key is not None:
        print(load_or_create_key_pair(args.dev_key)[1], end="")
        return 0
    if not args.role:
        parser.error("name at least one --role")
    if not args.secret:
        parser.error("set DEV_AUTH_SECRET or pass --secret (the services' AUTH_SHARED_SECRET)")
    print(
        mint_token(
            args.secret,
            subject=args.subject,
            roles=args.role,
            branches=args.branch,
            issuer=str(defaults["auth_issuer"].default),
            audience=str(defaults["auth_audience"].default),
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
