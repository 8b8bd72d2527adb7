"""Purchase rollups of a staged batch: customer stats, customer months and cohort cells.

A purchase is a completed order of an identified customer. First/last purchase times are
min/max, which no delta can undo: when a batch removes a purchase of a customer, that
customer's first/last are re-read from the orders index; pure additions merge with
``least``/``greatest``. Stage tables drive every join (``CROSS JOIN`` fixes SQLite's join
order; PostgreSQL plans it as an inner join), so a batch costs its own size, not the table's.
"""

from __future__ import annotations

from sqlalchemy import text

from vantage.core.dialect import DialectStatement
from vantage.packs.commerce.repository.ingest import BatchApplier


def _purchases(untimed: str) -> str:
    """Purchases (+1) and removed purchases (-1) of the batch, as a subquery ``p``.

    They are its completed orders with a customer, and the stored versions of re-sent ones.
    A removed purchase has no time (``untimed``: the dialect's typed NULL), so that it never
    moves a first or last purchase.
    """
    return f"""(
        SELECT customer_id, month, placed_at, 1 AS n, amount, 0 AS removed
        FROM commerce_stage_orders WHERE status = 'completed' AND customer_id IS NOT NULL
        UNION ALL
        SELECT old_customer_id, old_month, {untimed}, -1, -old_amount, 1
        FROM commerce_stage_orders
        WHERE is_update = 1 AND old_status = 'completed' AND old_customer_id IS NOT NULL
    ) AS p WHERE true"""  # noqa: S608 - a fixed spelling of NULL only


def _each_dialect(statement: str) -> DialectStatement:
    """``statement`` with the batch's purchases (``{purchases}``) typed for each dialect."""
    return DialectStatement(
        sqlite=statement.format(purchases=_purchases("NULL")),
        postgresql=statement.format(purchases=_purchases("CAST(NULL AS TIMESTAMPTZ)")),
    )


def _first_month(column: str) -> DialectStatement:
    """Set ``column`` of each staged customer to the month of its stored first purchase."""
    return DialectStatement(
        sqlite=f"""
    UPDATE commerce_stage_customer_stats SET {column} = (SELECT date(cs.first_order_at,
        'start of month') FROM commerce_customer_stats cs WHERE cs.tenant_id = :t
        AND cs.customer_id = commerce_stage_customer_stats.customer_id)
    """,  # noqa: S608 - a fixed column name only
        postgresql=f"""
    UPDATE commerce_stage_customer_stats SET {column} = (SELECT CAST(date_trunc('month',
        cs.first_order_at AT TIME ZONE 'UTC') AS DATE) FROM commerce_customer_stats cs
        WHERE cs.tenant_id = :t AND cs.customer_id = commerce_stage_customer_stats.customer_id)
    """,  # noqa: S608 - a fixed column name only
    )


STAGE_CUSTOMER_STATS = _each_dialect(
    """
    INSERT INTO commerce_stage_customer_stats
        (customer_id, d_orders, d_amount, new_first, new_last, removed)
    SELECT customer_id, SUM(n), SUM(amount), MIN(placed_at), MAX(placed_at), MAX(removed)
    FROM {purchases}
    GROUP BY customer_id
    """
)

FIRST_MONTH_BEFORE = _first_month("before_first_month")

APPLY_CUSTOMER_STATS = DialectStatement(
    sqlite="""
    INSERT INTO commerce_customer_stats
        (tenant_id, customer_id, ltv_minor, orders, first_order_at, last_order_at)
    SELECT :t, customer_id, d_amount, d_orders,
        COALESCE(new_first, '9999-12-31 23:59:59.999999'),
        COALESCE(new_last, '0001-01-01 00:00:00.000000')
    FROM commerce_stage_customer_stats WHERE true
    ON CONFLICT (tenant_id, customer_id) DO UPDATE SET
        ltv_minor = commerce_customer_stats.ltv_minor + excluded.ltv_minor,
        orders = commerce_customer_stats.orders + excluded.orders,
        first_order_at = min(coalesce(commerce_customer_stats.first_order_at,
            excluded.first_order_at), coalesce(excluded.first_order_at,
            commerce_customer_stats.first_order_at)),
        last_order_at = max(coalesce(commerce_customer_stats.last_order_at,
            excluded.last_order_at), coalesce(excluded.last_order_at,
            commerce_customer_stats.last_order_at))
    """,
    postgresql="""
    INSERT INTO commerce_customer_stats
        (tenant_id, customer_id, ltv_minor, orders, first_order_at, last_order_at)
    SELECT :t, customer_id, d_amount, d_orders,
        COALESCE(new_first, CAST('infinity' AS TIMESTAMPTZ)),
        COALESCE(new_last, CAST('-infinity' AS TIMESTAMPTZ))
    FROM commerce_stage_customer_stats WHERE true
    ON CONFLICT (tenant_id, customer_id) DO UPDATE SET
        ltv_minor = commerce_customer_stats.ltv_minor + excluded.ltv_minor,
        orders = commerce_customer_stats.orders + excluded.orders,
        first_order_at = LEAST(commerce_customer_stats.first_order_at, excluded.first_order_at),
        last_order_at = GREATEST(commerce_customer_stats.last_order_at, excluded.last_order_at)
    """,
)

DELETE_EMPTY_CUSTOMER_STATS = text(
    """
    DELETE FROM commerce_customer_stats WHERE tenant_id = :t AND orders = 0
    AND customer_id IN (SELECT customer_id FROM commerce_stage_customer_stats)
    """
)

REREAD_FIRST_AND_LAST = text(
    """
    UPDATE commerce_customer_stats SET (first_order_at, last_order_at) = (
        SELECT MIN(o.placed_at), MAX(o.placed_at) FROM commerce_orders o
        WHERE o.tenant_id = :t AND o.customer_id = commerce_customer_stats.customer_id
            AND o.status = 'completed')
    WHERE tenant_id = :t
        AND customer_id IN (SELECT customer_id FROM commerce_stage_customer_stats
            WHERE removed = 1)
    """
)

FIRST_MONTH_AFTER = _first_month("after_first_month")

STAGE_CUSTOMER_MONTHS = _each_dialect(
    """
    INSERT INTO commerce_stage_customer_months (customer_id, month, d_orders, d_amount)
    SELECT customer_id, month, SUM(n), SUM(amount) FROM {purchases}
    GROUP BY customer_id, month
    HAVING SUM(n) <> 0 OR SUM(amount) <> 0
    """
)

CUSTOMER_MONTHS_BEFORE = text(
    """
    UPDATE commerce_stage_customer_months SET before_orders = COALESCE((SELECT cm.orders
        FROM commerce_customer_months cm WHERE cm.tenant_id = :t
        AND cm.customer_id = commerce_stage_customer_months.customer_id
        AND cm.month = commerce_stage_customer_months.month), 0)
    """
)

APPLY_CUSTOMER_MONTHS = text(
    """
    INSERT INTO commerce_customer_months
        (tenant_id, customer_id, month, orders, amount_minor)
    SELECT :t, customer_id, month, d_orders, d_amount FROM commerce_stage_customer_months
        WHERE true
    ON CONFLICT (tenant_id, customer_id, month) DO UPDATE SET
        orders = commerce_customer_months.orders + excluded.orders,
        amount_minor = commerce_customer_months.amount_minor + excluded.amount_minor
    """
)

DELETE_EMPTY_CUSTOMER_MONTHS = text(
    """
    DELETE FROM commerce_customer_months WHERE tenant_id = :t AND orders = 0
    AND (customer_id, month) IN
        (SELECT customer_id, month FROM commerce_stage_customer_months
            WHERE before_orders + d_orders = 0)
    """
)

# A customer whose cohort did not change moves only the months that became active (+1) or
# inactive (-1). A customer whose cohort changed (first purchase moved, appeared or vanished)
# leaves every cell of the old cohort and joins every cell of the new one.
APPLY_COHORTS = text(
    """
    INSERT INTO commerce_cohort_cells (tenant_id, cohort_month, month, customers)
    SELECT :t, cohort_month, month, SUM(d) FROM (
        SELECT cs.after_first_month AS cohort_month, cm.month AS month,
            CASE WHEN cm.before_orders = 0 AND cm.d_orders > 0 THEN 1
                 WHEN cm.before_orders > 0 AND cm.before_orders + cm.d_orders = 0 THEN -1
                 ELSE 0 END AS d
        FROM commerce_stage_customer_months cm CROSS JOIN commerce_stage_customer_stats cs
        WHERE cs.customer_id = cm.customer_id AND cs.before_first_month = cs.after_first_month
        UNION ALL
        SELECT cs.before_first_month, m.month, -1
        FROM commerce_stage_customer_stats cs CROSS JOIN commerce_customer_months m
        WHERE m.tenant_id = :t AND m.customer_id = cs.customer_id
            AND cs.before_first_month IS NOT NULL
            AND cs.before_first_month IS DISTINCT FROM cs.after_first_month
            AND NOT EXISTS (SELECT 1 FROM commerce_stage_customer_months x
                WHERE x.customer_id = m.customer_id AND x.month = m.month
                    AND x.before_orders = 0)
        UNION ALL
        SELECT cs.before_first_month, x.month, -1
        FROM commerce_stage_customer_stats cs CROSS JOIN commerce_stage_customer_months x
        WHERE x.customer_id = cs.customer_id AND cs.before_first_month IS NOT NULL
            AND cs.before_first_month IS DISTINCT FROM cs.after_first_month
            AND x.before_orders > 0 AND x.before_orders + x.d_orders = 0
        UNION ALL
        SELECT cs.after_first_month, m.month, 1
        FROM commerce_stage_customer_stats cs CROSS JOIN commerce_customer_months m
        WHERE m.tenant_id = :t AND m.customer_id = cs.customer_id
            AND cs.after_first_month IS NOT NULL
            AND cs.before_first_month IS DISTINCT FROM cs.after_first_month
    ) AS c WHERE true
    GROUP BY cohort_month, month
    HAVING SUM(d) <> 0
    ON CONFLICT (tenant_id, cohort_month, month) DO UPDATE SET
        customers = commerce_cohort_cells.customers + excluded.customers
    """
)

DELETE_EMPTY_COHORT_CELLS = text(
    """
    DELETE FROM commerce_cohort_cells WHERE tenant_id = :t AND customers = 0
    """
)


async def apply_customer_stats(applier: BatchApplier) -> None:
    """Lifetime value, purchase count and first/last purchase per customer."""
    await applier.run(STAGE_CUSTOMER_STATS)
    await merge_customer_stats(applier)


async def merge_customer_stats(applier: BatchApplier) -> None:
    """Apply the staged per-customer deltas (``commerce_stage_customer_stats``)."""
    await applier.run(FIRST_MONTH_BEFORE)
    # Rows that only lose purchases exist already, so the sentinels never reach a stored row.
    await applier.run(APPLY_CUSTOMER_STATS)
    if applier.updates:
        await applier.run(DELETE_EMPTY_CUSTOMER_STATS)
    await applier.run(REREAD_FIRST_AND_LAST)
    await applier.run(FIRST_MONTH_AFTER)


async def apply_customer_months(applier: BatchApplier) -> None:
    """Purchases per customer and month, remembering each key's count before the batch."""
    await applier.run(STAGE_CUSTOMER_MONTHS)
    await merge_customer_months(applier)


async def merge_customer_months(applier: BatchApplier) -> None:
    """Apply the staged per-customer, per-month deltas (``commerce_stage_customer_months``)."""
    await applier.run(CUSTOMER_MONTHS_BEFORE)
    await applier.run(APPLY_CUSTOMER_MONTHS)
    if applier.updates:
        await applier.run(DELETE_EMPTY_CUSTOMER_MONTHS)


async def apply_cohorts(applier: BatchApplier) -> None:
    """Active customers per (cohort month, month); runs after stats and months are applied."""
    await applier.run(APPLY_COHORTS)
    await applier.run(DELETE_EMPTY_COHORT_CELLS)
