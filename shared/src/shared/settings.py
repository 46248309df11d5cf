"""Service settings from environment variables, one prefix per service (``MATCHING_``...)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LOCAL_POSTGRES_HOST = "127.0.0.1:5432"
LOCAL_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
DATABASE_NAME = "volunteering"


# -- secrets fail closed -------------------------------------------------------------------
# Outside an explicit development mode (ENVIRONMENT=development: `make run`, the tests, the
# scripts) every service and the console refuse to start on a known default, a placeholder
# or a short secret, and with HS256 development tokens switched on.
ENVIRONMENT_VARIABLE = "ENVIRONMENT"
MIN_SECRET_BYTES = 32
PLACEHOLDER = "change-me"
# Every default that ever shipped in this repository (Makefile, scripts, settings, compose).
KNOWN_DEFAULT_SECRETS = frozenset(
    {
        "local-development-secret-not-for-production",
        "local-development-session-secret",
        "local-development-session-secret-not-for-production",
        "local-development-volunteer-link-secret",
        "local-development-proposal-link-secret",
        "local-development-sms-key",
        "test-secret-for-development-tokens-only",
        "compose-development-session-secret",
        "compose-development-volunteer-link-secret",
        "compose-development-link-secret",
        "guest",
        "postgres",
        "secret",
        "password",
        "changeme",
    }
)


class InsecureSecrets(RuntimeError):
    """A secret is a known default, a placeholder or too short (names only, never values)."""


def development_mode(environ: Mapping[str, str] | None = None) -> bool:
    """True only when ``ENVIRONMENT=development`` is set explicitly."""
    value = (os.environ if environ is None else environ).get(ENVIRONMENT_VARIABLE, "")
    return value.strip().lower() == "development"


def url_password(url: str) -> str | None:
    """The password inside a database or broker URL (None when it has none)."""
    try:
        return sa.make_url(url).password
    except sa.exc.ArgumentError:
        return None


def insecure_secrets(
    secrets: Mapping[str, str | None], *, known_defaults: Iterable[str] = ()
) -> list[str]:
    """Why each secret of ``secrets`` (name -> value; None = not set) is unsafe, by name.

    A secret is unsafe when it is a known default of this repository (or of ``known_defaults``,
    e.g. a role's own name as its password), holds the placeholder ``CHANGE-ME`` (any case), or
    is shorter than 32 bytes. Unset secrets are the caller's business (some are optional).
    """
    defaults = {value.lower() for value in (*KNOWN_DEFAULT_SECRETS, *known_defaults)}
    problems = []
    for name, value in secrets.items():
        if value is None:
            continue
        if value.strip().lower() in defaults:
            problems.append(f"{name}: a known default")
        elif PLACEHOLDER in value.lower():
            problems.append(f"{name}: a placeholder (CHANGE-ME)")
        elif len(value.encode()) < MIN_SECRET_BYTES:
            problems.append(f"{name}: shorter than {MIN_SECRET_BYTES} bytes")
    return problems


def refuse_insecure(
    secrets: Mapping[str, str | None],
    *,
    known_defaults: Iterable[str] = (),
    hmac_tokens: bool = False,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Raise ``InsecureSecrets`` outside development if a secret is unsafe or HS256 tokens
    (``hmac_tokens``) are switched on. In development, nothing is checked."""
    if development_mode(environ):
        return
    problems = insecure_secrets(secrets, known_defaults=known_defaults)
    if hmac_tokens:
        problems.append(
            "HS256 development tokens are switched on (an AUTH_SHARED_SECRET or an HS algorithm):"
            " outside development only RS256 tokens through JWKS or a public key are accepted"
        )
    if problems:
        raise InsecureSecrets(
            f"refusing to start outside development ({ENVIRONMENT_VARIABLE}=development is not"
            " set): " + "; ".join(problems)
        )


def local_database_url(service: str) -> str:
    """The database URL a service uses on a developer machine: its own role, its own schema."""
    return f"postgresql+asyncpg://{service}:{service}@{LOCAL_POSTGRES_HOST}/{DATABASE_NAME}"


class ServiceSettings(BaseSettings):
    """Settings every service has. A service subclasses it with its own env prefix and defaults."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str
    database_url: str
    # Migrations run as the schema's owner (DDL); the service itself as a role with DML only.
    # Unset in development: the local owner role (`<service>_owner`, see shared.bootstrap).
    migration_database_url: str | None = None
    amqp_url: str = LOCAL_AMQP_URL
    # The nodes of a RabbitMQ cluster, "host:port,host:port,...": the service connects to the
    # first that answers, and a connection lost with its node goes to the next. User, password
    # and vhost are amqp_url's. Empty: amqp_url's host alone.
    amqp_addresses: Annotated[list[str], NoDecode] = []
    http_host: str = "127.0.0.1"
    http_port: int
    log_level: str = "INFO"
    log_json: bool = True

    # Outbox relay: a background task of every replica; replicas share the rows.
    relay_enabled: bool = True
    relay_batch_size: int = Field(default=200, ge=1, le=5000)
    relay_poll_interval_s: float = Field(default=2.0, gt=0)
    relay_retention_hours: int = Field(default=72, ge=1)
    # A confirm lost with its connection must not hold the claimed rows forever.
    relay_confirm_timeout_s: float = Field(default=20.0, gt=0)
    # Redeliveries come within minutes; a month of inbox keeps duplicates out with room to spare.
    inbox_retention_days: int = Field(default=30, ge=1)

    # Off for replicas that only answer HTTP: the API can then scale (and keep its latency)
    # apart from the consumer, with the same image.
    consumer_enabled: bool = True
    # A replica that consumes or relays reports the broker out of reach for this long as not
    # alive (/health/live): restarted, it connects afresh. Shorter outages only show in
    # readiness and the broker_connected metric.
    broker_liveness_grace_s: float = Field(default=120.0, gt=0)
    # A relay that has settled no claim for this long while events wait (and its broker and
    # database answer) hangs: not alive. One whose task ended is not alive at once.
    relay_stall_grace_s: float = Field(default=120.0, gt=0)
    # Consumer: prefetch bounds the work in flight; the delivery limit bounds redeliveries.
    # The deliveries at hand, up to consumer_batch_max, are applied in one transaction
    # (shared.consumer); a prefetch of twice that keeps a batch arriving while one applies.
    consumer_prefetch: int = Field(default=256, ge=1)
    consumer_batch_max: int = Field(default=128, ge=1, le=1000)
    # Under a stream (the previous batch had more than one delivery), a batch smaller than
    # that waits this long once for more: fewer, fuller transactions for a few milliseconds
    # of latency. A delivery that comes alone is applied at once (0: never wait).
    consumer_batch_linger_ms: float = Field(default=20.0, ge=0, le=1000)
    # The database pool (<P>DB_POOL_SIZE, <P>DB_MAX_OVERFLOW): a replica holds at most their
    # sum, plus one for the outbox relay where it runs (``database_connections_at_most``).
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    delivery_limit: int = Field(default=20, ge=1)
    transient_retry_window_s: float = Field(default=60.0, ge=0)
    transient_retry_max_delay_s: float = Field(default=5.0, gt=0)
    unexpected_error_attempts: int = Field(default=3, ge=1)
    # The broker's management API (http://user:password@host:15672): when set, the service
    # applies the broker policies (shared.brokerpolicy) to its vhost as it declares its
    # topology. Unset where the broker's definitions hold them (deploy/rabbitmq).
    broker_management_url: str | None = None
    # How long and how many messages the dead-letter and unrouted queues keep.
    parked_retention_days: float = Field(default=14.0, gt=0)
    parked_max_messages: int = Field(default=100_000, ge=1)
    # Off where the service's broker user may not configure the shared exchanges (they come
    # from the broker's definitions): the service then declares only its own queues.
    declare_shared_topology: bool = True
    # While the database is unreachable the consumer takes no deliveries (so that none
    # spends its delivery limit); it asks the database again this often.
    database_probe_interval_s: float = Field(default=2.0, gt=0)
    # How long one delivery may wait for the database before it goes back to the broker:
    # under RabbitMQ's consumer timeout (30 minutes by default), which closes the channel.
    database_outage_hold_s: float = Field(default=900.0, gt=0)
    # The CloudEvents source each city system's events must carry (shared.boundary).
    portal_source: str = Field(default="/city/portal", min_length=1)
    calendar_source: str = Field(default="/city/calendar", min_length=1)

    # Staff authentication: a JWKS URL in production, a configured key in development.
    auth_issuer: str = "http://127.0.0.1:8080/auth/realms/warszawa"
    auth_audience: str = "volunteering-platform"
    auth_jwks_url: str | None = None
    auth_public_key: str | None = None
    auth_shared_secret: str | None = None
    auth_algorithms: list[str] = ["RS256", "ES256"]
    auth_leeway_s: int = 30
    # Volunteers have no staff account: the console signs short sessions for them after a
    # signed link from a message. Tokens of this issuer may carry the volunteer role only.
    auth_volunteer_issuer: str = "http://127.0.0.1:8080/console"
    auth_volunteer_public_key: str | None = None
    # The same key from a file (a volume shared with the console in the containers).
    auth_volunteer_public_key_file: Path | None = None

    @field_validator("amqp_addresses", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [address.strip() for address in value.split(",") if address.strip()]
        return value

    def database_connections_at_most(self) -> int:
        """Postgres connections one replica may hold: the pool and its overflow, and the
        relay's single connection (LISTEN and claims) where the relay runs."""
        return self.db_pool_size + self.db_max_overflow + (1 if self.relay_enabled else 0)

    @property
    def database_schema(self) -> str:
        return self.service_name

    @property
    def migrations_url(self) -> str:
        """Where migrations connect: the schema owner's role."""
        if self.migration_database_url:
            return self.migration_database_url
        if not development_mode():
            prefix = str(self.model_config.get("env_prefix", ""))
            raise InsecureSecrets(
                f"set {prefix}MIGRATION_DATABASE_URL: migrations run as the schema owner's role"
            )
        owner = f"{self.service_name}_owner"
        url = sa.make_url(self.database_url).set(username=owner, password=owner)
        return url.render_as_string(hide_password=False)

    def secrets(self) -> dict[str, str | None]:
        """The service's secrets by setting name, for ``refuse_insecure``; services with
        secrets of their own add them."""
        prefix = str(self.model_config.get("env_prefix", ""))
        return {
            f"{prefix}DATABASE_URL (password)": url_password(self.database_url),
            f"{prefix}MIGRATION_DATABASE_URL (password)": (
                url_password(self.migration_database_url) if self.migration_database_url else None
            ),
            f"{prefix}AUTH_SHARED_SECRET": self.auth_shared_secret,
            f"{prefix}BROKER_MANAGEMENT_URL (password)": (
                url_password(self.broker_management_url) if self.broker_management_url else None
            ),
        }

    def refuse_insecure(self) -> None:
        """Called when the service starts: see ``shared.settings.refuse_insecure``."""
        user = sa.make_url(self.database_url).username if "://" in self.database_url else None
        refuse_insecure(
            self.secrets(),
            known_defaults=[
                self.service_name,
                f"{self.service_name}_owner",
                *([user] if user else []),
            ],
            hmac_tokens=self.auth_shared_secret is not None
            or any(algorithm.upper().startswith("HS") for algorithm in self.auth_algorithms),
        )
