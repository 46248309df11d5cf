"""The staff sign-in: an OpenID Connect client (authorization code + PKCE, S256).

Endpoints follow Keycloak's layout under the issuer URL. The browser goes to the issuer's
public URL; the console's own calls (token, keys) go to ``oidc_server_url``, which differs
inside a container network. Tokens are verified here too (signature by the issuer's keys,
issuer, audience, expiry; the ID token's nonce) before anything in them is trusted.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from console.settings import ConsoleSettings
from shared.auth import principal_from_claims

ALGORITHMS = ["RS256", "ES256"]


class SignInFailed(Exception):
    """The issuer's answer could not be used (refused code, bad token, unreachable issuer)."""


@dataclass(frozen=True)
class PendingSignIn:
    """What the console remembers between sending the browser away and its return."""

    state: str
    nonce: str
    verifier: str
    next_path: str

    def to_session(self) -> dict[str, str]:
        return {
            "state": self.state,
            "nonce": self.nonce,
            "verifier": self.verifier,
            "next": self.next_path,
        }

    @classmethod
    def from_session(cls, data: dict[str, str]) -> PendingSignIn:
        return cls(data["state"], data["nonce"], data["verifier"], data["next"])


@dataclass(frozen=True)
class SignedInStaff:
    subject: str
    name: str
    roles: frozenset[str]
    branches: tuple[str, ...]
    access_token: str
    expires_at: float
    refresh_token: str | None


def code_challenge(verifier: str) -> str:
    """PKCE S256: base64url(SHA-256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcClient:
    def __init__(self, settings: ConsoleSettings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http
        self._issuer = settings.oidc_issuer.rstrip("/")
        self._server = settings.oidc_server_url
        self._keys: dict[str, Any] = {}

    # -- the browser's side -----------------------------------------------------------------

    def start(self, next_path: str) -> tuple[str, PendingSignIn]:
        """The issuer's authorize URL to send the browser to, and what to remember."""
        pending = PendingSignIn(
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            verifier=secrets.token_urlsafe(48),
            next_path=next_path,
        )
        query = {
            "response_type": "code",
            "client_id": self._settings.oidc_client_id,
            "redirect_uri": self._settings.callback_url,
            "scope": self._settings.oidc_scope,
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": code_challenge(pending.verifier),
            "code_challenge_method": "S256",
        }
        return f"{self._issuer}/protocol/openid-connect/auth?{urlencode(query)}", pending

    def logout_url(self) -> str:
        """The issuer's end-session URL, coming back to the console's "signed out" page."""
        query = {
            "client_id": self._settings.oidc_client_id,
            "post_logout_redirect_uri": f"{self._settings.public_url.rstrip('/')}/wylogowano",
        }
        return f"{self._issuer}/protocol/openid-connect/logout?{urlencode(query)}"

    # -- the console's side -----------------------------------------------------------------

    async def finish(self, code: str, pending: PendingSignIn) -> SignedInStaff:
        """Exchange the code (with the PKCE verifier) and verify what comes back."""
        tokens = await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self._settings.callback_url,
                "client_id": self._settings.oidc_client_id,
                "code_verifier": pending.verifier,
            }
        )
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise SignInFailed("the issuer sent no ID token")
        identity = await self.verify(id_token, audience=self._settings.oidc_client_id)
        if not secrets.compare_digest(str(identity.get("nonce", "")), pending.nonce):
            raise SignInFailed("the ID token's nonce does not match this sign-in")
        return await self._staff(tokens, identity)

    async def refresh(self, refresh_token: str) -> SignedInStaff:
        """A new access token for the same person (the issuer's session still lives)."""
        tokens = await self._token_request(
            {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self._settings.oidc_client_id,
            }
        )
        return await self._staff(tokens, identity={})

    async def revoke(self, refresh_token: str) -> bool:
        """Revoke the refresh token at the issuer (RFC 7009; Keycloak's ``revoke`` endpoint),
        so that nobody renews access with it after sign-out. False if the issuer did not
        confirm (the console's session ends all the same)."""
        url = f"{self._server}/protocol/openid-connect/revoke"
        try:
            response = await self._http.post(
                url,
                data={
                    "token": refresh_token,
                    "token_type_hint": "refresh_token",
                    "client_id": self._settings.oidc_client_id,
                },
            )
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def verify(self, token: str, *, audience: str) -> dict[str, Any]:
        """The claims of a token signed by the issuer's keys, for ``audience``, not expired."""
        try:
            key_id = jwt.get_unverified_header(token).get("kid")
            key = await self._key(str(key_id))
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=audience,
                issuer=self._issuer,
                leeway=self._settings.token_leeway_s,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise SignInFailed(f"the token was refused: {error}") from error
        return claims

    async def _staff(self, tokens: dict[str, Any], identity: dict[str, Any]) -> SignedInStaff:
        access_token = tokens.get("access_token")
        if not isinstance(access_token, str):
            raise SignInFailed("the issuer sent no access token")
        claims = await self.verify(access_token, audience=self._settings.api_audience)
        principal = principal_from_claims(claims)
        names = {**claims, **identity}
        full_name = " ".join(
            str(names[part]) for part in ("given_name", "family_name") if names.get(part)
        )
        refresh_token = tokens.get("refresh_token")
        return SignedInStaff(
            subject=principal.subject,
            name=full_name or str(names.get("preferred_username") or ""),
            roles=principal.roles,
            branches=tuple(sorted(principal.branches)),
            access_token=access_token,
            expires_at=float(claims.get("exp") or time.time()),
            refresh_token=refresh_token if isinstance(refresh_token, str) else None,
        )

    async def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        url = f"{self._server}/protocol/openid-connect/token"
        try:
            response = await self._http.post(url, data=form)
        except httpx.HTTPError as error:
            raise SignInFailed(f"the issuer is not reachable: {error}") from error
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or not isinstance(body, dict):
            reason = body.get("error_description") or body.get("error") if body else None
            raise SignInFailed(f"the issuer refused: {response.status_code} {reason or ''}")
        return body

    async def _key(self, key_id: str) -> Any:
        """The issuer's public key ``key_id`` (keys are fetched again for an unknown id)."""
        if key_id not in self._keys:
            url = f"{self._server}/protocol/openid-connect/certs"
            try:
                response = await self._http.get(url)
                response.raise_for_status()
                key_set = jwt.PyJWKSet.from_dict(response.json())
            except (httpx.HTTPError, jwt.PyJWTError, ValueError) as error:
                raise SignInFailed(f"the issuer's keys are not available: {error}") from error
            self._keys = {str(jwk.key_id): jwk.key for jwk in key_set.keys}
        if key_id not in self._keys:
            raise SignInFailed(f"the issuer has no key {key_id!r}")
        return self._keys[key_id]
