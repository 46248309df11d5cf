from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, local_database_url


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    service_name: str = "notifications"
    database_url: str = local_database_url("notifications")
    http_port: int = 8003

    # Email over SMTP (Mailpit in docker-compose, aiosmtpd in tests).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: str | None = None
    # STARTTLS after connecting (port 587), or TLS from the first byte (port 465), not both.
    smtp_start_tls: bool = False
    smtp_tls: bool = False
    # A CA bundle (PEM file) to verify the relay by, when the system's roots do not.
    smtp_ca_file: str | None = None
    smtp_timeout_s: float = Field(default=10.0, gt=0)
    smtp_connections: int = Field(default=4, ge=1, le=64)
    mail_from: str = "Wolontariat w bibliotekach <wolontariat@um.warszawa.pl>"
    message_id_domain: str = "notifications.wolontariat.um.warszawa.pl"

    # SMS through the provider's HTTP API (POST JSON {to, text}, key as a bearer token).
    sms_api_url: str = "http://127.0.0.1:9090/v1/sms"
    sms_api_key: str = "local-development-sms-key"
    sms_timeout_s: float = Field(default=10.0, gt=0)

    # The background sender: every replica runs one; replicas share the rows.
    sender_enabled: bool = True
    sender_poll_interval_s: float = Field(default=1.0, gt=0)
    sender_batch_size: int = Field(default=100, ge=1, le=5000)
    sender_concurrency: int = Field(default=4, ge=1, le=32)
    sender_lease_s: float = Field(default=120.0, gt=0)
    retry_first_delay_s: float = Field(default=30.0, gt=0)
    retry_max_delay_s: float = Field(default=3600.0, gt=0)
    retry_max_attempts: int = Field(default=12, ge=1)

    def secrets(self) -> dict[str, str | None]:
        return {
            **super().secrets(),
            "NOTIFICATIONS_PROPOSAL_LINK_SECRET": self.proposal_link_secret,
            "NOTIFICATIONS_VOLUNTEER_LINK_SECRET": self.volunteer_link_secret,
            "NOTIFICATIONS_SMS_API_KEY": self.sms_api_key,
            "NOTIFICATIONS_SMTP_PASSWORD": self.smtp_password,
        }

    @model_validator(mode="after")
    def _one_way_to_tls(self) -> NotificationsSettings:
        if self.smtp_start_tls and self.smtp_tls:
            raise ValueError("smtp_start_tls and smtp_tls exclude each other: choose one")
        return self

    # What and when.
    reminder_hours_before: int = Field(default=24, ge=1, le=168)
    unfilled_days_before: int = Field(default=3, ge=1, le=60)
    # Links in messages lead to the staff console's volunteer pages (behind the gateway).
    console_public_url: str = "http://127.0.0.1:8080"
    proposal_link_secret: str = "local-development-proposal-link-secret"
    # Signs the "my volunteering" link: the console trusts it to open a volunteer session.
    volunteer_link_secret: str = "local-development-volunteer-link-secret"
    # Hours, not days: the link opens a session without a password. It works once (the console
    # records its jti) and can be revoked for a person (`python -m console revoke-links`).
    volunteer_link_lifetime_hours: int = Field(default=24, ge=1, le=168)
    # Tests and benchmarks only: read "now" from this file (an ISO 8601 datetime) instead of
    # the system clock, so a separate process runs on a clock the test controls.
    clock_file: str | None = None
