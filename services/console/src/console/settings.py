"""The console's settings: environment variables with the prefix ``CONSOLE_``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import (
    InsecureSecrets,
    development_mode,
    local_database_url,
    refuse_insecure,
    url_password,
)

# Only ever used with CONSOLE_DEV_SIGN_IN=true, on a developer's machine.
DEV_SESSION_SECRET = "local-development-session-secret-not-for-production"
DEV_VOLUNTEER_LINK_SECRET = "local-development-volunteer-link-secret"


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONSOLE_", extra="ignore")

    http_host: str = "127.0.0.1"
    http_port: int = 8005
    log_level: str = "INFO"
    log_json: bool = True

    # Where people reach the console (through the gateway): links and the OIDC callback.
    public_url: str = "http://127.0.0.1:8080"
    # The services, through the gateway: "{api_url}/matching/v1/...".
    api_url: str = "http://127.0.0.1:8080/api"
    api_timeout_s: float = Field(default=20.0, gt=0)

    # Staff sign-in: OpenID Connect authorization code + PKCE, Keycloak's endpoint layout.
    oidc_issuer: str = "http://127.0.0.1:8080/auth/realms/warszawa"
    # Server-side calls (token, keys) may need another host name inside a container network.
    oidc_internal_url: str | None = None
    oidc_client_id: str = "staff-console"
    oidc_scope: str = "openid profile"
    api_audience: str = "volunteering-platform"
    token_leeway_s: int = 30

    # Sessions, used volunteer links and link revocations (schema `console`).
    database_url: str = local_database_url("console")
    # Migrations run as the schema's owner; unset in development: the local `console_owner`.
    migration_database_url: str | None = None

    session_secret: str | None = None
    session_max_age_s: int = Field(default=8 * 3600, ge=60)

    # The development issuer: the console signs staff tokens itself for the realm's demo users.
    dev_sign_in: bool = False
    dev_signing_key_file: Path = Path(".run/dev-signing-key.pem")
    dev_realm_file: Path = Path("deploy/keycloak/realm-warszawa.json")
    dev_token_lifetime_s: int = Field(default=3600, ge=60)

    # Volunteers: a signed link from a message opens a short session signed by the console.
    volunteer_link_secret: str | None = None
    volunteer_signing_key_file: Path = Path(".run/volunteer-signing-key.pem")
    volunteer_issuer: str = "http://127.0.0.1:8080/console"
    volunteer_session_s: int = Field(default=1800, ge=60, le=24 * 3600)

    @model_validator(mode="after")
    def _secrets_outside_development(self) -> ConsoleSettings:
        if self.dev_sign_in:
            self.session_secret = self.session_secret or DEV_SESSION_SECRET
            self.volunteer_link_secret = self.volunteer_link_secret or DEV_VOLUNTEER_LINK_SECRET
            return self
        missing = [
            f"CONSOLE_{name.upper()}"
            for name in ("session_secret", "volunteer_link_secret")
            if not getattr(self, name)
        ]
        if missing:
            raise ValueError(f"set {', '.join(missing)} (or CONSOLE_DEV_SIGN_IN=true locally)")
        return self

    def refuse_insecure(self) -> None:
        """Outside development: no development sign-in, no default, placeholder or short
        secret (see ``shared.settings.refuse_insecure``)."""
        if self.dev_sign_in and not development_mode():
            raise InsecureSecrets(
                "refusing to start outside development (ENVIRONMENT=development is not set):"
                " CONSOLE_DEV_SIGN_IN signs tokens for anyone who asks"
            )
        user = sa.make_url(self.database_url).username
        refuse_insecure(
            {
                "CONSOLE_SESSION_SECRET": self.session_secret,
                "CONSOLE_VOLUNTEER_LINK_SECRET": self.volunteer_link_secret,
                "CONSOLE_DATABASE_URL (password)": url_password(self.database_url),
                "CONSOLE_MIGRATION_DATABASE_URL (password)": (
                    url_password(self.migration_database_url)
                    if self.migration_database_url
                    else None
                ),
            },
            known_defaults=["console", "console_owner", *([user] if user else [])],
        )

    @property
    def migrations_url(self) -> str:
        """Where migrations connect: the schema owner's role."""
        if self.migration_database_url:
            return self.migration_database_url
        if not development_mode():
            raise InsecureSecrets("set CONSOLE_MIGRATION_DATABASE_URL (the schema owner's role)")
        url = sa.make_url(self.database_url).set(username="console_owner", password="console_owner")
        return url.render_as_string(hide_password=False)

    @property
    def oidc_server_url(self) -> str:
        """The issuer as the console's own HTTP client reaches it."""
        return (self.oidc_internal_url or self.oidc_issuer).rstrip("/")

    @property
    def issuer_path(self) -> str:
        """The issuer URL's path, under which the development issuer serves its endpoints."""
        return urlsplit(self.oidc_issuer).path.rstrip("/")

    @property
    def public_api_url(self) -> str:
        """The services as a browser or calendar app reaches them (through the gateway)."""
        return f"{self.public_url.rstrip('/')}/api"

    @property
    def callback_url(self) -> str:
        return f"{self.public_url.rstrip('/')}/zalogowano"

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")
