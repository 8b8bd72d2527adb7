"""Gateway settings (prefix ``VANTAGE_GATEWAY_``); docs/CONFIGURATION.md documents each one."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PACK_NAME = "gateway"


class GatewaySettings(BaseSettings):
    """Knobs of the chat gateway: config files, limits, timeouts and the usage writer."""

    model_config = SettingsConfigDict(
        env_prefix="VANTAGE_GATEWAY_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Files: providers/specialists/budgets, and the pricing table.
    config: Path | None = None
    pricing_file: Path | None = None
    pricing_include_defaults: bool = True

    # Identity: the key of the HMAC that turns e-mails into stored user hashes.
    user_hash_secret: SecretStr | None = None
    direct_routing: bool = True

    # Upstream calls (per-provider values in the config file override these).
    connect_timeout_seconds: float = Field(default=5.0, gt=0)
    read_timeout_seconds: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=2, ge=0, le=10)
    retry_backoff_seconds: float = Field(default=0.25, ge=0)
    retry_backoff_max_seconds: float = Field(default=4.0, ge=0)
    default_max_tokens: int = Field(default=1024, ge=1)
    unhealthy_after_failures: int = Field(default=3, ge=1)
    unhealthy_cooldown_seconds: float = Field(default=30.0, ge=0)

    # Streams: how long to keep reading after the client left, and on shutdown.
    disconnect_drain_seconds: float = Field(default=10.0, ge=0)
    stream_shutdown_grace_seconds: float = Field(default=5.0, ge=0)
    stream_ping_seconds: float = Field(default=15.0, gt=0)

    # Conversation history limits.
    max_messages: int = Field(default=200, ge=1)
    max_message_chars: int = Field(default=100_000, ge=1)
    max_total_chars: int = Field(default=400_000, ge=1)
    max_input_tokens: int = Field(default=128_000, ge=1)

    # Rate limits per principal (0 disables one).
    user_requests_per_minute: int = Field(default=60, ge=0)
    user_tokens_per_minute: int = Field(default=200_000, ge=0)
    api_key_requests_per_minute: int = Field(default=600, ge=0)
    api_key_tokens_per_minute: int = Field(default=2_000_000, ge=0)

    # Usage writer: bounded queue, batches, spool for database outages.
    usage_queue_size: int = Field(default=10_000, ge=1)
    usage_batch_size: int = Field(default=500, ge=1)
    usage_flush_interval_seconds: float = Field(default=0.2, gt=0)
    usage_drain_seconds: float = Field(default=10.0, ge=0)
    usage_spool_dir: Path | None = None
    usage_replay_interval_seconds: float = Field(default=2.0, gt=0)

    specialist_cache_seconds: float = Field(default=5.0, ge=0)
