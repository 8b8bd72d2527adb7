"""Gateway: specialists, usage log, daily usage rollup, spend ledger.

Revision ID: gateway_0001
Revises: 0004_core_jobs
Create Date: 2026-11-23
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from vantage.core.db import UTCDateTime

revision: str = "gateway_0001"
down_revision: str | None = "0004_core_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(18, 9)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _tenant(table: str) -> list[sa.Column[int] | sa.ForeignKeyConstraint]:
    return [
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f(f"fk_{table}_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
    ]


def _timestamps() -> list[sa.Column[datetime]]:
    return [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "gateway_specialists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("system_prompt", sa.Text(), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("temperature", sa.Float(), nullable=True),
        sa.Column("max_tokens", sa.Integer(), nullable=True),
        sa.Column("top_p", sa.Float(), nullable=True),
        sa.Column("fallbacks", sa.JSON(), nullable=False),
        sa.Column("allowed_roles", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_tenant("gateway_specialists"),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_specialists")),
        sa.UniqueConstraint(
            "tenant_id", "slug", name=op.f("uq_gateway_specialists_tenant_id_slug")
        ),
    )
    op.create_index(op.f("ix_gateway_specialists_tenant_id"), "gateway_specialists", ["tenant_id"])

    op.create_table(
        "gateway_usage",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("user_hash", sa.String(length=64), nullable=True),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("principal_kind", sa.String(length=16), nullable=False),
        sa.Column("specialist_id", sa.Integer(), nullable=True),
        sa.Column("specialist_slug", sa.String(length=64), nullable=True),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("endpoint", sa.String(length=16), nullable=False),
        sa.Column("streamed", sa.Boolean(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cached_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", MONEY, nullable=True),
        sa.Column("unpriced", sa.Boolean(), nullable=False),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("ttft_ms", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=128), nullable=True),
        *_tenant("gateway_usage"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_usage")),
        sa.UniqueConstraint(
            "tenant_id", "request_id", name=op.f("uq_gateway_usage_tenant_id_request_id")
        ),
    )
    op.create_index(op.f("ix_gateway_usage_tenant_id"), "gateway_usage", ["tenant_id"])
    op.create_index(
        "ix_gateway_usage_tenant_id_created_at", "gateway_usage", ["tenant_id", "created_at"]
    )

    op.create_table(
        "gateway_usage_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("specialist_slug", sa.String(length=64), nullable=False),
        sa.Column("user_hash", sa.String(length=64), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cached_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost_nanousd", sa.BigInteger(), nullable=False),
        sa.Column("latency_ms_sum", sa.BigInteger(), nullable=False),
        sa.Column("estimated_requests", sa.Integer(), nullable=False),
        sa.Column("unpriced_requests", sa.Integer(), nullable=False),
        *_tenant("gateway_usage_daily"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_usage_daily")),
        sa.UniqueConstraint(
            "tenant_id",
            "day",
            "provider",
            "model",
            "specialist_slug",
            "user_hash",
            name="uq_gateway_usage_daily_key",
        ),
    )
    op.create_index(op.f("ix_gateway_usage_daily_tenant_id"), "gateway_usage_daily", ["tenant_id"])

    op.create_table(
        "gateway_spend",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("spent_nanousd", sa.BigInteger(), nullable=False),
        sa.Column("held_nanousd", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        *_tenant("gateway_spend"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_spend")),
        sa.UniqueConstraint(
            "tenant_id",
            "scope",
            "subject",
            "period_start",
            name=op.f("uq_gateway_spend_tenant_id_scope_subject_period_start"),
        ),
    )
    op.create_index(op.f("ix_gateway_spend_tenant_id"), "gateway_spend", ["tenant_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_gateway_spend_tenant_id"), table_name="gateway_spend")
    op.drop_table("gateway_spend")
    op.drop_index(op.f("ix_gateway_usage_daily_tenant_id"), table_name="gateway_usage_daily")
    op.drop_table("gateway_usage_daily")
    op.drop_index("ix_gateway_usage_tenant_id_created_at", table_name="gateway_usage")
    op.drop_index(op.f("ix_gateway_usage_tenant_id"), table_name="gateway_usage")
    op.drop_table("gateway_usage")
    op.drop_index(op.f("ix_gateway_specialists_tenant_id"), table_name="gateway_specialists")
    op.drop_table("gateway_specialists")
