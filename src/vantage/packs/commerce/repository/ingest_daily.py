"""Daily rollups of a staged batch: amount, orders and units per (day, status), and the
distinct customers per (day, status) kept exact by per-customer counters."""

from __future__ import annotations

from sqlalchemy import text

from vantage.packs.commerce.repository.ingest import BatchApplier

APPLY_DAILY_STATUS = text(
    """
    INSERT INTO commerce_daily_status
        (tenant_id, day, status, amount_minor, orders, units, customers)
    SELECT :t, day, status, SUM(amount), SUM(n), SUM(units), 0 FROM (
        SELECT day, status, amount, 1 AS n, units FROM commerce_stage_orders
        UNION ALL
        SELECT old_day, old_status, -old_amount, -1, -old_units
        FROM commerce_stage_orders WHERE is_update = 1
    ) AS d WHERE true
    GROUP BY day, status
    ON CONFLICT (tenant_id, day, status) DO UPDATE SET
        amount_minor = commerce_daily_status.amount_minor + excluded.amount_minor,
        orders = commerce_daily_status.orders + excluded.orders,
        units = commerce_daily_status.units + excluded.units
    """
)

STAGE_DAILY_CUSTOMERS = text(
    """
    INSERT INTO commerce_stage_daily_customers (day, status, customer_id, d_orders, d_amount)
    SELECT day, status, customer_id, SUM(n), SUM(amount) FROM (
        SELECT day, status, customer_id, 1 AS n, amount
        FROM commerce_stage_orders WHERE customer_id IS NOT NULL
        UNION ALL
        SELECT old_day, old_status, old_customer_id, -1, -old_amount
        FROM commerce_stage_orders WHERE is_update = 1 AND old_customer_id IS NOT NULL
    ) AS d WHERE true
    GROUP BY day, status, customer_id
    HAVING SUM(n) <> 0 OR SUM(amount) <> 0
    """
)

DAILY_CUSTOMERS_BEFORE = text(
    """
    UPDATE commerce_stage_daily_customers SET before_orders = COALESCE((SELECT dc.orders
        FROM commerce_daily_customers dc WHERE dc.tenant_id = :t
        AND dc.day = commerce_stage_daily_customers.day
        AND dc.status = commerce_stage_daily_customers.status
    AND dc.customer_id = commerce_stage_daily_customers.customer_id), 0)
    """
)

APPLY_DAILY_CUSTOMERS = text(
    """
    INSERT INTO commerce_daily_customers
        (tenant_id, day, status, customer_id, orders, amount_minor)
    SELECT :t, day, status, customer_id, d_orders, d_amount FROM commerce_stage_daily_customers
        WHERE true
    ON CONFLICT (tenant_id, day, status, customer_id) DO UPDATE SET
        orders = commerce_daily_customers.orders + excluded.orders,
        amount_minor = commerce_daily_customers.amount_minor + excluded.amount_minor
    """
)

DELETE_EMPTY_DAILY_CUSTOMERS = text(
    """
    DELETE FROM commerce_daily_customers WHERE tenant_id = :t AND orders = 0
    AND (day, status, customer_id) IN
        (SELECT day, status, customer_id FROM commerce_stage_daily_customers
            WHERE before_orders + d_orders = 0)
    """
)

APPLY_DISTINCT_CUSTOMERS = text(
    """
    INSERT INTO commerce_daily_status
        (tenant_id, day, status, amount_minor, orders, units, customers)
    SELECT :t, day, status, 0, 0, 0, SUM(
        CASE WHEN before_orders = 0 AND d_orders > 0 THEN 1
             WHEN before_orders > 0 AND before_orders + d_orders = 0 THEN -1
             ELSE 0 END) AS moved
    FROM commerce_stage_daily_customers WHERE true
    GROUP BY day, status
    ON CONFLICT (tenant_id, day, status) DO UPDATE SET
        customers = commerce_daily_status.customers + excluded.customers
    """
)

DELETE_EMPTY_DAILY_STATUS = text(
    """
    DELETE FROM commerce_daily_status WHERE tenant_id = :t AND orders = 0
    AND day IN (SELECT day FROM commerce_stage_orders
                UNION SELECT old_day FROM commerce_stage_orders WHERE is_update = 1)
    """
)


async def apply_daily_status(applier: BatchApplier) -> None:
    """Amount, orders and units per (day, status)."""
    await applier.run(APPLY_DAILY_STATUS)


async def apply_daily_customers(applier: BatchApplier) -> None:
    """Orders per (day, status, customer), and the distinct-customer counts they drive."""
    await applier.run(STAGE_DAILY_CUSTOMERS)
    await merge_daily_customers(applier)


async def merge_daily_customers(applier: BatchApplier) -> None:
    """Apply the staged per-customer deltas (``commerce_stage_daily_customers``)."""
    await applier.run(DAILY_CUSTOMERS_BEFORE)
    await applier.run(APPLY_DAILY_CUSTOMERS)
    if applier.updates:
        await applier.run(DELETE_EMPTY_DAILY_CUSTOMERS)
    await applier.run(APPLY_DISTINCT_CUSTOMERS)
    if applier.updates:
        await applier.run(DELETE_EMPTY_DAILY_STATUS)
