"""Root settings, read once from the environment (prefix ``VANTAGE_``) and an optional ``.env``."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from limits import parse_many
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from vantage.core.private_files import private_dir

MIN_SECRET_LENGTH = 32
SECRET_FILE_NAME = "secret.key"  # noqa: S105 - a file name, not a secret
MIB = 1024 * 1024
_GROUP_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def _split_comma_list(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _split_assignments(value: object) -> object:
    """``"a=1;b=2"`` → ``{"a": "1", "b": "2"}`` (JSON-style dicts pass through)."""
    if not isinstance(value, str):
        return value
    pairs: dict[str, str] = {}
    for item in value.split(";"):
        if not item.strip():
            continue
        name, separator, setting = item.partition("=")
        if not separator or not name.strip() or not setting.strip():
            raise ValueError(f"expected name=value pairs separated by ';', got {item.strip()!r}")
        pairs[name.strip()] = setting.strip()
    return pairs


def _checked_rate_limit(group: str, limit: str) -> str:
    try:
        single = len(parse_many(limit)) == 1
    except ValueError:
        single = False
    if not single:
        raise ValueError(
            f"rate limit {group}={limit!r}: expected one limit such as 600/minute or 10/5 seconds"
        )
    return limit


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
    # Serve the older systems' URLs next to /api/v1 (docs/COMPAT.md).
    compat_routes: bool = True
    shutdown_timeout_seconds: float = Field(default=20.0, gt=0)
    health_timeout_seconds: float = Field(default=0.8, gt=0, le=30)
    # Allocations between young-generation collections while serving (CPython's default: 700).
    gc_young_threshold: int = Field(default=50_000, ge=100)

    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0)
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    db_statement_timeout_ms: int = Field(default=30_000, ge=0)
    sqlite_busy_timeout_ms: int = Field(default=5_000, ge=0)
    cache_max_age_seconds: int = Field(default=5, ge=0)
    watermark_cache_seconds: float = Field(default=1.0, ge=0, le=60)
    response_cache_ttl_seconds: float = Field(default=60.0, ge=0)
    response_cache_max_entries: int = Field(default=2_000, ge=0)

    # --- auth: users, tokens, API keys ---
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    refresh_token_ttl_seconds: int = Field(default=14 * 86_400, ge=300, le=366 * 86_400)
    jwt_issuer: str = Field(default="vantage", min_length=1)
    jwt_audience: str = Field(default="vantage-api", min_length=1)
    login_limit_per_account: str = "10/minute;100/hour"
    login_limit_per_ip: str = "100/minute;1000/hour"
    auth_cache_seconds: float = Field(default=5.0, ge=0, le=300)

    @field_validator("login_limit_per_account", "login_limit_per_ip")
    @classmethod
    def _rate_limit_strings(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError as error:
            raise ValueError(f"not a rate limit like '10/minute;100/hour': {value!r}") from error
        return value

    # --- http guard: rate limits, body limits, CORS, headers ---
    rate_limit_enabled: bool = True
    rate_limit_default: str = "600/minute"
    rate_limits: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    rate_limit_fail_open: bool = True
    rate_limit_key_prefix: str = Field(default="vantage", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = Field(default=MIB, ge=1)
    max_body_bytes_by_path: Annotated[dict[str, int], NoDecode] = Field(default_factory=dict)
    cors_allow_credentials: bool = True
    docs_enabled: bool | None = None

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _proxy_list(cls, value: object) -> object:
        return _split_comma_list(value)

    @field_validator("rate_limits", "max_body_bytes_by_path", mode="before")
    @classmethod
    def _assignment_lists(cls, value: object) -> object:
        return _split_assignments(value)

    @field_validator("rate_limit_default")
    @classmethod
    def _valid_default_limit(cls, value: str) -> str:
        return _checked_rate_limit("default", value)

    @field_validator("rate_limits")
    @classmethod
    def _valid_group_limits(cls, value: dict[str, str]) -> dict[str, str]:
        for group, limit in value.items():
            if not _GROUP_NAME.match(group):
                raise ValueError(f"rate-limit group {group!r}: use a-z, 0-9, _ . -")
            _checked_rate_limit(group, limit)
        return value

    @field_validator("max_body_bytes_by_path")
    @classmethod
    def _valid_body_limits(cls, value: dict[str, int]) -> dict[str, int]:
        for prefix, size in value.items():
            if not prefix.startswith("/") or size < 1:
                raise ValueError(f"body limit {prefix}={size}: use /path/prefix=bytes, bytes >= 1")
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _valid_proxies(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as error:
                raise ValueError(f"FORWARDED_ALLOW_IPS: {entry!r} is not an IP or CIDR") from error
        return value

    @model_validator(mode="after")
    def _cors_guard(self) -> Settings:
        # Browsers refuse `*` with credentials, and echoing any origin instead would let every
        # site act with a user's cookies: refuse the combination outright.
        if "*" in self.cors_origins and self.cors_allow_credentials:
            raise ValueError(
                "VANTAGE_CORS_ORIGINS=* cannot be combined with "
                "VANTAGE_CORS_ALLOW_CREDENTIALS=true; list the allowed origins explicitly"
            )
        return self

    # --- realtime hub ---
    realtime_auth_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    realtime_queue_size: int = Field(default=256, ge=1)
    realtime_send_timeout_seconds: float = Field(default=5.0, gt=0)
    realtime_max_subscriptions: int = Field(default=100, ge=1)
    realtime_max_inbound_bytes: int = Field(default=65_536, ge=256)
    realtime_max_messages_per_second: float = Field(default=50.0, gt=0)
    realtime_sse_ping_seconds: float = Field(default=15.0, gt=0)
    realtime_redis_prefix: str = Field(default="vantage:rt:", min_length=1)

    # --- jobs, caching, shutdown ---
    # jobs
    job_queue: str = Field(default="vantage:jobs", min_length=1, max_length=200)
    job_heartbeat_seconds: float = Field(default=5.0, gt=0, le=300)
    job_stale_seconds: float = Field(default=30.0, gt=0)
    job_max_attempts: int = Field(default=3, ge=1, le=100)
    job_worker_concurrency: int = Field(default=4, ge=1, le=1000)
    job_lease_ttl_seconds: float = Field(default=15.0, gt=0, le=3600)
    job_scheduler_enabled: bool = True

    @field_validator("packs", "cors_origins", mode="before")
    @classmethod
    def _comma_lists(cls, value: object) -> object:
        return _split_comma_list(value)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _job_timings(self) -> Settings:
        # A live worker must never look dead: several heartbeats fit in the stale window.
        if self.job_stale_seconds < 2 * self.job_heartbeat_seconds:
            raise ValueError(
                "VANTAGE_JOB_STALE_SECONDS must be at least twice VANTAGE_JOB_HEARTBEAT_SECONDS"
            )
        return self

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

    @property
    def docs_available(self) -> bool:
        """Whether /docs, /redoc and /openapi.json are served (default: not in production)."""
        return self.docs_enabled if self.docs_enabled is not None else not self.is_production

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
    private_dir(path.parent)
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
