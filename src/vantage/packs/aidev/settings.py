"""Settings of the aidev pack (environment prefix ``VANTAGE_AIDEV_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AidevSettings(BaseSettings):
    """Knobs of the aidev pack; docs/CONFIGURATION.md documents each one."""

    model_config = SettingsConfigDict(
        env_prefix="VANTAGE_AIDEV_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    max_batch_records: int = Field(default=10_000, ge=1, le=100_000)
    max_batch_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    # Fewer, larger transactions: each rewrites the session indexes' pages its random session
    # keys land on, so the cost per line falls with the batch (at 5,000 lines a batch holds
    # SQLite's write lock for well under a second).
    import_batch_lines: int = Field(default=5_000, ge=1, le=100_000)
    session_gap_minutes: int = Field(default=30, ge=1, le=24 * 60)
    pricing_file: Path | None = None
    min_team_size: int = Field(default=3, ge=1)
    velocity_good: float = Field(default=10.0, ge=0)
    velocity_warn: float = Field(default=3.0, ge=0)
    acceptance_good: float = Field(default=0.30, ge=0, le=1)
    acceptance_warn: float = Field(default=0.20, ge=0, le=1)
    error_rate_good: float = Field(default=0.02, ge=0, le=1)
    error_rate_warn: float = Field(default=0.05, ge=0, le=1)
    accuracy_good: float = Field(default=0.70, ge=0, le=1)
    accuracy_warn: float = Field(default=0.50, ge=0, le=1)
    token_efficiency_good: float = Field(default=1.0, ge=0)
    token_efficiency_warn: float = Field(default=0.25, ge=0)
    pr_throughput_good: float = Field(default=10.0, ge=0)
    pr_throughput_warn: float = Field(default=3.0, ge=0)
    commit_frequency_good: float = Field(default=2.0, ge=0)
    commit_frequency_warn: float = Field(default=1.0, ge=0)
    merge_time_good_hours: float = Field(default=24.0, ge=0)
    merge_time_warn_hours: float = Field(default=72.0, ge=0)
    rework_rate_good: float = Field(default=0.30, ge=0, le=1)
    rework_rate_warn: float = Field(default=0.50, ge=0, le=1)
    publish_interval_seconds: float = Field(default=1.0, ge=0)
    idempotency_ttl_hours: float = Field(default=24.0, gt=0)
    idempotency_lock_seconds: float = Field(default=60.0, gt=0)
