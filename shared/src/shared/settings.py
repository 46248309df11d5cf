"""Service settings from environment variables, one prefix per service (``MATCHING_``...)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_POSTGRES_HOST = "127.0.0.1:5432"
LOCAL_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
DATABASE_NAME = "volunteering"


def local_database_url(service: str) -> str:
    """The database URL a service uses on a developer machine: its own role, its own schema."""
    return f"postgresql+asyncpg://{service}:{service}@{LOCAL_POSTGRES_HOST}/{DATABASE_NAME}"


class ServiceSettings(BaseSettings):
    """Settings every service has. A service subclasses it with its own env prefix and defaults."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str
    database_url: str
    amqp_url: str = LOCAL_AMQP_URL
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
    # Consumer: prefetch bounds the work in flight; the delivery limit bounds redeliveries.
    # About the database pool's size: more in flight only waits for connections and starves
    # the outbox relay, which shares the event loop.
    consumer_prefetch: int = Field(default=16, ge=1)
    delivery_limit: int = Field(default=20, ge=1)
    transient_retry_window_s: float = Field(default=60.0, ge=0)
    transient_retry_max_delay_s: float = Field(default=5.0, gt=0)
    unexpected_error_attempts: int = Field(default=3, ge=1)

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

    @property
    def database_schema(self) -> str:
        return self.service_name
