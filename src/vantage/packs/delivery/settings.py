"""Settings of the delivery pack (environment prefix ``VANTAGE_DELIVERY_``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class DeliverySettings(BaseSettings):
    """Knobs of the delivery pack; docs/CONFIGURATION.md documents each one."""

    model_config = SettingsConfigDict(
        env_prefix="VANTAGE_DELIVERY_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    attribution_window_hours: float = Field(default=72.0, gt=0, le=24 * 90)
    production_environments: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["production", "prod"]
    )
    incident_labels: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["incident"])
    deploy_workflows: Annotated[list[str], NoDecode] = Field(default_factory=list)
    dora_days: int = Field(default=30, ge=1, le=3660)
    max_webhook_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    sync_max_wait_seconds: float = Field(default=3600.0, gt=0)
    idempotency_ttl_hours: float = Field(default=24.0, gt=0)
    idempotency_lock_seconds: float = Field(default=60.0, gt=0)

    @field_validator(
        "production_environments", "incident_labels", "deploy_workflows", mode="before"
    )
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    def is_production(self, environment: str) -> bool:
        """Whether deployments to ``environment`` count for DORA."""
        return environment.lower() in {name.lower() for name in self.production_environments}
