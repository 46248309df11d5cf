from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, local_database_url


class MatchingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHING_", extra="ignore")

    service_name: str = "matching"
    database_url: str = local_database_url("matching")
    http_port: int = 8002
    proposal_link_secret: str = "local-development-proposal-link-secret"

    def secrets(self) -> dict[str, str | None]:
        return {**super().secrets(), "MATCHING_PROPOSAL_LINK_SECRET": self.proposal_link_secret}

    # A child-protection check opens work with children for this many months after its
    # older date; the coordinator who recorded it is told ``notice_days`` before it expires
    # and once it has, by a sweep every replica runs (``sweep_interval_s``; 0: never, for a
    # scheduler calling ``POST /v1/child-protection-checks/sweep`` instead).
    child_protection_valid_months: int = Field(default=12, ge=1, le=120)
    child_protection_notice_days: int = Field(default=30, ge=0, le=365)
    child_protection_sweep_interval_s: float = Field(default=3600.0, ge=0)
    # How often a round carries recorded erasures to the broker's parked messages (dead
    # letters, unrouted inbound); every replica runs it, each erasure is taken by one.
    parked_purge_interval_s: float = Field(default=2.0, gt=0)
