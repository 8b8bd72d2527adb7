"""Product rollups of a staged batch: sales per product and day (with running totals) and
all time. Deltas were staged by ``BatchApplier.stage_product_deltas``."""

from __future__ import annotations

from vantage.packs.commerce.repository import staging as st
from vantage.packs.commerce.repository.ingest import BatchApplier

# Stored counter, its delta in the stage, and the delta's running sum over the batch's days.
COUNTERS = (
    ("amount_minor", "d_amount", "run_amount"),
    ("units", "d_units", "run_units"),
    ("orders", "d_orders", "run_orders"),
)


async def apply_product_days(applier: BatchApplier) -> None:
    """Daily sales plus running totals: a change on day D moves the totals of D and later.

    A day of the batch gets its new totals at once: the stored totals through that day (its own
    row's, else the latest earlier day's) plus the batch's running sum at that day. Stored days
    the batch has no sales on then move by the batch's running sum at their date.
    """
    s, table = st.PRODUCT_DAYS, "commerce_product_days"
    through = f"""FROM {table} p WHERE p.tenant_id = :t AND p.product_id = x.product_id
        AND p.day <= x.day ORDER BY p.day DESC LIMIT 1"""
    if applier.dialect.is_sqlite:
        totals = ", ".join(
            f"COALESCE((SELECT p.cum_{c} {through}), 0) + x.{run}" for c, _, run in COUNTERS
        )
        source = f"{s} x"
    else:  # one index probe per stage row instead of one per column
        totals = ", ".join(f"COALESCE(b.cum_{c}, 0) + x.{run}" for c, _, run in COUNTERS)
        columns = ", ".join(f"p.cum_{c}" for c, _, _ in COUNTERS)
        source = f"{s} x LEFT JOIN LATERAL (SELECT {columns} {through}) AS b ON true"
    daily = ", ".join(
        f"{c} = {table}.{c} + excluded.{c}, cum_{c} = excluded.cum_{c}" for c, _, _ in COUNTERS
    )
    await applier.run(
        f"""INSERT INTO {table} (tenant_id, product_id, day, amount_minor, units, orders,
            cum_amount_minor, cum_units, cum_orders)
        SELECT :t, x.product_id, x.day, x.d_amount, x.d_units, x.d_orders, {totals}
        FROM {source} WHERE true
        ON CONFLICT (tenant_id, product_id, day) DO UPDATE SET {daily}"""
    )
    await _move_later_days(applier)
    # A day whose sales netted to nothing carries the previous day's totals: drop it. (Only
    # re-sent orders subtract, so batches of new orders never leave such a day.)
    if not applier.updates:
        return
    await applier.run(
        f"""DELETE FROM {table} WHERE tenant_id = :t
            AND amount_minor = 0 AND units = 0 AND orders = 0
            AND (product_id, day) IN (SELECT product_id, day FROM {s})"""
    )


async def _move_later_days(applier: BatchApplier) -> None:
    """Stored days without sales in the batch, after a product's first day in it, gain the
    batch's running sum at their date: one range scan per product and one stage probe per
    stored day, so a batch spanning many days costs its days, not their square. (A batch of new
    orders in date order finds none: its days are the latest.)"""
    s, table = st.PRODUCT_DAYS, "commerce_product_days"
    latest = f"""FROM {s} x WHERE x.product_id = p.product_id AND x.day <= p.day
        ORDER BY x.day DESC LIMIT 1"""
    if applier.dialect.is_sqlite:
        sums = ", ".join(f"(SELECT x.{run} {latest})" for _, _, run in COUNTERS)
        lateral = ""
    else:
        sums = ", ".join(f"r.{run}" for _, _, run in COUNTERS)
        columns = ", ".join(f"x.{run}" for _, _, run in COUNTERS)
        lateral = f" CROSS JOIN LATERAL (SELECT {columns} {latest}) AS r"
    running = ", ".join(f"cum_{c} = {table}.cum_{c} + excluded.cum_{c}" for c, _, _ in COUNTERS)
    # CROSS JOIN keeps SQLite driving from the batch's products.
    await applier.run(
        f"""INSERT INTO {table} (tenant_id, product_id, day, amount_minor, units, orders,
            cum_amount_minor, cum_units, cum_orders)
        SELECT :t, p.product_id, p.day, 0, 0, 0, {sums}
        FROM (SELECT product_id, MIN(day) AS first_day FROM {s} GROUP BY product_id) AS f
        CROSS JOIN {table} p{lateral}
        WHERE p.tenant_id = :t AND p.product_id = f.product_id AND p.day > f.first_day
            AND NOT EXISTS (SELECT 1 FROM {s} y
                            WHERE y.product_id = p.product_id AND y.day = p.day)
        ON CONFLICT (tenant_id, product_id, day) DO UPDATE SET {running}"""
    )


async def apply_product_stats(applier: BatchApplier) -> None:
    """All-time sales per product."""
    table = "commerce_product_stats"
    sums = ", ".join(f"SUM({delta})" for _, delta, _ in COUNTERS)
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c, _, _ in COUNTERS)
    await applier.run(
        f"""INSERT INTO {table} (tenant_id, product_id, amount_minor, units, orders)
        SELECT :t, product_id, {sums} FROM {st.PRODUCT_DAYS} WHERE true
        GROUP BY product_id
        ON CONFLICT (tenant_id, product_id) DO UPDATE SET {updates}"""
    )
    if applier.updates:
        await applier.run(
            f"""DELETE FROM {table} WHERE tenant_id = :t AND orders = 0
            AND product_id IN (SELECT product_id FROM {st.PRODUCT_DAYS})"""
        )
