"""The development issuer: OpenID Connect endpoints served by the console itself.

Only with ``CONSOLE_DEV_SIGN_IN=true`` (``make run`` and tests, where no Keycloak runs). It
follows Keycloak's endpoint layout under the issuer URL's path, signs RS256 tokens with a
local key, and its authorize page lists the demo users of the realm export as buttons, so
that the console's OIDC client works unchanged against it and against Keycloak. Codes live
in this process's memory: one development process, single use, one minute.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from console.i18n import N_
from console.oidc import code_challenge
from console.settings import ConsoleSettings
from console.web import check_csrf, redirect, render
from shared.auth import ROLES, load_or_create_key_pair, public_jwks, sign_token

CODE_LIFETIME_S = 60
# Like an issuer session: a refresh token outlives the access tokens it renews.
REFRESH_LIFETIME_S = 8 * 3600


@dataclass(frozen=True)
class DemoUser:
    """A user of the realm export, as Keycloak would put them in a token."""

    id: str
    username: str
    first_name: str
    last_name: str
    roles: tuple[str, ...]
    branches: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.username


@dataclass(frozen=True)
class IssuedCode:
    user: DemoUser
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    expires_at: float


def load_demo_users(realm_file: Path) -> list[DemoUser]:
    """The realm export's users: id → sub, realm roles → roles, attribute branches."""
    realm = json.loads(realm_file.read_text(encoding="utf-8"))
    return [
        DemoUser(
            id=str(user["id"]),
            username=str(user["username"]),
            first_name=str(user.get("firstName") or ""),
            last_name=str(user.get("lastName") or ""),
            roles=tuple(role for role in user.get("realmRoles") or [] if role in ROLES),
            branches=tuple((user.get("attributes") or {}).get("branches") or []),
        )
        for user in realm.get("users") or []
        if user.get("enabled", True)
    ]


class DevIssuer:
    def __init__(self, settings: ConsoleSettings) -> None:
        self.settings = settings
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.private_key, self.public_key = load_or_create_key_pair(settings.dev_signing_key_file)
        self.users = {user.id: user for user in load_demo_users(settings.dev_realm_file)}
        self._codes: dict[str, IssuedCode] = {}
        self._refresh_tokens: dict[str, IssuedCode] = {}

    def metadata(self) -> dict[str, Any]:
        endpoints = f"{self.issuer}/protocol/openid-connect"
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{endpoints}/auth",
            "token_endpoint": f"{endpoints}/token",
            "jwks_uri": f"{endpoints}/certs",
            "end_session_endpoint": f"{endpoints}/logout",
            "revocation_endpoint": f"{endpoints}/revoke",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": ["openid", "profile"],
        }

    def check_client(self, client_id: str, redirect_uri: str) -> None:
        """Like the realm's client: this client id, redirects back to the console only."""
        if client_id != self.settings.oidc_client_id:
            raise HTTPException(400, N_("Nieznany klient logowania."))
        if not redirect_uri.startswith(f"{self.settings.public_url.rstrip('/')}/"):
            raise HTTPException(400, N_("Niedozwolony adres powrotu po zalogowaniu."))

    def issue_code(
        self, user: DemoUser, client_id: str, redirect_uri: str, challenge: str, nonce: str | None
    ) -> str:
        now = time.time()
        # Codes nobody came back for are dropped on the way.
        self._codes = {key: code for key, code in self._codes.items() if code.expires_at > now}
        code = secrets.token_urlsafe(32)
        self._codes[code] = IssuedCode(
            user, client_id, redirect_uri, challenge, nonce, now + CODE_LIFETIME_S
        )
        return code

    def redeem(self, code: str, client_id: str, redirect_uri: str, verifier: str) -> IssuedCode:
        """The code's grant, once: a second use, another client or redirect, or a verifier
        that does not hash to the challenge is refused (the code is spent either way)."""
        issued = self._codes.pop(code, None)
        if issued is None or issued.expires_at < time.time():
            raise TokenRefused("invalid_grant", "the code is unknown, used or expired")
        if issued.client_id != client_id:
            raise TokenRefused("invalid_grant", "the code was issued to another client")
        if issued.redirect_uri != redirect_uri:
            raise TokenRefused("invalid_grant", "redirect_uri differs from the authorization's")
        if not secrets.compare_digest(code_challenge(verifier), issued.challenge):
            raise TokenRefused("invalid_grant", "the PKCE code verifier does not match")
        return issued

    def renew(self, refresh_token: str, client_id: str) -> IssuedCode:
        """The grant behind a refresh token, once (each renewal hands out a new one)."""
        issued = self._refresh_tokens.pop(refresh_token, None)
        if issued is None or issued.expires_at < time.time():
            raise TokenRefused("invalid_grant", "the refresh token is unknown, used or expired")
        if issued.client_id != client_id:
            raise TokenRefused("invalid_grant", "the refresh token belongs to another client")
        return issued

    def revoke(self, token: str, client_id: str) -> None:
        """A refresh token of this client no longer renews anything (RFC 7009: unknown
        tokens are no error)."""
        issued = self._refresh_tokens.get(token)
        if issued is not None and issued.client_id == client_id:
            del self._refresh_tokens[token]

    def tokens(self, issued: IssuedCode) -> dict[str, Any]:
        user = issued.user
        lifetime = self.settings.dev_token_lifetime_s
        names = {
            "given_name": user.first_name,
            "family_name": user.last_name,
            "preferred_username": user.username,
            "name": user.name,
        }
        access_token = sign_token(
            self.private_key,
            subject=user.id,
            roles=user.roles,
            branches=user.branches,
            issuer=self.issuer,
            audience=self.settings.api_audience,
            lifetime_s=lifetime,
            azp=issued.client_id,
            scope=self.settings.oidc_scope,
            **names,
        )
        refresh_token = secrets.token_urlsafe(32)
        now = time.time()
        self._refresh_tokens = {
            key: grant for key, grant in self._refresh_tokens.items() if grant.expires_at > now
        }
        self._refresh_tokens[refresh_token] = replace(
            issued, nonce=None, expires_at=now + REFRESH_LIFETIME_S
        )
        nonce = {"nonce": issued.nonce} if issued.nonce else {}
        id_token = sign_token(
            self.private_key,
            subject=user.id,
            roles=user.roles,
            branches=user.branches,
            issuer=self.issuer,
            audience=issued.client_id,
            lifetime_s=lifetime,
            azp=issued.client_id,
            **nonce,
            **names,
        )
        return {
            "access_token": access_token,
            "id_token": id_token,
            "refresh_token": refresh_token,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": self.settings.oidc_scope,
        }


class TokenRefused(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def build_router(settings: ConsoleSettings) -> APIRouter:
    """The issuer's endpoints under the issuer URL's path (``/auth/realms/warszawa``)."""
    issuer = DevIssuer(settings)
    router = APIRouter(prefix=settings.issuer_path, include_in_schema=False)

    @router.get("/.well-known/openid-configuration")
    async def configuration() -> dict[str, Any]:
        return issuer.metadata()

    @router.get("/protocol/openid-connect/certs")
    async def certs() -> dict[str, Any]:
        return public_jwks(issuer.public_key)

    @router.get("/protocol/openid-connect/auth")
    async def authorize_page(
        request: Request,
        client_id: Annotated[str, Query(max_length=200)],
        redirect_uri: Annotated[str, Query(max_length=2000)],
        state: Annotated[str, Query(max_length=500)],
        code_challenge: Annotated[str, Query(min_length=43, max_length=128)],
        response_type: Annotated[str, Query()] = "code",
        code_challenge_method: Annotated[str, Query()] = "S256",
        nonce: Annotated[str | None, Query(max_length=500)] = None,
    ) -> Response:
        """The development sign-in page: the realm's demo users as buttons."""
        issuer.check_client(client_id, redirect_uri)
        if response_type != "code" or code_challenge_method != "S256":
            raise HTTPException(400, N_("Obsługiwany jest tylko kod autoryzacji z PKCE (S256)."))
        return render(
            request,
            "signin/dev_issuer.html",
            users=sorted(issuer.users.values(), key=lambda user: (user.roles, user.username)),
            request_fields={
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "code_challenge": code_challenge,
                "nonce": nonce or "",
            },
        )

    @router.post("/protocol/openid-connect/auth", dependencies=[Depends(check_csrf)])
    async def authorize(
        user_id: Annotated[str, Form(max_length=200)],
        client_id: Annotated[str, Form(max_length=200)],
        redirect_uri: Annotated[str, Form(max_length=2000)],
        state: Annotated[str, Form(max_length=500)],
        code_challenge: Annotated[str, Form(min_length=43, max_length=128)],
        nonce: Annotated[str, Form(max_length=500)] = "",
    ) -> Response:
        """The chosen user goes back to the client with a single-use code."""
        issuer.check_client(client_id, redirect_uri)
        user = issuer.users.get(user_id)
        if user is None:
            raise HTTPException(400, N_("Nie ma takiego użytkownika demonstracyjnego."))
        code = issuer.issue_code(user, client_id, redirect_uri, code_challenge, nonce or None)
        query = urlencode({"code": code, "state": state, "iss": issuer.issuer})
        return redirect(f"{redirect_uri}?{query}")

    @router.post("/protocol/openid-connect/token")
    async def token(
        grant_type: Annotated[str, Form()],
        code: Annotated[str, Form(max_length=200)] = "",
        redirect_uri: Annotated[str, Form(max_length=2000)] = "",
        client_id: Annotated[str, Form(max_length=200)] = "",
        code_verifier: Annotated[str, Form(max_length=128)] = "",
        refresh_token: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        """Code + PKCE verifier, or a refresh token → tokens (RFC 6749 errors as JSON, 400)."""
        try:
            if grant_type == "authorization_code":
                if len(code_verifier) < 43:
                    raise TokenRefused("invalid_request", "code_verifier: 43 to 128 characters")
                issued = issuer.redeem(code, client_id, redirect_uri, code_verifier)
            elif grant_type == "refresh_token":
                issued = issuer.renew(refresh_token, client_id)
            else:
                raise TokenRefused("unsupported_grant_type", f"{grant_type!r} is not served")
        except TokenRefused as refused:
            return JSONResponse(
                {"error": refused.error, "error_description": refused.description},
                status_code=400,
                headers={"cache-control": "no-store"},
            )
        return JSONResponse(issuer.tokens(issued), headers={"cache-control": "no-store"})

    @router.post("/protocol/openid-connect/revoke")
    async def revoke(
        token: Annotated[str, Form(max_length=200)],
        client_id: Annotated[str, Form(max_length=200)] = "",
        token_type_hint: Annotated[str, Form(max_length=50)] = "",
    ) -> Response:
        """Token revocation (RFC 7009), as Keycloak serves it: 200 whatever the token was."""
        issuer.revoke(token, client_id)
        return Response(status_code=200, headers={"cache-control": "no-store"})

    @router.get("/protocol/openid-connect/logout")
    async def logout(
        post_logout_redirect_uri: Annotated[str | None, Query(max_length=2000)] = None,
    ) -> Response:
        """Nothing to end here (no issuer session); back to the console only."""
        console = f"{settings.public_url.rstrip('/')}/"
        target = post_logout_redirect_uri or console
        return RedirectResponse(target if target.startswith(console) else console, 303)

    return router
