"""The staff sign-in: an OpenID Connect client (authorization code + PKCE, S256).

Any standard identity provider: the endpoints come from the issuer's discovery document
(``/.well-known/openid-configuration``, checked with Authlib's provider metadata), and the
authorize URL, PKCE challenge and token requests are built by Authlib's OAuth 2.0
functions. The browser goes to the issuer's public URLs; the console's own calls (discovery,
token, keys, revocation) go to ``oidc_server_url``, which differs inside a container
network. Tokens are verified here too (signature by the issuer's keys, issuer, audience,
expiry; the ID token's nonce) before anything in them is trusted.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.discovery import OpenIDProviderMetadata

from console.settings import ConsoleSettings
from shared.auth import principal_from_claims

ALGORITHMS = ["RS256", "ES256"]
DISCOVERY_PATH = "/.well-known/openid-configuration"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


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


@dataclass(frozen=True)
class Provider:
    """The issuer's endpoints from its discovery document: ``authorize`` and ``end_session``
    as the browser reaches them, the others as the console does."""

    authorize: str
    token: str
    keys: str
    revocation: str | None
    end_session: str | None


def code_challenge(verifier: str) -> str:
    """PKCE S256: base64url(SHA-256(verifier)) without padding."""
    return str(create_s256_code_challenge(verifier))


class OidcClient:
    def __init__(self, settings: ConsoleSettings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http
        self._issuer = settings.oidc_issuer.rstrip("/")
        self._server = settings.oidc_server_url
        self._provider: Provider | None = None
        self._keys: dict[str, Any] = {}

    # -- the browser's side -----------------------------------------------------------------

    async def start(self, next_path: str) -> tuple[str, PendingSignIn]:
        """The issuer's authorize URL to send the browser to, and what to remember."""
        provider = await self.provider()
        pending = PendingSignIn(
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            verifier=secrets.token_urlsafe(48),
            next_path=next_path,
        )
        url = prepare_grant_uri(
            provider.authorize,
            client_id=self._settings.oidc_client_id,
            response_type="code",
            redirect_uri=self._settings.callback_url,
            scope=self._settings.oidc_scope,
            state=pending.state,
            nonce=pending.nonce,
            code_challenge=code_challenge(pending.verifier),
            code_challenge_method="S256",
        )
        return str(url), pending

    async def logout_url(self) -> str:
        """The issuer's end-session URL (RP-initiated logout), coming back to the console's
        "signed out" page; the console's own page when the issuer offers none."""
        signed_out = f"{self._settings.public_url.rstrip('/')}/wylogowano"
        try:
            provider = await self.provider()
        except SignInFailed:
            return signed_out
        if provider.end_session is None:
            return signed_out
        return str(
            prepare_grant_uri(
                provider.end_session,
                client_id=self._settings.oidc_client_id,
                response_type=None,
                post_logout_redirect_uri=signed_out,
            )
        )

    # -- the console's side -----------------------------------------------------------------

    async def provider(self) -> Provider:
        """The issuer's discovery document, fetched once it answers and checked: the
        issuer it names must be the configured one, the endpoints well-formed."""
        if self._provider is not None:
            return self._provider
        url = f"{self._server}{DISCOVERY_PATH}"
        try:
            response = await self._http.get(url)
            response.raise_for_status()
            metadata = OpenIDProviderMetadata(response.json())
            metadata.validate()
        except (httpx.HTTPError, ValueError) as error:
            raise SignInFailed(f"the issuer's discovery document is not usable: {error}") from error
        if str(metadata["issuer"]).rstrip("/") != self._issuer:
            raise SignInFailed(f"the discovery document names another issuer: {metadata['issuer']}")
        revocation = metadata.get("revocation_endpoint")
        end_session = metadata.get("end_session_endpoint")
        self._provider = Provider(
            authorize=str(metadata["authorization_endpoint"]),
            token=self._reached(str(metadata["token_endpoint"])),
            keys=self._reached(str(metadata["jwks_uri"])),
            revocation=self._reached(str(revocation)) if revocation else None,
            end_session=str(end_session) if end_session else None,
        )
        return self._provider

    def _reached(self, endpoint: str) -> str:
        """An endpoint under the issuer's public URL as the console reaches it."""
        if endpoint.startswith(f"{self._issuer}/"):
            return f"{self._server}{endpoint[len(self._issuer) :]}"
        return endpoint

    async def finish(self, code: str, pending: PendingSignIn) -> SignedInStaff:
        """Exchange the code (with the PKCE verifier) and verify what comes back."""
        tokens = await self._token_request(
            "authorization_code",
            code=code,
            redirect_uri=self._settings.callback_url,
            code_verifier=pending.verifier,
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
        tokens = await self._token_request("refresh_token", refresh_token=refresh_token)
        return await self._staff(tokens, identity={})

    async def revoke(self, refresh_token: str) -> bool:
        """Revoke the refresh token at the issuer (RFC 7009), so that nobody renews access
        with it after sign-out. False if the issuer offers no revocation or did not confirm
        (the console's session ends all the same)."""
        try:
            provider = await self.provider()
        except SignInFailed:
            return False
        if provider.revocation is None:
            return False
        form = {
            "token": refresh_token,
            "token_type_hint": "refresh_token",
            "client_id": self._settings.oidc_client_id,
        }
        try:
            response = await self._http.post(provider.revocation, data=form)
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

    async def _token_request(self, grant_type: str, **parameters: str) -> dict[str, Any]:
        """A public client's token request (no secret: PKCE proves the code's origin)."""
        provider = await self.provider()
        body = prepare_token_request(
            grant_type, client_id=self._settings.oidc_client_id, **parameters
        )
        try:
            response = await self._http.post(provider.token, content=body, headers=FORM)
        except httpx.HTTPError as error:
            raise SignInFailed(f"the issuer is not reachable: {error}") from error
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code != 200 or not isinstance(answer, dict):
            reason = answer.get("error_description") or answer.get("error") if answer else None
            raise SignInFailed(f"the issuer refused: {response.status_code} {reason or ''}")
        return answer

    async def _key(self, key_id: str) -> Any:
        """The issuer's public key ``key_id`` (keys are fetched again for an unknown id)."""
        if key_id not in self._keys:
            provider = await self.provider()
            try:
                response = await self._http.get(provider.keys)
                response.raise_for_status()
                key_set = jwt.PyJWKSet.from_dict(response.json())
            except (httpx.HTTPError, jwt.PyJWTError, ValueError) as error:
                raise SignInFailed(f"the issuer's keys are not available: {error}") from error
            self._keys = {str(jwk.key_id): jwk.key for jwk in key_set.keys}
        if key_id not in self._keys:
            raise SignInFailed(f"the issuer has no key {key_id!r}")
        return self._keys[key_id]
