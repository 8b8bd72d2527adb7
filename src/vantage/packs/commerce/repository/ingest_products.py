"""Product rollups of a staged batch: sales per product and day (with running totals) and
all time. Deltas were staged by ``BatchApplier.stage_product_deltas``."""

from __future__ import annotations

from sqlalchemy import text

from vantage.core.dialect import DialectStatement
from vantage.packs.commerce.repository.ingest import BatchApplier

# Daily sales plus running totals. A day of the batch gets its new totals at once: the stored
# totals through that day (its own row's, else the latest earlier day's) plus the batch's
# running sum at that day. On PostgreSQL one LATERAL index probe per stage row instead of one
# per column.
APPLY_PRODUCT_DAYS = DialectStatement(
    sqlite="""
    INSERT INTO commerce_product_days (tenant_id, product_id, day, amount_minor, units, orders,
        cum_amount_minor, cum_units, cum_orders)
    SELECT :t, x.product_id, x.day, x.d_amount, x.d_units, x.d_orders,
        COALESCE((SELECT p.cum_amount_minor FROM commerce_product_days p
                  WHERE p.tenant_id = :t AND p.product_id = x.product_id AND p.day <= x.day
                  ORDER BY p.day DESC LIMIT 1), 0) + x.run_amount,
        COALESCE((SELECT p.cum_units FROM commerce_product_days p
                  WHERE p.tenant_id = :t AND p.product_id = x.product_id AND p.day <= x.day
                  ORDER BY p.day DESC LIMIT 1), 0) + x.run_units,
        COALESCE((SELECT p.cum_orders FROM commerce_product_days p
                  WHERE p.tenant_id = :t AND p.product_id = x.product_id AND p.day <= x.day
                  ORDER BY p.day DESC LIMIT 1), 0) + x.run_orders
    FROM commerce_stage_product_days x WHERE true
    ON CONFLICT (tenant_id, product_id, day) DO UPDATE
        SET amount_minor = commerce_product_days.amount_minor + excluded.amount_minor,
        cum_amount_minor = excluded.cum_amount_minor,
        units = commerce_product_days.units + excluded.units, cum_units = excluded.cum_units,
        orders = commerce_product_days.orders + excluded.orders,
        cum_orders = excluded.cum_orders
    """,
    postgresql="""
    INSERT INTO commerce_product_days (tenant_id, product_id, day, amount_minor, units, orders,
        cum_amount_minor, cum_units, cum_orders)
    SELECT :t, x.product_id, x.day, x.d_amount, x.d_units, x.d_orders,
        COALESCE(b.cum_amount_minor, 0) + x.run_amount, COALESCE(b.cum_units, 0) + x.run_units,
        COALESCE(b.cum_orders, 0) + x.run_orders
    FROM commerce_stage_product_days x LEFT JOIN LATERAL (
        SELECT p.cum_amount_minor, p.cum_units, p.cum_orders FROM commerce_product_days p
        WHERE p.tenant_id = :t AND p.product_id = x.product_id AND p.day <= x.day
        ORDER BY p.day DESC LIMIT 1) AS b ON true WHERE true
    ON CONFLICT (tenant_id, product_id, day) DO UPDATE
        SET amount_minor = commerce_product_days.amount_minor + excluded.amount_minor,
        cum_amount_minor = excluded.cum_amount_minor,
        units = commerce_product_days.units + excluded.units, cum_units = excluded.cum_units,
        orders = commerce_product_days.orders + excluded.orders,
        cum_orders = excluded.cum_orders
    """,
)

DELETE_EMPTY_PRODUCT_DAYS = text(
    """
    DELETE FROM commerce_product_days WHERE tenant_id = :t
    AND amount_minor = 0 AND units = 0 AND orders = 0
    AND (product_id, day) IN (SELECT product_id, day FROM commerce_stage_product_days)
    """
)

# Stored days without sales in the batch, after a product's first day in it, gain the batch's
# running sum at their date: one range scan per product and one stage probe per stored day, so
# a batch spanning many days costs its days, not their square. (A batch of new orders in date
# order finds none: its days are the latest.) CROSS JOIN keeps SQLite driving from the
# batch's products.
MOVE_LATER_DAYS = DialectStatement(
    sqlite="""
    INSERT INTO commerce_product_days (tenant_id, product_id, day, amount_minor, units, orders,
        cum_amount_minor, cum_units, cum_orders)
    SELECT :t, p.product_id, p.day, 0, 0, 0,
        (SELECT x.run_amount FROM commerce_stage_product_days x
         WHERE x.product_id = p.product_id AND x.day <= p.day ORDER BY x.day DESC LIMIT 1),
        (SELECT x.run_units FROM commerce_stage_product_days x
         WHERE x.product_id = p.product_id AND x.day <= p.day ORDER BY x.day DESC LIMIT 1),
        (SELECT x.run_orders FROM commerce_stage_product_days x
         WHERE x.product_id = p.product_id AND x.day <= p.day ORDER BY x.day DESC LIMIT 1)
    FROM (SELECT product_id, MIN(day) AS first_day FROM commerce_stage_product_days
        GROUP BY product_id) AS f
    CROSS JOIN commerce_product_days p
    WHERE p.tenant_id = :t AND p.product_id = f.product_id AND p.day > f.first_day
        AND NOT EXISTS (SELECT 1 FROM commerce_stage_product_days y
                        WHERE y.product_id = p.product_id AND y.day = p.day)
    ON CONFLICT (tenant_id, product_id, day) DO UPDATE
        SET cum_amount_minor = commerce_product_days.cum_amount_minor + excluded.cum_amount_minor,
            cum_units = commerce_product_days.cum_units + excluded.cum_units,
            cum_orders = commerce_product_days.cum_orders + excluded.cum_orders
    """,
    postgresql="""
    INSERT INTO commerce_product_days (tenant_id, product_id, day, amount_minor, units, orders,
        cum_amount_minor, cum_units, cum_orders)
    SELECT :t, p.product_id, p.day, 0, 0, 0, r.run_amount, r.run_units, r.run_orders
    FROM (SELECT product_id, MIN(day) AS first_day FROM commerce_stage_product_days
        GROUP BY product_id) AS f
    CROSS JOIN commerce_product_days p CROSS JOIN LATERAL (
        SELECT x.run_amount, x.run_units, x.run_orders FROM commerce_stage_product_days x
        WHERE x.product_id = p.product_id AND x.day <= p.day
        ORDER BY x.day DESC LIMIT 1) AS r
    WHERE p.tenant_id = :t AND p.product_id = f.product_id AND p.day > f.first_day
        AND NOT EXISTS (SELECT 1 FROM commerce_stage_product_days y
                        WHERE y.product_id = p.product_id AND y.day = p.day)
    ON CONFLICT (tenant_id, product_id, day) DO UPDATE
        SET cum_amount_minor = commerce_product_days.cum_amount_minor + excluded.cum_amount_minor,
            cum_units = commerce_product_days.cum_units + excluded.cum_units,
            cum_orders = commerce_product_days.cum_orders + excluded.cum_orders
    """,
)

# Whether ``MOVE_LATER_DAYS`` has anything to move, asked before the batch's own days are
# written: afterwards they would be the later days found, each then excluded row by row.
STORED_DAYS_TO_MOVE = text(
    """
    SELECT 1 FROM (SELECT product_id, MIN(day) AS first_day FROM commerce_stage_product_days
        GROUP BY product_id) AS f
    WHERE EXISTS (SELECT 1 FROM commerce_product_days p
        WHERE p.tenant_id = :t AND p.product_id = f.product_id AND p.day > f.first_day
        AND NOT EXISTS (SELECT 1 FROM commerce_stage_product_days y
                        WHERE y.product_id = p.product_id AND y.day = p.day))
    LIMIT 1
    """
)

APPLY_PRODUCT_STATS = text(
    """
    INSERT INTO commerce_product_stats
        (tenant_id, product_id, amount_minor, units, orders, gross_minor)
    SELECT :t, product_id, SUM(d_amount), SUM(d_units), SUM(d_orders), SUM(d_gross)
        FROM commerce_stage_product_days WHERE true
    GROUP BY product_id
    ON CONFLICT (tenant_id, product_id) DO UPDATE
        SET amount_minor = commerce_product_stats.amount_minor + excluded.amount_minor,
        units = commerce_product_stats.units + excluded.units,
        orders = commerce_product_stats.orders + excluded.orders,
        gross_minor = commerce_product_stats.gross_minor + excluded.gross_minor
    """
)

DELETE_EMPTY_PRODUCT_STATS = text(
    """
    DELETE FROM commerce_product_stats WHERE tenant_id = :t AND orders = 0
    AND product_id IN (SELECT product_id FROM commerce_stage_product_days)
    """
)


async def apply_product_days(applier: BatchApplier) -> None:
    """Daily sales plus running totals: a change on day D moves the totals of D and later."""
    later_days = (await applier.run(STORED_DAYS_TO_MOVE)).first() is not None
    await applier.run(APPLY_PRODUCT_DAYS)
    if later_days:
        await applier.run(MOVE_LATER_DAYS)
    # A day whose sales netted to nothing carries the previous day's totals: drop it. (Only
    # re-sent orders subtract, so batches of new orders never leave such a day.)
    if applier.updates:
        await applier.run(DELETE_EMPTY_PRODUCT_DAYS)


async def apply_product_stats(applier: BatchApplier) -> None:
    """All-time sales per product."""
    await applier.run(APPLY_PRODUCT_STATS)
    if applier.updates:
        await applier.run(DELETE_EMPTY_PRODUCT_STATS)
