"""Settings of the assist pack (environment prefix ``VANTAGE_ASSIST_``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

KIB = 1024


class AssistSettings(BaseSettings):
    """Knobs of the assist pack; docs/CONFIGURATION.md documents each one."""

    model_config = SettingsConfigDict(
        env_prefix="VANTAGE_ASSIST_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    max_sql_bytes: int = Field(default=100 * KIB, ge=1 * KIB, le=1024 * KIB)
    query_timeout_ms: int = Field(default=5_000, ge=10, le=300_000)
    max_rows: int = Field(default=1_000, ge=1, le=100_000)
    healing_default_limit: int = Field(default=100, ge=1, le=100_000)
    embedder: Literal["auto", "lexical", "sentence"] = "auto"
    # A story point estimate weighs only finished items at least this similar to the new one;
    # below it a title shares no more with an item than unrelated titles do (assist.md).
    estimate_min_similarity: float = Field(default=0.3, ge=0.0, le=1.0)
    vector_backend: Literal["auto", "numpy", "qdrant", "pgvector"] = "auto"
    # A Qdrant server (``http://host:6333``) instead of qdrant's local mode, for many items or
    # many processes; only ``auto`` and ``qdrant`` use it.
    qdrant_url: str | None = Field(default=None, pattern=r"^https?://")
    qdrant_api_key: SecretStr | None = None
    qdrant_collection_prefix: str = Field(default="vantage", pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$")
    qdrant_timeout_s: int = Field(default=10, ge=1, le=300)
