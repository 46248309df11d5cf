from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, local_database_url


class MatchingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHING_", extra="ignore")

    service_name: str = "matching"
    database_url: str = local_database_url("matching")
    http_port: int = 8002
    proposal_link_secret: str = "local-development-link-secret"
