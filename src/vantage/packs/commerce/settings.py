"""Settings of the commerce pack (environment prefix ``VANTAGE_COMMERCE_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from vantage.packs.commerce.ingest.files import DEFAULT_IMPORT_BATCH_ORDERS
from vantage.packs.commerce.schemas import MAX_BATCH_ORDERS


class CommerceSettings(BaseSettings):
    """Knobs of the commerce pack; docs/CONFIGURATION.md documents each one."""

    model_config = SettingsConfigDict(
        env_prefix="VANTAGE_COMMERCE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    default_currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    max_batch_orders: int = Field(default=MAX_BATCH_ORDERS, ge=1, le=MAX_BATCH_ORDERS)
    max_batch_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    max_import_bytes: int = Field(default=256 * 1024 * 1024, ge=1024)
    import_batch_orders: int = Field(default=DEFAULT_IMPORT_BATCH_ORDERS, ge=1, le=100_000)
    dashboard_days: int = Field(default=30, ge=1, le=3660)
    dashboard_top_products: int = Field(default=5, ge=1, le=50)
    trend_days: int = Field(default=30, ge=1, le=366)
    revenue_days: int = Field(default=90, ge=1, le=3660)
    rfm_days: int = Field(default=365, ge=1, le=3660)
    cohort_months: int = Field(default=12, ge=1, le=120)
    publish_interval_seconds: float = Field(default=1.0, ge=0)
    idempotency_ttl_hours: float = Field(default=24.0, gt=0)
    idempotency_lock_seconds: float = Field(default=60.0, gt=0)
