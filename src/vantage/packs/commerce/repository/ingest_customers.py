"""Purchase rollups of a staged batch: customer stats, customer months and cohort cells.

A purchase is a completed order of an identified customer. First/last purchase times are
min/max, which no delta can undo: when a batch removes a purchase of a customer, that
customer's first/last are re-read from the orders index; pure additions merge with
``least``/``greatest``. Stage tables drive every join (``CROSS JOIN`` fixes SQLite's join
order; PostgreSQL plans it as an inner join), so a batch costs its own size, not the table's.
"""

from __future__ import annotations

from vantage.packs.commerce.repository import staging as st
from vantage.packs.commerce.repository.ingest import BatchApplier

PURCHASES = f"""
    SELECT customer_id, month, placed_at, 1 AS n, amount, 0 AS removed
    FROM {st.ORDERS} WHERE status = 'completed' AND customer_id IS NOT NULL
    UNION ALL
    SELECT old_customer_id, old_month, {{null_ts}}, -1, -old_amount, 1
    FROM {st.ORDERS}
    WHERE is_update = 1 AND old_status = 'completed' AND old_customer_id IS NOT NULL
"""


async def apply_customer_stats(applier: BatchApplier) -> None:
    """Lifetime value, purchase count and first/last purchase per customer."""
    d, s = applier.dialect, st.CUSTOMER_STATS
    purchases = PURCHASES.format(null_ts=d.null_timestamp())
    await applier.run(
        f"""INSERT INTO {s} (customer_id, d_orders, d_amount, new_first, new_last, removed)
        SELECT customer_id, SUM(n), SUM(amount), MIN(placed_at), MAX(placed_at), MAX(removed)
        FROM ({purchases}) AS p WHERE true
        GROUP BY customer_id"""
    )
    await applier.lookup(
        s, {"before_first_month": d.month_of_timestamp("cs.first_order_at")},
        "commerce_customer_stats cs", f"cs.tenant_id = :t AND cs.customer_id = {s}.customer_id",
    )  # fmt: skip
    table = "commerce_customer_stats"
    # Rows that only lose purchases exist already, so the sentinels never reach a stored row.
    await applier.run(
        f"""INSERT INTO {table}
            (tenant_id, customer_id, ltv_minor, orders, first_order_at, last_order_at)
        SELECT :t, customer_id, d_amount, d_orders,
            COALESCE(new_first, {d.timestamp_bound(upper=True)}),
            COALESCE(new_last, {d.timestamp_bound(upper=False)})
        FROM {s} WHERE true
        ON CONFLICT (tenant_id, customer_id) DO UPDATE SET
            ltv_minor = {table}.ltv_minor + excluded.ltv_minor,
            orders = {table}.orders + excluded.orders,
            first_order_at = {d.least(f"{table}.first_order_at", "excluded.first_order_at")},
            last_order_at = {d.greatest(f"{table}.last_order_at", "excluded.last_order_at")}"""
    )
    if applier.updates:
        await applier.run(
            f"""DELETE FROM {table} WHERE tenant_id = :t AND orders = 0
            AND customer_id IN (SELECT customer_id FROM {s})"""
        )
    await applier.run(
        f"""UPDATE {table} SET (first_order_at, last_order_at) = (
            SELECT MIN(o.placed_at), MAX(o.placed_at) FROM commerce_orders o
            WHERE o.tenant_id = :t AND o.customer_id = {table}.customer_id
                AND o.status = 'completed')
        WHERE tenant_id = :t
            AND customer_id IN (SELECT customer_id FROM {s} WHERE removed = 1)"""
    )
    await applier.lookup(
        s, {"after_first_month": d.month_of_timestamp("cs.first_order_at")},
        "commerce_customer_stats cs", f"cs.tenant_id = :t AND cs.customer_id = {s}.customer_id",
    )  # fmt: skip


async def apply_customer_months(applier: BatchApplier) -> None:
    """Purchases per customer and month, remembering each key's count before the batch."""
    d, s = applier.dialect, st.CUSTOMER_MONTHS
    purchases = PURCHASES.format(null_ts=d.null_timestamp())
    await applier.run(
        f"""INSERT INTO {s} (customer_id, month, d_orders, d_amount)
        SELECT customer_id, month, SUM(n), SUM(amount) FROM ({purchases}) AS p WHERE true
        GROUP BY customer_id, month
        HAVING SUM(n) <> 0 OR SUM(amount) <> 0"""
    )
    await applier.lookup(
        s, {"before_orders": "cm.orders"}, "commerce_customer_months cm",
        f"cm.tenant_id = :t AND cm.customer_id = {s}.customer_id AND cm.month = {s}.month",
        defaults={"before_orders": "0"},
    )  # fmt: skip
    await applier.run(
        f"""INSERT INTO commerce_customer_months
            (tenant_id, customer_id, month, orders, amount_minor)
        SELECT :t, customer_id, month, d_orders, d_amount FROM {s} WHERE true
        ON CONFLICT (tenant_id, customer_id, month) DO UPDATE SET
            orders = commerce_customer_months.orders + excluded.orders,
            amount_minor = commerce_customer_months.amount_minor + excluded.amount_minor"""
    )
    if applier.updates:
        await applier.run(
            f"""DELETE FROM commerce_customer_months WHERE tenant_id = :t AND orders = 0
        AND (customer_id, month) IN
            (SELECT customer_id, month FROM {s} WHERE before_orders + d_orders = 0)"""
        )


# A customer whose cohort did not change moves only the months that became active (+1) or
# inactive (-1). A customer whose cohort changed (first purchase moved, appeared or vanished)
# leaves every cell of the old cohort and joins every cell of the new one.
COHORT_DELTAS = f"""
    SELECT cs.after_first_month AS cohort_month, cm.month AS month,
        CASE WHEN cm.before_orders = 0 AND cm.d_orders > 0 THEN 1
             WHEN cm.before_orders > 0 AND cm.before_orders + cm.d_orders = 0 THEN -1
             ELSE 0 END AS d
    FROM {st.CUSTOMER_MONTHS} cm CROSS JOIN {st.CUSTOMER_STATS} cs
    WHERE cs.customer_id = cm.customer_id AND cs.before_first_month = cs.after_first_month
    UNION ALL
    SELECT cs.before_first_month, m.month, -1
    FROM {st.CUSTOMER_STATS} cs CROSS JOIN commerce_customer_months m
    WHERE m.tenant_id = :t AND m.customer_id = cs.customer_id
        AND cs.before_first_month IS NOT NULL
        AND cs.before_first_month IS DISTINCT FROM cs.after_first_month
        AND NOT EXISTS (SELECT 1 FROM {st.CUSTOMER_MONTHS} x WHERE x.customer_id = m.customer_id
                        AND x.month = m.month AND x.before_orders = 0)
    UNION ALL
    SELECT cs.before_first_month, x.month, -1
    FROM {st.CUSTOMER_STATS} cs CROSS JOIN {st.CUSTOMER_MONTHS} x
    WHERE x.customer_id = cs.customer_id AND cs.before_first_month IS NOT NULL
        AND cs.before_first_month IS DISTINCT FROM cs.after_first_month
        AND x.before_orders > 0 AND x.before_orders + x.d_orders = 0
    UNION ALL
    SELECT cs.after_first_month, m.month, 1
    FROM {st.CUSTOMER_STATS} cs CROSS JOIN commerce_customer_months m
    WHERE m.tenant_id = :t AND m.customer_id = cs.customer_id
        AND cs.after_first_month IS NOT NULL
        AND cs.before_first_month IS DISTINCT FROM cs.after_first_month
"""


async def apply_cohorts(applier: BatchApplier) -> None:
    """Active customers per (cohort month, month); runs after stats and months are applied."""
    await applier.run(
        f"""INSERT INTO commerce_cohort_cells (tenant_id, cohort_month, month, customers)
        SELECT :t, cohort_month, month, SUM(d) FROM ({COHORT_DELTAS}) AS c WHERE true
        GROUP BY cohort_month, month
        HAVING SUM(d) <> 0
        ON CONFLICT (tenant_id, cohort_month, month) DO UPDATE SET
            customers = commerce_cohort_cells.customers + excluded.customers"""
    )
    await applier.run("DELETE FROM commerce_cohort_cells WHERE tenant_id = :t AND customers = 0")
