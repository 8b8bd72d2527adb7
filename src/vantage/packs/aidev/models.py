"""Tables of the aidev pack: LLM requests (traces), sessions, developer aliases, daily rollups.

One row of ``aidev_traces`` is one LLM request, whatever format it arrived in; its natural key
is ``(tenant_id, request_id)`` (span id or the logger's request id), so a re-sent trace is a
duplicate. ``aidev_daily`` is kept by the ingest transaction and is what the KPIs read.
Costs are whole nano-dollars (USD x 1e9), as the gateway keeps them: sums stay exact on SQLite,
which would add NUMERIC values as floats. An unpriced request has ``cost_nano`` NULL and
``unpriced`` set.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vantage.core.db import IDS_NEVER_REUSED, NO_ROWID, Base, Key, UTCDateTime

# Rollup keys cannot be NULL (NULLs never conflict); an unknown developer or model is ''.
UNKNOWN = ""


def tenant_column(*, primary_key: bool = False) -> Mapped[int]:
    """``tenant_id`` of a table whose unique key (or primary key) starts with it."""
    return mapped_column(
        Integer,
        ForeignKey("tenants.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def counter() -> Mapped[int]:
    return mapped_column(BigInteger, nullable=False, default=0)


class Trace(Base):
    """One LLM request (a LiteLLM log line, a SpendLogs row or a GenAI / OpenInference span)."""

    __tablename__ = "aidev_traces"
    __table_args__ = (
        UniqueConstraint("tenant_id", "request_id"),
        Index("ix_aidev_traces_tenant_session", "tenant_id", "session_id", "started_at"),
        Index("ix_aidev_traces_tenant_developer", "tenant_id", "developer", "started_at"),
    )

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    tenant_id: Mapped[int] = tenant_column()
    request_id: Mapped[str] = mapped_column(String(200), nullable=False)
    source: Mapped[str] = mapped_column(String(20), nullable=False)
    trace_id: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    developer: Mapped[str] = mapped_column(String(320), nullable=False)
    identity_source: Mapped[str | None] = mapped_column(String(20))
    session_key: Mapped[str | None] = mapped_column(String(200))
    session_id: Mapped[int | None] = mapped_column(
        Key, ForeignKey("aidev_sessions.id", ondelete="SET NULL")
    )
    repository: Mapped[str | None] = mapped_column(String(300))
    provider: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(200), nullable=False)
    operation: Mapped[str | None] = mapped_column(String(100))
    input_tokens: Mapped[int] = counter()
    output_tokens: Mapped[int] = counter()
    cached_tokens: Mapped[int] = counter()
    cost_nano: Mapped[int | None] = mapped_column(BigInteger)
    cost_source: Mapped[str] = mapped_column(String(20), nullable=False)
    unpriced: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    failed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    suggestions_shown: Mapped[int] = counter()
    suggestions_accepted: Mapped[int] = counter()
    rating: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


class Session(Base):
    """A developer's run of requests: one session id, or requests at most the gap apart."""

    __tablename__ = "aidev_sessions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "session_key"),
        Index("ix_aidev_sessions_tenant_started", "tenant_id", "started_at", "id"),
        Index("ix_aidev_sessions_tenant_developer", "tenant_id", "developer", "ended_at"),
        # A merge deletes sessions whose ids the realtime channel announced.
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    tenant_id: Mapped[int] = tenant_column()
    # The sender's session id; NULL for sessions cut from the gaps between requests.
    session_key: Mapped[str | None] = mapped_column(String(200))
    developer: Mapped[str] = mapped_column(String(320), nullable=False)
    repository: Mapped[str | None] = mapped_column(String(300))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    requests: Mapped[int] = counter()
    failed: Mapped[int] = counter()
    tokens: Mapped[int] = counter()
    input_tokens: Mapped[int] = counter()
    output_tokens: Mapped[int] = counter()
    cost_nano: Mapped[int] = counter()
    unpriced: Mapped[int] = counter()
    models: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)


class DeveloperAlias(Base):
    """Maps an identity seen in traces (e-mail, user, API key owner) to one developer."""

    __tablename__ = "aidev_developer_aliases"
    __table_args__ = NO_ROWID

    tenant_id: Mapped[int] = tenant_column(primary_key=True)
    alias: Mapped[str] = mapped_column(String(320), primary_key=True)
    developer: Mapped[str] = mapped_column(String(320), nullable=False)


class DailyUsage(Base):
    """Per tenant x UTC day x developer x model: what the KPIs and daily series read."""

    __tablename__ = "aidev_daily"
    __table_args__ = NO_ROWID

    tenant_id: Mapped[int] = tenant_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    developer: Mapped[str] = mapped_column(String(320), primary_key=True)
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    requests: Mapped[int] = counter()
    failed: Mapped[int] = counter()
    input_tokens: Mapped[int] = counter()
    output_tokens: Mapped[int] = counter()
    cost_nano: Mapped[int] = counter()
    unpriced: Mapped[int] = counter()
    suggestions_shown: Mapped[int] = counter()
    suggestions_accepted: Mapped[int] = counter()
    with_feedback: Mapped[int] = counter()
    positive: Mapped[int] = counter()
