"""Trading: raw events, bars, orders, fills, positions, daily rollups, system state.

Revision ID: trading_0001
Revises: commerce_0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vantage.core.db import UTCDateTime

revision: str = "trading_0001"
down_revision: str | None = "commerce_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trading_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("message", sa.String(length=400), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=320), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_trading_alerts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trading_alerts")),
    )
    op.create_index(
        op.f("ix_trading_alerts_tenant_id"), "trading_alerts", ["tenant_id"], unique=False
    )
    op.create_index(
        op.f("ix_trading_alerts_tenant_id_status"),
        "trading_alerts",
        ["tenant_id", "status"],
        unique=False,
    )
    op.create_table(
        "trading_bars",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("resolution", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("bucket_start", UTCDateTime(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("sum", sa.Float(), nullable=False),
        sa.Column("min", sa.Float(), nullable=False),
        sa.Column("max", sa.Float(), nullable=False),
        sa.Column("first", sa.Float(), nullable=False),
        sa.Column("first_ts", UTCDateTime(), nullable=False),
        sa.Column("last", sa.Float(), nullable=False),
        sa.Column("last_ts", UTCDateTime(), nullable=False),
        sa.Column("sum_pq", sa.Float(), nullable=False),
        sa.Column("sum_q", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_trading_bars_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "resolution",
            "symbol",
            "metric",
            "bucket_start",
            name=op.f("pk_trading_bars"),
        ),
    )
    op.create_index(
        op.f("ix_trading_bars_resolution_bucket"),
        "trading_bars",
        ["resolution", "bucket_start"],
        unique=False,
    )
    op.create_table(
        "trading_components",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("reported_status", sa.String(length=16), nullable=False),
        sa.Column("interval_seconds", sa.Float(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("last_heartbeat_at", UTCDateTime(), nullable=False),
        sa.Column("heartbeats", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_trading_components_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trading_components")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_trading_components_tenant_id_name")),
    )
    op.create_index(
        op.f("ix_trading_components_tenant_id"), "trading_components", ["tenant_id"], unique=False
    )
    op.create_table(
        "trading_events",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_trading_events_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", name=op.f("pk_trading_events")),
    )
    op.create_index(
        op.f("ix_trading_events_received_at"), "trading_events", ["received_at"], unique=False
    )
    op.create_table(
        "trading_execution_days",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("ordered_qty", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("filled_qty", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("filled_notional", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("fills", sa.Integer(), nullable=False),
        sa.Column("filled_orders", sa.Integer(), nullable=False),
        sa.Column("partial_orders", sa.Integer(), nullable=False),
        sa.Column("cancelled_orders", sa.Integer(), nullable=False),
        sa.Column("rejected_orders", sa.Integer(), nullable=False),
        sa.Column("slippage_qty", sa.Float(), nullable=False),
        sa.Column("slippage_bps_qty", sa.Float(), nullable=False),
        sa.Column("latency_count", sa.Integer(), nullable=False),
        sa.Column("latency_sum_ms", sa.Float(), nullable=False),
        sa.Column("latency_max_ms", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_trading_execution_days_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "day", "strategy", "symbol", name=op.f("pk_trading_execution_days")
        ),
    )
    op.create_table(
        "trading_latency_buckets",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_trading_latency_buckets_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "day",
            "strategy",
            "symbol",
            "bucket",
            name=op.f("pk_trading_latency_buckets"),
        ),
    )
    op.create_table(
        "trading_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("component", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_trading_logs_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trading_logs")),
    )
    op.create_index(op.f("ix_trading_logs_tenant_id"), "trading_logs", ["tenant_id"], unique=False)
    op.create_index(
        op.f("ix_trading_logs_tenant_id_ts"),
        "trading_logs",
        ["tenant_id", "ts", "id"],
        unique=False,
    )
    op.create_table(
        "trading_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=128), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("qty", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("limit_price", sa.Numeric(precision=28, scale=10), nullable=True),
        sa.Column("decision_price", sa.Numeric(precision=28, scale=10), nullable=True),
        sa.Column("arrival_mid", sa.Numeric(precision=28, scale=10), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("first_fill_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("filled_qty", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("filled_notional", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("fees", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_trading_orders_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trading_orders")),
        sa.UniqueConstraint(
            "tenant_id", "order_id", name=op.f("uq_trading_orders_tenant_id_order_id")
        ),
    )
    op.create_index(
        op.f("ix_trading_orders_tenant_id"), "trading_orders", ["tenant_id"], unique=False
    )
    op.create_index(
        op.f("ix_trading_orders_tenant_id_submitted_at"),
        "trading_orders",
        ["tenant_id", "submitted_at"],
        unique=False,
    )
    op.create_table(
        "trading_positions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("qty", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("avg_cost", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("realized_pnl", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("fees", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_trading_positions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trading_positions")),
        sa.UniqueConstraint(
            "tenant_id",
            "strategy",
            "symbol",
            name=op.f("uq_trading_positions_tenant_id_strategy_symbol"),
        ),
    )
    op.create_index(
        op.f("ix_trading_positions_tenant_id"), "trading_positions", ["tenant_id"], unique=False
    )
    op.create_table(
        "trading_strategy_days",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("realized_pnl", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("fees", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("fills", sa.Integer(), nullable=False),
        sa.Column("volume", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("notional", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("net_qty", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("net_cash", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("closing_trades", sa.Integer(), nullable=False),
        sa.Column("winning_trades", sa.Integer(), nullable=False),
        sa.Column("gross_profit", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("gross_loss", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_trading_strategy_days_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "strategy", "day", "symbol", name=op.f("pk_trading_strategy_days")
        ),
    )
    op.create_table(
        "trading_strategy_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("positions", sa.Text(), nullable=False),
        sa.Column("marks", sa.Text(), nullable=False),
        sa.Column("signals", sa.Text(), nullable=False),
        sa.Column("reported_at", UTCDateTime(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_trading_strategy_states_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trading_strategy_states")),
        sa.UniqueConstraint(
            "tenant_id", "strategy", name=op.f("uq_trading_strategy_states_tenant_id_strategy")
        ),
    )
    op.create_index(
        op.f("ix_trading_strategy_states_tenant_id"),
        "trading_strategy_states",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "trading_fills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fill_id", sa.String(length=128), nullable=False),
        sa.Column("order_ref", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=128), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("qty", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("price", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("fee", sa.Numeric(precision=28, scale=10), nullable=False),
        sa.Column("liquidity", sa.String(length=8), nullable=True),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("realized_pnl", sa.Numeric(precision=28, scale=10), nullable=True),
        sa.Column("slippage_bps", sa.Float(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_ref"],
            ["trading_orders.id"],
            name=op.f("fk_trading_fills_order_ref_trading_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_trading_fills_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trading_fills")),
        sa.UniqueConstraint(
            "tenant_id", "fill_id", name=op.f("uq_trading_fills_tenant_id_fill_id")
        ),
    )
    op.create_index(
        op.f("ix_trading_fills_order_ref"), "trading_fills", ["order_ref"], unique=False
    )
    op.create_index(
        op.f("ix_trading_fills_tenant_id"), "trading_fills", ["tenant_id"], unique=False
    )
    op.create_index(
        op.f("ix_trading_fills_tenant_id_strategy_ts"),
        "trading_fills",
        ["tenant_id", "strategy", "ts"],
        unique=False,
    )
    op.create_index(
        op.f("ix_trading_fills_tenant_id_symbol_ts"),
        "trading_fills",
        ["tenant_id", "symbol", "ts"],
        unique=False,
    )
    op.create_index(
        op.f("ix_trading_fills_tenant_id_ts"),
        "trading_fills",
        ["tenant_id", "ts", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_trading_fills_tenant_id_ts"), table_name="trading_fills")
    op.drop_index(op.f("ix_trading_fills_tenant_id_symbol_ts"), table_name="trading_fills")
    op.drop_index(op.f("ix_trading_fills_tenant_id_strategy_ts"), table_name="trading_fills")
    op.drop_index(op.f("ix_trading_fills_tenant_id"), table_name="trading_fills")
    op.drop_index(op.f("ix_trading_fills_order_ref"), table_name="trading_fills")
    op.drop_table("trading_fills")
    op.drop_index(
        op.f("ix_trading_strategy_states_tenant_id"), table_name="trading_strategy_states"
    )
    op.drop_table("trading_strategy_states")
    op.drop_table("trading_strategy_days")
    op.drop_index(op.f("ix_trading_positions_tenant_id"), table_name="trading_positions")
    op.drop_table("trading_positions")
    op.drop_index(op.f("ix_trading_orders_tenant_id_submitted_at"), table_name="trading_orders")
    op.drop_index(op.f("ix_trading_orders_tenant_id"), table_name="trading_orders")
    op.drop_table("trading_orders")
    op.drop_index(op.f("ix_trading_logs_tenant_id_ts"), table_name="trading_logs")
    op.drop_index(op.f("ix_trading_logs_tenant_id"), table_name="trading_logs")
    op.drop_table("trading_logs")
    op.drop_table("trading_latency_buckets")
    op.drop_table("trading_execution_days")
    op.drop_index(op.f("ix_trading_events_received_at"), table_name="trading_events")
    op.drop_table("trading_events")
    op.drop_index(op.f("ix_trading_components_tenant_id"), table_name="trading_components")
    op.drop_table("trading_components")
    op.drop_index(op.f("ix_trading_bars_resolution_bucket"), table_name="trading_bars")
    op.drop_table("trading_bars")
    op.drop_index(op.f("ix_trading_alerts_tenant_id_status"), table_name="trading_alerts")
    op.drop_index(op.f("ix_trading_alerts_tenant_id"), table_name="trading_alerts")
    op.drop_table("trading_alerts")
