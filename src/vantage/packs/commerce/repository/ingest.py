"""Applying a staged batch: facts are upserted and every rollup moves by the batch's exact delta.

Each order contributes +1 (as sent now) and, when it was sent before, -1 (as it was stored).
Summing both per rollup key gives the delta to add, so re-sending an order with a new status,
customer, date or lines reverses its old contribution and applies the new one. Counts of
distinct things (customers per day, active customers per cohort month) are kept exact by
per-key counters whose transitions 0 <-> n move the distinct counts.

Order of steps matters: old lines are read before they are replaced, and first/last purchase
times are recomputed after the orders table holds the new versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.packs.commerce.repository import staging as st
from vantage.packs.commerce.repository.dialect import Dialect

# Namespace of this pack's advisory locks (any constant; ASCII "comm").
ADVISORY_NAMESPACE = 0x636F6D6D


@dataclass(frozen=True)
class AppliedCounts:
    orders: int
    created: int
    updated: int
    lines: int


class BatchApplier:
    """Runs the set-based statements that apply one staged batch for one tenant."""

    def __init__(self, connection: AsyncConnection, dialect: Dialect, tenant_id: int) -> None:
        self._connection = connection
        self._d = dialect
        self._tenant_id = tenant_id
        # Re-sent orders in this batch. Without any, every delta only adds, so no rollup row
        # can fall to zero and the clean-up deletes are skipped.
        self.updates = 0

    @property
    def dialect(self) -> Dialect:
        return self._d

    async def run(self, sql: str, **params: Any) -> Any:
        """Execute one statement with the tenant bound as ``:t``."""
        return await self._connection.execute(text(sql), {"t": self._tenant_id, **params})

    async def lookup(
        self,
        target: str,
        values: dict[str, str],
        source: str,
        match: str,
        *,
        where: str = "",
        defaults: dict[str, str] | None = None,
    ) -> None:
        """Copy values of the matching ``source`` row onto each stage row (``match`` may name
        ``target``); unmatched rows get NULL or the given default.

        A correlated subquery keeps the small stage as the driving table and probes the large
        table by its index, on both databases: PostgreSQL's ``UPDATE ... FROM`` prefers hashing
        the whole large table, several times slower at a million orders.
        """
        defaults = defaults or {}
        lookup = f"(SELECT {', '.join(values.values())} FROM {source} WHERE {match})"
        if len(values) == 1:
            (column,) = values
            value = f"COALESCE({lookup}, {defaults[column]})" if column in defaults else lookup
            assignment = f"{column} = {value}"
        else:
            assignment = f"({', '.join(values)}) = {lookup}"
        await self.run(f"UPDATE {target} SET {assignment}" + (f" WHERE {where}" if where else ""))

    async def lock_tenant(self) -> None:
        """Serialise ingests of one tenant (SQLite already admits one writer at a time)."""
        if not self._d.is_sqlite:
            await self.run("SELECT pg_advisory_xact_lock(:ns, :t)", ns=ADVISORY_NAMESPACE)

    async def resolve_dimensions(self, now: datetime) -> None:
        """Upsert the customers and products named by the batch and map them to ids."""
        stamp = self._d.timestamp(now)
        for table, stage, extra in (
            ("commerce_customers", st.CUSTOMERS, ("country",)),
            ("commerce_products", st.PRODUCTS, ()),
        ):
            columns = ", ".join(("name", *extra))
            changed = " OR ".join(
                f"(excluded.{c} IS NOT NULL AND excluded.{c} IS DISTINCT FROM {table}.{c})"
                for c in ("name", *extra)
            )
            updates = ", ".join(
                f"{c} = COALESCE(excluded.{c}, {table}.{c})" for c in ("name", *extra)
            )
            await self.run(
                f"""INSERT INTO {table} (tenant_id, external_id, {columns}, created_at, updated_at)
                SELECT :t, ext, {columns}, :now, :now FROM {stage} WHERE true
                ON CONFLICT (tenant_id, external_id) DO UPDATE SET {updates},
                    updated_at = excluded.updated_at
                WHERE {changed}""",
                now=stamp,
            )
        await self.lookup(
            st.CUSTOMERS, {"customer_id": "c.id"}, "commerce_customers c",
            f"c.tenant_id = :t AND c.external_id = {st.CUSTOMERS}.ext",
        )  # fmt: skip
        await self.lookup(
            st.ORDERS, {"customer_id": "s.customer_id"}, f"{st.CUSTOMERS} s",
            f"s.ext = {st.ORDERS}.customer_ext", where=f"{st.ORDERS}.customer_ext IS NOT NULL",
        )  # fmt: skip
        await self.lookup(
            st.PRODUCTS, {"product_id": "p.id"}, "commerce_products p",
            f"p.tenant_id = :t AND p.external_id = {st.PRODUCTS}.ext",
        )  # fmt: skip
        await self.lookup(
            st.LINES, {"product_id": "s.product_id"}, f"{st.PRODUCTS} s",
            f"s.ext = {st.LINES}.product_ext",
        )  # fmt: skip

    async def capture_previous_versions(self) -> int:
        """Copy the stored version of every re-sent order into the stage; returns how many."""
        await self.lookup(
            st.ORDERS,
            {
                "order_id": "o.id",
                "old_customer_id": "o.customer_id",
                "old_placed_at": "o.placed_at",
                "old_day": "o.day",
                "old_month": self._d.month_of_day("o.day"),
                "old_status": "o.status",
                "old_amount": "o.amount_minor",
                "old_units": "o.units",
            },
            "commerce_orders o",
            f"o.tenant_id = :t AND o.source_id = {st.ORDERS}.source_id",
        )
        await self.run(f"UPDATE {st.ORDERS} SET is_update = 1 WHERE order_id IS NOT NULL")
        result = await self.run(f"SELECT COUNT(*) FROM {st.ORDERS} WHERE is_update = 1")
        self.updates = int(result.scalar_one())
        return self.updates

    async def stage_product_deltas(self) -> None:
        """Per (product, day): new completed lines minus the replaced ones (read before delete),
        and their running sums over the batch's days of that product (``run_*``)."""
        await self.run(
            f"""INSERT INTO {st.PRODUCT_DAYS} (product_id, day, d_amount, d_units, d_orders,
                run_amount, run_units, run_orders)
            SELECT product_id, day, SUM(amount), SUM(units), SUM(n),
                SUM(SUM(amount)) OVER w, SUM(SUM(units)) OVER w, SUM(SUM(n)) OVER w FROM (
                SELECT l.product_id AS product_id, o.day AS day, SUM(l.amount) AS amount,
                    SUM(l.quantity) AS units, 1 AS n
                FROM {st.LINES} l JOIN {st.ORDERS} o ON o.seq = l.seq
                WHERE o.status = 'completed'
                GROUP BY o.seq, o.day, l.product_id
                UNION ALL
                SELECT l.product_id, o.old_day, -SUM(l.amount_minor), -SUM(l.quantity), -1
                FROM {st.ORDERS} o CROSS JOIN commerce_order_lines l
                WHERE l.order_id = o.order_id AND o.is_update = 1
                    AND o.old_status = 'completed' AND l.tenant_id = :t
                GROUP BY o.seq, o.old_day, l.product_id
            ) AS d WHERE true
            GROUP BY product_id, day
            HAVING SUM(amount) <> 0 OR SUM(units) <> 0 OR SUM(n) <> 0
            WINDOW w AS (PARTITION BY product_id ORDER BY day)"""
        )

    async def write_orders(self, now: datetime) -> None:
        """Replace re-sent orders and their lines, insert new ones, map every order to its id."""
        stamp = self._d.timestamp(now)
        await self.run(
            f"""UPDATE commerce_orders SET customer_id = s.customer_id,
                placed_at = s.placed_at, day = s.day, status = s.status,
                amount_minor = s.amount, units = s.units, line_count = s.line_count,
                updated_at = :now
            FROM {st.ORDERS} s
            WHERE s.is_update = 1 AND commerce_orders.id = s.order_id""",
            now=stamp,
        )
        await self.run(
            f"""DELETE FROM commerce_order_lines WHERE tenant_id = :t AND order_id IN
                (SELECT order_id FROM {st.ORDERS} WHERE is_update = 1)"""
        )
        await self.run(
            f"""INSERT INTO commerce_orders (tenant_id, source_id, customer_id, placed_at, day,
                status, amount_minor, units, line_count, created_at, updated_at)
            SELECT :t, source_id, customer_id, placed_at, day, status, amount, units,
                line_count, :now, :now
            FROM {st.ORDERS} WHERE is_update = 0 ORDER BY seq""",
            now=stamp,
        )
        await self.lookup(
            st.ORDERS, {"order_id": "o.id"}, "commerce_orders o",
            f"o.tenant_id = :t AND o.source_id = {st.ORDERS}.source_id",
            where=f"{st.ORDERS}.is_update = 0",
        )  # fmt: skip
        await self.run(
            f"""INSERT INTO commerce_order_lines (order_id, line_no, tenant_id, product_id,
                quantity, unit_price_minor, amount_minor)
            SELECT o.order_id, l.line_no, :t, l.product_id, l.quantity, l.unit_price, l.amount
            FROM {st.LINES} l JOIN {st.ORDERS} o ON o.seq = l.seq"""
        )

    async def apply_daily_status(self) -> None:
        """Amount, orders and units per (day, status)."""
        await self.run(
            f"""INSERT INTO commerce_daily_status
                (tenant_id, day, status, amount_minor, orders, units, customers)
            SELECT :t, day, status, SUM(amount), SUM(n), SUM(units), 0 FROM (
                SELECT day, status, amount, 1 AS n, units FROM {st.ORDERS}
                UNION ALL
                SELECT old_day, old_status, -old_amount, -1, -old_units
                FROM {st.ORDERS} WHERE is_update = 1
            ) AS d WHERE true
            GROUP BY day, status
            ON CONFLICT (tenant_id, day, status) DO UPDATE SET
                amount_minor = commerce_daily_status.amount_minor + excluded.amount_minor,
                orders = commerce_daily_status.orders + excluded.orders,
                units = commerce_daily_status.units + excluded.units"""
        )

    async def apply_daily_customers(self) -> None:
        """Orders per (day, status, customer), and the distinct-customer counts they drive."""
        s = st.DAILY_CUSTOMERS
        await self.run(
            f"""INSERT INTO {s} (day, status, customer_id, d_orders, d_amount)
            SELECT day, status, customer_id, SUM(n), SUM(amount) FROM (
                SELECT day, status, customer_id, 1 AS n, amount
                FROM {st.ORDERS} WHERE customer_id IS NOT NULL
                UNION ALL
                SELECT old_day, old_status, old_customer_id, -1, -old_amount
                FROM {st.ORDERS} WHERE is_update = 1 AND old_customer_id IS NOT NULL
            ) AS d WHERE true
            GROUP BY day, status, customer_id
            HAVING SUM(n) <> 0 OR SUM(amount) <> 0"""
        )
        await self.lookup(
            s, {"before_orders": "dc.orders"}, "commerce_daily_customers dc",
            f"""dc.tenant_id = :t AND dc.day = {s}.day AND dc.status = {s}.status
                AND dc.customer_id = {s}.customer_id""",
            defaults={"before_orders": "0"},
        )  # fmt: skip
        await self.run(
            f"""INSERT INTO commerce_daily_customers
                (tenant_id, day, status, customer_id, orders, amount_minor)
            SELECT :t, day, status, customer_id, d_orders, d_amount FROM {s} WHERE true
            ON CONFLICT (tenant_id, day, status, customer_id) DO UPDATE SET
                orders = commerce_daily_customers.orders + excluded.orders,
                amount_minor = commerce_daily_customers.amount_minor + excluded.amount_minor"""
        )
        if self.updates:
            await self.run(
                f"""DELETE FROM commerce_daily_customers WHERE tenant_id = :t AND orders = 0
            AND (day, status, customer_id) IN
                (SELECT day, status, customer_id FROM {s} WHERE before_orders + d_orders = 0)"""
            )
        await self.run(
            f"""INSERT INTO commerce_daily_status
                (tenant_id, day, status, amount_minor, orders, units, customers)
            SELECT :t, day, status, 0, 0, 0, SUM(
                CASE WHEN before_orders = 0 AND d_orders > 0 THEN 1
                     WHEN before_orders > 0 AND before_orders + d_orders = 0 THEN -1
                     ELSE 0 END) AS moved
            FROM {s} WHERE true
            GROUP BY day, status
            ON CONFLICT (tenant_id, day, status) DO UPDATE SET
                customers = commerce_daily_status.customers + excluded.customers"""
        )
        if self.updates:
            await self.run(
                f"""DELETE FROM commerce_daily_status WHERE tenant_id = :t AND orders = 0
            AND day IN (SELECT day FROM {st.ORDERS}
                        UNION SELECT old_day FROM {st.ORDERS} WHERE is_update = 1)"""
            )
