"""Rollups of orders that were just appended: one ``INSERT ... SELECT ... GROUP BY`` merge per
rollup over the appended range of order ids (``:lo`` to ``:hi``).

Appended orders are all new, so every delta only adds. The merges fill the same per-key stage
tables the per-batch path fills and then apply them with that path's own statements, so the
distinct counts, first/last purchases, cohorts and running product totals move exactly alike.
"""

from __future__ import annotations

from sqlalchemy import text

from vantage.core.dialect import DialectStatement
from vantage.packs.commerce.repository.ingest import POSITIVE, BatchApplier
from vantage.packs.commerce.repository.ingest_customers import (
    apply_cohorts,
    merge_customer_months,
    merge_customer_stats,
)
from vantage.packs.commerce.repository.ingest_daily import merge_daily_customers
from vantage.packs.commerce.repository.ingest_products import (
    apply_product_days,
    apply_product_stats,
)

# The unary plus keeps SQLite from reading the tenant's whole index instead of the id range.
_APPENDED = "o.id BETWEEN :lo AND :hi AND +o.tenant_id = :t"
_PURCHASES = f"{_APPENDED} AND o.status = 'completed' AND o.customer_id IS NOT NULL"

MERGE_DAILY_STATUS = text(
    f"""
    INSERT INTO commerce_daily_status
        (tenant_id, day, status, amount_minor, orders, units, customers)
    SELECT :t, o.day, o.status, SUM(o.amount_minor), COUNT(*), SUM(o.units), 0
    FROM commerce_orders o WHERE {_APPENDED}
    GROUP BY o.day, o.status
    ON CONFLICT (tenant_id, day, status) DO UPDATE SET
        amount_minor = commerce_daily_status.amount_minor + excluded.amount_minor,
        orders = commerce_daily_status.orders + excluded.orders,
        units = commerce_daily_status.units + excluded.units
    """  # noqa: S608 - fixed fragments only
)

STAGE_DAILY_CUSTOMERS = text(
    f"""
    INSERT INTO commerce_stage_daily_customers (day, status, customer_id, d_orders, d_amount)
    SELECT o.day, o.status, o.customer_id, COUNT(*), SUM(o.amount_minor)
    FROM commerce_orders o WHERE {_APPENDED} AND o.customer_id IS NOT NULL
    GROUP BY o.day, o.status, o.customer_id
    """  # noqa: S608 - fixed fragments only
)

STAGE_CUSTOMER_STATS = text(
    f"""
    INSERT INTO commerce_stage_customer_stats
        (customer_id, d_orders, d_amount, new_first, new_last, removed)
    SELECT o.customer_id, COUNT(*), SUM(o.amount_minor), MIN(o.placed_at), MAX(o.placed_at), 0
    FROM commerce_orders o WHERE {_PURCHASES}
    GROUP BY o.customer_id
    """  # noqa: S608 - fixed fragments only
)


def _customer_months(month: str) -> str:
    return f"""
    INSERT INTO commerce_stage_customer_months (customer_id, month, d_orders, d_amount)
    SELECT customer_id, month, COUNT(*), SUM(amount_minor) FROM (
        SELECT o.customer_id AS customer_id, {month} AS month, o.amount_minor AS amount_minor
        FROM commerce_orders o WHERE {_PURCHASES}
    ) AS p WHERE true
    GROUP BY customer_id, month
    """  # noqa: S608 - fixed fragments only


STAGE_CUSTOMER_MONTHS = DialectStatement(
    sqlite=_customer_months("date(o.day, 'start of month')"),
    postgresql=_customer_months("CAST(date_trunc('month', o.day) AS DATE)"),
)

# Per (product, day): sales of the appended completed orders (an order counts once per product),
# and their running sums over the appended days of that product.
STAGE_PRODUCT_DELTAS = text(
    f"""
    INSERT INTO commerce_stage_product_days (product_id, day, d_amount, d_units, d_orders,
        d_gross, run_amount, run_units, run_orders)
    SELECT product_id, day, SUM(amount), SUM(units), COUNT(*), SUM(gross),
        SUM(SUM(amount)) OVER w, SUM(SUM(units)) OVER w, SUM(COUNT(*)) OVER w FROM (
        SELECT l.product_id AS product_id, o.day AS day, SUM(l.amount_minor) AS amount,
            SUM(l.quantity) AS units, {POSITIVE.format(amount="l.amount_minor")} AS gross
        FROM commerce_orders o CROSS JOIN commerce_order_lines l
        WHERE {_APPENDED} AND o.status = 'completed' AND l.order_id = o.id
        GROUP BY o.id, o.day, l.product_id
    ) AS d WHERE true
    GROUP BY product_id, day
    WINDOW w AS (PARTITION BY product_id ORDER BY day)
    """  # noqa: S608 - fixed fragments only
)


async def merge_appended(applier: BatchApplier, lo: int, hi: int) -> None:
    """Bring every rollup up to date with the new orders whose ids run from ``lo`` to ``hi``."""
    appended = {"lo": lo, "hi": hi}
    await applier.run(MERGE_DAILY_STATUS, **appended)
    await applier.run(STAGE_DAILY_CUSTOMERS, **appended)
    await merge_daily_customers(applier)
    await applier.run(STAGE_CUSTOMER_STATS, **appended)
    await merge_customer_stats(applier)
    await applier.run(STAGE_CUSTOMER_MONTHS, **appended)
    await merge_customer_months(applier)
    await apply_cohorts(applier)
    await applier.run(STAGE_PRODUCT_DELTAS, **appended)
    await apply_product_days(applier)
    await apply_product_stats(applier)
