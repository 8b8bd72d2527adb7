"""Settings of the trading pack (environment prefix ``VANTAGE_TRADING_``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from vantage.packs.trading.ingest.events import MAX_BATCH_EVENTS

DEFAULT_SIMULATOR_SYMBOLS = ["AAPL", "MSFT", "NVDA", "EURUSD", "BTCUSD"]


class TradingSettings(BaseSettings):
    """Every knob of the trading pack; docs/CONFIGURATION.md documents each one."""

    model_config = SettingsConfigDict(
        env_prefix="VANTAGE_TRADING_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    snapshot_hz: float = Field(default=10.0, gt=0, le=50)
    max_batch_events: int = Field(default=10_000, ge=1, le=MAX_BATCH_EVENTS)
    max_batch_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    idempotency_ttl_hours: float = Field(default=24.0, gt=0)
    idempotency_lock_seconds: float = Field(default=60.0, gt=0)
    session_timezone: str = "UTC"

    raw_retention_hours: int = Field(default=24, ge=1)
    minute_retention_days: int = Field(default=30, ge=1)
    hour_retention_days: int = Field(default=365, ge=1)
    trade_retention_days: int = Field(default=365, ge=1)

    component_stale_seconds: float = Field(default=15.0, gt=0)
    system_sample_seconds: float = Field(default=1.0, gt=0)
    cpu_alert_percent: float = Field(default=90.0, gt=0, le=100)
    memory_alert_percent: float = Field(default=90.0, gt=0, le=100)
    disk_alert_percent: float = Field(default=90.0, gt=0, le=100)
    reject_rate_alert: float = Field(default=0.2, gt=0, le=1)
    daily_loss_alert: Decimal | None = Field(default=None, gt=0)
    recent_logs: int = Field(default=50, ge=1, le=1000)
    latency_window: int = Field(default=10_000, ge=10)

    # A collector failing this many times in a row is isolated, then retried after the backoff,
    # doubled after each failed retry up to the maximum.
    collector_breaker_failures: int = Field(default=3, ge=1)
    collector_breaker_backoff_seconds: float = Field(default=1.0, gt=0)
    collector_breaker_max_backoff_seconds: float = Field(default=60.0, gt=0)

    lease_ttl_seconds: float = Field(default=6.0, gt=0.5)
    redis_key_prefix: str = Field(default="vantage:", max_length=64)
    feed_max_length: int = Field(default=100_000, ge=1000)

    # None: on when ``vantage demo`` prepared this data directory (see demo.py).
    simulator: bool | None = None
    simulator_symbols: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_SIMULATOR_SYMBOLS)
    )
    simulator_ticks_per_second: float = Field(default=20.0, gt=0, le=10_000)
    simulator_seed: int | None = None

    # ``WS /ws/metrics`` (docs/COMPAT.md): the pack whose ``<pack>.metrics`` it serves by default,
    # the tenant it serves without credentials on a trusted network (off when unset), and how
    # often it sends a heartbeat.
    compat_metrics_source: str = Field(default="trading", pattern=r"^[a-z][a-z0-9_]*$")
    compat_metrics_trusted_tenant: str | None = None
    compat_metrics_heartbeat_seconds: float = Field(default=5.0, gt=0)

    @field_validator("simulator_symbols", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("session_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.session_timezone)


def load_trading_settings(**overrides: object) -> TradingSettings:
    """Read the pack settings from the environment, with explicit overrides."""
    return TradingSettings(**overrides)  # type: ignore[arg-type]
