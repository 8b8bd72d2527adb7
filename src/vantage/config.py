"""Root settings, read once from the environment (prefix ``VANTAGE_``) and an optional ``.env``."""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MIN_SECRET_LENGTH = 32
SECRET_FILE_NAME = "secret.key"


def _split_comma_list(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """Every knob of a Vantage process; docs/CONFIGURATION.md documents each one."""

    model_config = SettingsConfigDict(
        env_prefix="VANTAGE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["development", "production"] = "development"
    data_dir: Path = Path(".vantage")
    database_url: str | None = None
    read_database_url: str | None = None
    redis_url: str | None = None
    broker_url: str | None = None
    packs: Annotated[list[str] | None, NoDecode] = None
    jwt_secret: SecretStr | None = None
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["console", "json"] = "console"

    migrate_on_start: bool = True
    metrics_enabled: bool = True
    shutdown_timeout_seconds: float = Field(default=20.0, gt=0)
    health_timeout_seconds: float = Field(default=0.8, gt=0, le=30)

    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0)
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    db_statement_timeout_ms: int = Field(default=30_000, ge=0)
    sqlite_busy_timeout_ms: int = Field(default=5_000, ge=0)

    # --- auth: users, tokens, API keys ---

    # --- http guard: rate limits, body limits, CORS, headers ---

    # --- realtime hub ---
    realtime_auth_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    realtime_queue_size: int = Field(default=256, ge=1)
    realtime_send_timeout_seconds: float = Field(default=5.0, gt=0)
    realtime_max_subscriptions: int = Field(default=100, ge=1)
    realtime_max_inbound_bytes: int = Field(default=65_536, ge=256)
    realtime_sse_ping_seconds: float = Field(default=15.0, gt=0)
    realtime_redis_prefix: str = Field(default="vantage:rt:", min_length=1)

    # --- jobs, caching, shutdown ---

    @field_validator("packs", "cors_origins", mode="before")
    @classmethod
    def _comma_lists(cls, value: object) -> object:
        return _split_comma_list(value)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _production_guards(self) -> Settings:
        if self.env == "production":
            secret = self.jwt_secret.get_secret_value() if self.jwt_secret else ""
            if len(secret) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"VANTAGE_JWT_SECRET must be set to at least {MIN_SECRET_LENGTH} characters "
                    "in production"
                )
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @cached_property
    def effective_database_url(self) -> str:
        """The configured database, or an SQLite file inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'vantage.db').resolve()}"

    @cached_property
    def secret_key(self) -> str:
        """The signing secret; in development one is made once per data directory and kept."""
        if self.jwt_secret:
            return self.jwt_secret.get_secret_value()
        return _read_or_create_secret(self.data_dir / SECRET_FILE_NAME)


def _read_or_create_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    draft.touch(mode=0o600)
    draft.write_text(secrets.token_urlsafe(48))
    try:
        # A hard link publishes the file atomically: when several workers start at once, the
        # first link wins and everyone reads the same secret.
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides (used by tests and the CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
