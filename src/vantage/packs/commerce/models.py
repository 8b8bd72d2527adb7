"""Tables of the commerce pack: facts (customers, products, orders, lines) and their rollups.

Amounts are integers of 1/10,000 of the currency unit (see ``money``). Rollups are kept by the
ingest transaction (``repository.ingest``) and are the only tables the read endpoints aggregate.
Tables whose primary key starts with ``tenant_id`` need no extra tenant index; on SQLite they are
``WITHOUT ROWID`` so every row is written once, in key order.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vantage.core.db import NO_ROWID, Base, Key, TimestampMixin, UTCDateTime


def tenant_key() -> Mapped[int]:
    """``tenant_id`` leading a composite key (the key's index serves tenant filters)."""
    return mapped_column(
        Integer, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True, nullable=False
    )


def tenant_column() -> Mapped[int]:
    """``tenant_id`` of a table whose unique key starts with it."""
    return mapped_column(Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)


def counter() -> Mapped[int]:
    return mapped_column(BigInteger, nullable=False, default=0)


class CommerceSettingsRow(TimestampMixin, Base):
    """Per-tenant commerce settings: the currency every amount of the tenant is in."""

    __tablename__ = "commerce_settings"

    tenant_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    currency: Mapped[str] = mapped_column(String(3), nullable=False)


class Customer(TimestampMixin, Base):
    __tablename__ = "commerce_customers"
    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),)

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    tenant_id: Mapped[int] = tenant_column()
    external_id: Mapped[str] = mapped_column(String(128), nullable=False)
    name: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(64))


class Product(TimestampMixin, Base):
    __tablename__ = "commerce_products"
    __table_args__ = (UniqueConstraint("tenant_id", "external_id"),)

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    tenant_id: Mapped[int] = tenant_column()
    external_id: Mapped[str] = mapped_column(String(128), nullable=False)
    name: Mapped[str | None] = mapped_column(String(300))


class Order(TimestampMixin, Base):
    """One order; ``source_id`` is the sender's id (the natural key re-sends are matched on)."""

    __tablename__ = "commerce_orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source_id"),
        Index(
            "ix_commerce_orders_tenant_customer_status_placed",
            "tenant_id",
            "customer_id",
            "status",
            "placed_at",
        ),
    )

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    tenant_id: Mapped[int] = tenant_column()
    source_id: Mapped[str] = mapped_column(String(128), nullable=False)
    customer_id: Mapped[int | None] = mapped_column(Key, ForeignKey("commerce_customers.id"))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    amount_minor: Mapped[int] = counter()
    units: Mapped[int] = counter()
    line_count: Mapped[int] = mapped_column(Integer, nullable=False)


class OrderLine(Base):
    __tablename__ = "commerce_order_lines"
    __table_args__ = (NO_ROWID,)

    order_id: Mapped[int] = mapped_column(
        Key, ForeignKey("commerce_orders.id", ondelete="CASCADE"), primary_key=True
    )
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )
    product_id: Mapped[int] = mapped_column(Key, ForeignKey("commerce_products.id"), nullable=False)
    quantity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)


class DailyStatus(Base):
    """Per day and status: amount, orders, units and distinct identified customers."""

    __tablename__ = "commerce_daily_status"
    __table_args__ = (NO_ROWID,)

    tenant_id: Mapped[int] = tenant_key()
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    amount_minor: Mapped[int] = counter()
    orders: Mapped[int] = counter()
    units: Mapped[int] = counter()
    customers: Mapped[int] = counter()


class DailyCustomer(Base):
    """Orders per (day, status, customer): turns distinct-customer counts into exact deltas."""

    __tablename__ = "commerce_daily_customers"
    __table_args__ = (NO_ROWID,)

    tenant_id: Mapped[int] = tenant_key()
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    customer_id: Mapped[int] = mapped_column(Key, primary_key=True)
    orders: Mapped[int] = counter()
    amount_minor: Mapped[int] = counter()


class CustomerStats(Base):
    """Purchases (completed orders) of one customer; a row exists while ``orders > 0``."""

    __tablename__ = "commerce_customer_stats"
    __table_args__ = (
        Index("ix_commerce_customer_stats_ltv", "tenant_id", "ltv_minor", "customer_id"),
        Index("ix_commerce_customer_stats_orders", "tenant_id", "orders", "customer_id"),
        Index("ix_commerce_customer_stats_last", "tenant_id", "last_order_at", "customer_id"),
        NO_ROWID,
    )

    tenant_id: Mapped[int] = tenant_key()
    customer_id: Mapped[int] = mapped_column(Key, primary_key=True)
    ltv_minor: Mapped[int] = counter()
    orders: Mapped[int] = counter()
    first_order_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    last_order_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class CustomerMonth(Base):
    """Purchases per customer and calendar month: the activity behind cohorts."""

    __tablename__ = "commerce_customer_months"
    __table_args__ = (NO_ROWID,)

    tenant_id: Mapped[int] = tenant_key()
    customer_id: Mapped[int] = mapped_column(Key, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    orders: Mapped[int] = counter()
    amount_minor: Mapped[int] = counter()


class CohortCell(Base):
    """Customers of a cohort (month of first purchase) who purchased in ``month``."""

    __tablename__ = "commerce_cohort_cells"
    __table_args__ = (NO_ROWID,)

    tenant_id: Mapped[int] = tenant_key()
    cohort_month: Mapped[date] = mapped_column(Date, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    customers: Mapped[int] = counter()


class ProductDay(Base):
    """Sales of a product on a day, plus running totals through that day.

    The running totals make any window's figure two key lookups per product
    (``cum(to) - cum(from)``), so windowed product rankings cost the catalogue size, not the
    number of orders or days in the window.
    """

    __tablename__ = "commerce_product_days"
    __table_args__ = (NO_ROWID,)

    tenant_id: Mapped[int] = tenant_key()
    product_id: Mapped[int] = mapped_column(Key, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    amount_minor: Mapped[int] = counter()
    units: Mapped[int] = counter()
    orders: Mapped[int] = counter()
    cum_amount_minor: Mapped[int] = counter()
    cum_units: Mapped[int] = counter()
    cum_orders: Mapped[int] = counter()


class ProductStats(Base):
    """All-time sales of a product; a row exists while ``orders > 0``.

    ``gross_minor`` is revenue before returns: the sum, over the completed orders holding the
    product, of each order's amount for it when positive. No window's revenue exceeds it, so
    a window's top sellers are found among the products with the most of it.
    """

    __tablename__ = "commerce_product_stats"
    __table_args__ = (
        Index("ix_commerce_product_stats_revenue", "tenant_id", "amount_minor", "product_id"),
        Index("ix_commerce_product_stats_units", "tenant_id", "units", "product_id"),
        Index("ix_commerce_product_stats_gross", "tenant_id", "gross_minor", "product_id"),
        NO_ROWID,
    )

    tenant_id: Mapped[int] = tenant_key()
    product_id: Mapped[int] = mapped_column(Key, primary_key=True)
    amount_minor: Mapped[int] = counter()
    units: Mapped[int] = counter()
    orders: Mapped[int] = counter()
    gross_minor: Mapped[int] = counter()
