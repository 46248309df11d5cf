"""JWT verification for the HTTP APIs: signature (JWKS or a key), issuer, audience, expiry.

Roles: city_admin (everything), trainer (assigned branches, read and monitoring),
coordinator (own branch), volunteer (own data). Keycloak puts roles in
``realm_access.roles``; a plain ``roles`` claim is read too. Branch scope comes from the
``branches`` claim, OAuth scopes from ``scope``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from fastapi import Request

from shared.problems import Problem
from shared.settings import ServiceSettings

ROLES = ("city_admin", "trainer", "coordinator", "volunteer")


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
    def __init__(self, settings: ServiceSettings) -> None:
        self._issuer = settings.auth_issuer
        self._audience = settings.auth_audience
        self._leeway = settings.auth_leeway_s
        self._jwks = jwt.PyJWKClient(settings.auth_jwks_url) if settings.auth_jwks_url else None
        self._static_key: str | None = settings.auth_public_key or settings.auth_shared_secret
        if settings.auth_jwks_url or settings.auth_public_key:
            self._algorithms = list(settings.auth_algorithms)
        else:
            self._algorithms = ["HS256"]

    @property
    def configured(self) -> bool:
        return self._jwks is not None or self._static_key is not None

    async def verify(self, token: str) -> Principal:
        if self._jwks is not None:
            # PyJWKClient fetches over blocking HTTP (cached); keep it off the event loop.
            signing_key: Any = (
                await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
            ).key
        elif self._static_key is not None:
            signing_key = self._static_key
        else:
            raise Problem(
                503,
                "Authentication is not configured",
                "no JWKS URL, public key or development secret is set",
            )
        try:
            claims = jwt.decode(
                token,
                signing_key,
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise Problem(401, "Invalid token", str(error)) from error
        return principal_from_claims(claims)


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
        if not principal.has_any_role(allowed):
            raise Problem(
                403, "Forbidden", f"this needs one of the roles: {', '.join(sorted(allowed))}"
            )
        return principal

    return dependency


def mint_token(
    secret: str,
    *,
    subject: str,
    roles: Iterable[str],
    issuer: str,
    audience: str,
    branches: Iterable[str] = (),
    lifetime_s: int = 3600,
) -> str:
    """A development token signed with the shared secret (never used in production)."""
    now = int(time.time())
    return jwt.encode(
        {
            "sub": subject,
            "iss": issuer,
            "aud": audience,
            "iat": now,
            "exp": now + lifetime_s,
            "roles": list(roles),
            "branches": list(branches),
        },
        secret,
        algorithm="HS256",
    )


def main() -> int:
    """``python -m shared.auth --role city_admin``: print a development token."""
    import argparse
    import os

    from shared.settings import ServiceSettings

    defaults = ServiceSettings.model_fields
    parser = argparse.ArgumentParser(prog="python -m shared.auth")
    parser.add_argument("--role", action="append", choices=ROLES, required=True)
    parser.add_argument("--branch", action="append", default=[])
    parser.add_argument("--subject", default="dev-user")
    parser.add_argument("--secret", default=os.environ.get("DEV_AUTH_SECRET"))
    args = parser.parse_args()
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
