"""Aidev: LLM requests (traces), sessions, developer aliases and the daily rollup.

Revision ID: aidev_0001
Revises: trading_0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from vantage.core.db import UTCDateTime

revision: str = "aidev_0001"
down_revision: str | None = "assist_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NO_ROWID = {"sqlite_with_rowid": False}


def _key() -> Any:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"],
        ["tenants.id"],
        name=op.f(f"fk_{table}_tenant_id_tenants"),
        ondelete="CASCADE",
    )


def _counters(*names: str) -> list[sa.Column[Any]]:
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in names]


def _sessions() -> None:
    op.create_table(
        "aidev_sessions",
        sa.Column("id", _key(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("session_key", sa.String(200), nullable=True),
        sa.Column("developer", sa.String(320), nullable=False),
        sa.Column("repository", sa.String(300), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=False),
        *_counters("requests", "failed", "tokens", "input_tokens", "output_tokens"),
        *_counters("cost_nano", "unpriced"),
        sa.Column("models", sa.JSON(), nullable=False),
        _tenant_fk("aidev_sessions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aidev_sessions")),
        sa.UniqueConstraint(
            "tenant_id", "session_key", name=op.f("uq_aidev_sessions_tenant_id_session_key")
        ),
    )
    op.create_index(
        "ix_aidev_sessions_tenant_started", "aidev_sessions", ["tenant_id", "started_at", "id"]
    )
    op.create_index(
        "ix_aidev_sessions_tenant_developer",
        "aidev_sessions",
        ["tenant_id", "developer", "ended_at"],
    )


def _traces() -> None:
    op.create_table(
        "aidev_traces",
        sa.Column("id", _key(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(200), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("trace_id", sa.String(200), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("developer", sa.String(320), nullable=False),
        sa.Column("identity_source", sa.String(20), nullable=True),
        sa.Column("session_key", sa.String(200), nullable=True),
        sa.Column("session_id", _key(), nullable=True),
        sa.Column("repository", sa.String(300), nullable=True),
        sa.Column("provider", sa.String(100), nullable=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("operation", sa.String(100), nullable=True),
        *_counters("input_tokens", "output_tokens", "cached_tokens"),
        sa.Column("cost_nano", sa.BigInteger(), nullable=True),
        sa.Column("cost_source", sa.String(20), nullable=False),
        sa.Column("unpriced", sa.Boolean(), nullable=False),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        *_counters("suggestions_shown", "suggestions_accepted"),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        _tenant_fk("aidev_traces"),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["aidev_sessions.id"],
            name=op.f("fk_aidev_traces_session_id_aidev_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aidev_traces")),
        sa.UniqueConstraint(
            "tenant_id", "request_id", name=op.f("uq_aidev_traces_tenant_id_request_id")
        ),
    )
    op.create_index(
        "ix_aidev_traces_tenant_session", "aidev_traces", ["tenant_id", "session_id", "started_at"]
    )
    op.create_index(
        "ix_aidev_traces_tenant_developer",
        "aidev_traces",
        ["tenant_id", "developer", "started_at"],
    )


def _aliases_and_daily() -> None:
    op.create_table(
        "aidev_developer_aliases",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(320), nullable=False),
        sa.Column("developer", sa.String(320), nullable=False),
        _tenant_fk("aidev_developer_aliases"),
        sa.PrimaryKeyConstraint("tenant_id", "alias", name=op.f("pk_aidev_developer_aliases")),
        **NO_ROWID,
    )
    op.create_table(
        "aidev_daily",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("developer", sa.String(320), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        *_counters("requests", "failed", "input_tokens", "output_tokens"),
        *_counters(
            "cost_nano",
            "unpriced",
            "suggestions_shown",
            "suggestions_accepted",
            "with_feedback",
            "positive",
        ),
        _tenant_fk("aidev_daily"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "day", "developer", "model", name=op.f("pk_aidev_daily")
        ),
        **NO_ROWID,
    )


def upgrade() -> None:
    _sessions()
    _traces()
    _aliases_and_daily()


def downgrade() -> None:
    op.drop_table("aidev_daily")
    op.drop_table("aidev_developer_aliases")
    op.drop_index("ix_aidev_traces_tenant_developer", table_name="aidev_traces")
    op.drop_index("ix_aidev_traces_tenant_session", table_name="aidev_traces")
    op.drop_table("aidev_traces")
    op.drop_index("ix_aidev_sessions_tenant_developer", table_name="aidev_sessions")
    op.drop_index("ix_aidev_sessions_tenant_started", table_name="aidev_sessions")
    op.drop_table("aidev_sessions")
