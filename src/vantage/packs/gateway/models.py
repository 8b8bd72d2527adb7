"""Tables of the gateway: specialists, the append-only usage log, its daily rollup, spend."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vantage.core.db import Base, Key, TenantMixin, TimestampMixin, UTCDateTime

MONEY = Numeric(18, 9)
# Sums and budgets count whole nano-dollars in integers: exact on every database (SQLite has
# no decimal type, and floating-point sums drift).


class Specialist(TenantMixin, TimestampMixin, Base):
    """A named assistant: system prompt, upstream model, parameters, fallbacks, who may use it."""

    __tablename__ = "gateway_specialists"
    __table_args__ = (UniqueConstraint("tenant_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    system_prompt: Mapped[str] = mapped_column(Text, nullable=False, default="")
    provider: Mapped[str] = mapped_column(String(64), nullable=False)
    model: Mapped[str] = mapped_column(String(200), nullable=False)
    temperature: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    top_p: Mapped[float | None] = mapped_column(Float, nullable=True)
    fallbacks: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    allowed_roles: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    # "config": declared in the YAML file (read-only through the API); "api": made by an admin.
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="api")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class UsageEvent(TenantMixin, Base):
    """One row per request that reached the routing stage; never updated, never deleted."""

    __tablename__ = "gateway_usage"
    __table_args__ = (
        UniqueConstraint("tenant_id", "request_id"),
        Index("ix_gateway_usage_tenant_id_created_at", "tenant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    user_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    api_key_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    principal_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    specialist_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    specialist_slug: Mapped[str | None] = mapped_column(String(64), nullable=True)
    provider: Mapped[str] = mapped_column(String(64), nullable=False)
    model: Mapped[str] = mapped_column(String(200), nullable=False)
    endpoint: Mapped[str] = mapped_column(String(16), nullable=False)
    streamed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    input_tokens: Mapped[int] = mapped_column(Integer, nullable=False)
    output_tokens: Mapped[int] = mapped_column(Integer, nullable=False)
    cached_tokens: Mapped[int] = mapped_column(Integer, nullable=False)
    cost_usd: Mapped[Decimal | None] = mapped_column(MONEY, nullable=True)
    unpriced: Mapped[bool] = mapped_column(Boolean, nullable=False)
    estimated: Mapped[bool] = mapped_column(Boolean, nullable=False)
    latency_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    ttft_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False)
    session_id: Mapped[str | None] = mapped_column(String(128), nullable=True)


class UsageDaily(TenantMixin, Base):
    """Mergeable daily totals per (provider, model, specialist, user); '' stands for none."""

    __tablename__ = "gateway_usage_daily"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id",
            "day",
            "provider",
            "model",
            "specialist_slug",
            "user_hash",
            name="uq_gateway_usage_daily_key",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    provider: Mapped[str] = mapped_column(String(64), nullable=False)
    model: Mapped[str] = mapped_column(String(200), nullable=False)
    specialist_slug: Mapped[str] = mapped_column(String(64), nullable=False)
    user_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    requests: Mapped[int] = mapped_column(Integer, nullable=False)
    errors: Mapped[int] = mapped_column(Integer, nullable=False)
    input_tokens: Mapped[int] = mapped_column(BigInteger, nullable=False)
    output_tokens: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cached_tokens: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cost_nanousd: Mapped[int] = mapped_column(BigInteger, nullable=False)
    latency_ms_sum: Mapped[int] = mapped_column(BigInteger, nullable=False)
    estimated_requests: Mapped[int] = mapped_column(Integer, nullable=False)
    unpriced_requests: Mapped[int] = mapped_column(Integer, nullable=False)


class SpendLedger(TenantMixin, Base):
    """Spent and held USD of one budget subject in one period (conditional updates only)."""

    __tablename__ = "gateway_spend"
    __table_args__ = (UniqueConstraint("tenant_id", "scope", "subject", "period_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16), nullable=False)
    subject: Mapped[str] = mapped_column(String(64), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    spent_nanousd: Mapped[int] = mapped_column(BigInteger, nullable=False)
    held_nanousd: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
