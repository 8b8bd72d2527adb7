"""Commerce: customers, products, orders and lines, and the rollups kept at ingest.

Revision ID: commerce_0001
Revises: 0005_idempotency_keys
Create Date: 2026-11-23
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from vantage.core.db import UTCDateTime

revision: str = "commerce_0001"
down_revision: str | None = "0005_idempotency_keys"
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


def _counters(*names: str) -> list[sa.Column[int]]:
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in names]


def _timestamps() -> list[sa.Column[Any]]:
    return [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def _rollup(table: str, keys: list[sa.Column[Any]], counters: list[str]) -> None:
    """A rollup keyed by (tenant_id, *keys)."""
    op.create_table(
        table,
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        *keys,
        *_counters(*counters),
        _tenant_fk(table),
        sa.PrimaryKeyConstraint(
            "tenant_id", *(column.name for column in keys), name=op.f(f"pk_{table}")
        ),
        **NO_ROWID,
    )


def _dimension(table: str, name_length: int, *extra: sa.Column[Any]) -> None:
    op.create_table(
        table,
        sa.Column("id", _key(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=name_length), nullable=True),
        *extra,
        *_timestamps(),
        _tenant_fk(table),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint(
            "tenant_id", "external_id", name=op.f(f"uq_{table}_tenant_id_external_id")
        ),
    )


def _facts() -> None:
    op.create_table(
        "commerce_settings",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        *_timestamps(),
        _tenant_fk("commerce_settings"),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_commerce_settings")),
    )
    _dimension("commerce_customers", 200, sa.Column("country", sa.String(length=64), nullable=True))
    _dimension("commerce_products", 300)
    op.create_table(
        "commerce_orders",
        sa.Column("id", _key(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", _key(), nullable=True),
        sa.Column("placed_at", UTCDateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        *_counters("amount_minor", "units"),
        sa.Column("line_count", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["commerce_customers.id"],
            name=op.f("fk_commerce_orders_customer_id_commerce_customers"),
        ),
        _tenant_fk("commerce_orders"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_orders")),
        sa.UniqueConstraint(
            "tenant_id", "source_id", name=op.f("uq_commerce_orders_tenant_id_source_id")
        ),
    )
    op.create_index(
        "ix_commerce_orders_tenant_customer_status_placed",
        "commerce_orders",
        ["tenant_id", "customer_id", "status", "placed_at"],
    )
    op.create_table(
        "commerce_order_lines",
        sa.Column("order_id", _key(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("product_id", _key(), nullable=False),
        *_counters("quantity", "unit_price_minor", "amount_minor"),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["commerce_orders.id"],
            name=op.f("fk_commerce_order_lines_order_id_commerce_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["commerce_products.id"],
            name=op.f("fk_commerce_order_lines_product_id_commerce_products"),
        ),
        _tenant_fk("commerce_order_lines"),
        sa.PrimaryKeyConstraint("order_id", "line_no", name=op.f("pk_commerce_order_lines")),
        **NO_ROWID,
    )


def _date(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Date(), nullable=False)


def _status() -> sa.Column[Any]:
    return sa.Column("status", sa.String(length=16), nullable=False)


def _rollups() -> None:
    _rollup(
        "commerce_daily_status",
        [_date("day"), _status()],
        ["amount_minor", "orders", "units", "customers"],
    )
    _rollup(
        "commerce_daily_customers",
        [_date("day"), _status(), sa.Column("customer_id", _key(), nullable=False)],
        ["orders", "amount_minor"],
    )
    op.create_table(
        "commerce_customer_stats",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", _key(), nullable=False),
        *_counters("ltv_minor", "orders"),
        sa.Column("first_order_at", UTCDateTime(), nullable=False),
        sa.Column("last_order_at", UTCDateTime(), nullable=False),
        _tenant_fk("commerce_customer_stats"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "customer_id", name=op.f("pk_commerce_customer_stats")
        ),
        **NO_ROWID,
    )
    for name, column in (("ltv", "ltv_minor"), ("orders", "orders"), ("last", "last_order_at")):
        op.create_index(
            f"ix_commerce_customer_stats_{name}",
            "commerce_customer_stats",
            ["tenant_id", column, "customer_id"],
        )
    _rollup(
        "commerce_customer_months",
        [sa.Column("customer_id", _key(), nullable=False), _date("month")],
        ["orders", "amount_minor"],
    )
    _rollup(
        "commerce_cohort_cells",
        [sa.Column("cohort_month", sa.Date(), nullable=False), _date("month")],
        ["customers"],
    )
    _rollup(
        "commerce_product_days",
        [sa.Column("product_id", _key(), nullable=False), _date("day")],
        ["amount_minor", "units", "orders", "cum_amount_minor", "cum_units", "cum_orders"],
    )
    _rollup(
        "commerce_product_stats",
        [sa.Column("product_id", _key(), nullable=False)],
        ["amount_minor", "units", "orders"],
    )
    for name, column in (("revenue", "amount_minor"), ("units", "units")):
        op.create_index(
            f"ix_commerce_product_stats_{name}",
            "commerce_product_stats",
            ["tenant_id", column, "product_id"],
        )


def upgrade() -> None:
    _facts()
    _rollups()


def downgrade() -> None:
    for table in (
        "commerce_product_stats",
        "commerce_product_days",
        "commerce_cohort_cells",
        "commerce_customer_months",
        "commerce_customer_stats",
        "commerce_daily_customers",
        "commerce_daily_status",
        "commerce_order_lines",
        "commerce_orders",
        "commerce_products",
        "commerce_customers",
        "commerce_settings",
    ):
        op.drop_table(table)
