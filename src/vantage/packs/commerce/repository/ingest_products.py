"""Product rollups of a staged batch: sales per product and day (with running totals) and
all time. Deltas were staged by ``BatchApplier.stage_product_deltas``."""

from __future__ import annotations

from vantage.packs.commerce.repository import staging as st
from vantage.packs.commerce.repository.ingest import BatchApplier

COUNTERS = (("amount_minor", "d_amount"), ("units", "d_units"), ("orders", "d_orders"))


async def apply_product_days(applier: BatchApplier) -> None:
    """Daily sales plus running totals: a change on day D moves the totals of D and later."""
    s, table = st.PRODUCT_DAYS, "commerce_product_days"
    # Daily deltas; a new (product, day) row starts from the previous day's running totals.
    earlier = f"""FROM {table} p WHERE p.tenant_id = :t AND p.product_id = x.product_id
        AND p.day < x.day ORDER BY p.day DESC LIMIT 1"""
    if applier.dialect.is_sqlite:
        prior = ", ".join(f"COALESCE((SELECT p.cum_{c} {earlier}), 0)" for c, _ in COUNTERS)
        source = f"{s} x"
    else:  # one index probe per stage row instead of one per column
        prior = ", ".join(f"COALESCE(b.cum_{c}, 0)" for c, _ in COUNTERS)
        columns = ", ".join(f"p.cum_{c}" for c, _ in COUNTERS)
        source = f"{s} x LEFT JOIN LATERAL (SELECT {columns} {earlier}) AS b ON true"
    daily = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c, _ in COUNTERS)
    await applier.run(
        f"""INSERT INTO {table} (tenant_id, product_id, day, amount_minor, units, orders,
            cum_amount_minor, cum_units, cum_orders)
        SELECT :t, x.product_id, x.day, x.d_amount, x.d_units, x.d_orders, {prior}
        FROM {source} WHERE true
        ON CONFLICT (tenant_id, product_id, day) DO UPDATE SET {daily}"""
    )
    running = ", ".join(f"cum_{c} = {table}.cum_{c} + excluded.cum_{c}" for c, _ in COUNTERS)
    await applier.run(
        f"""INSERT INTO {table} (tenant_id, product_id, day, amount_minor, units, orders,
            cum_amount_minor, cum_units, cum_orders)
        SELECT :t, p.product_id, p.day, 0, 0, 0,
            SUM(x.d_amount), SUM(x.d_units), SUM(x.d_orders)
        FROM {s} x CROSS JOIN {table} p
        WHERE p.tenant_id = :t AND p.product_id = x.product_id AND p.day >= x.day
        GROUP BY p.product_id, p.day
        ON CONFLICT (tenant_id, product_id, day) DO UPDATE SET {running}"""
    )
    # A day whose sales netted to nothing carries the previous day's totals: drop it. (Only
    # re-sent orders subtract, so batches of new orders never leave such a day.)
    if not applier.updates:
        return
    await applier.run(
        f"""DELETE FROM {table} WHERE tenant_id = :t
            AND amount_minor = 0 AND units = 0 AND orders = 0
            AND (product_id, day) IN (SELECT product_id, day FROM {s})"""
    )


async def apply_product_stats(applier: BatchApplier) -> None:
    """All-time sales per product."""
    table = "commerce_product_stats"
    sums = ", ".join(f"SUM({delta})" for _, delta in COUNTERS)
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c, _ in COUNTERS)
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
