"""Applying a staged batch: facts are upserted and every rollup moves by the batch's exact delta.

Each order contributes +1 (as sent now) and, when it was sent before, -1 (as it was stored).
Summing both per rollup key gives the delta to add, so re-sending an order with a new status,
customer, date or lines reverses its old contribution and applies the new one. Counts of
distinct things (customers per day, active customers per cohort month) are kept exact by
per-key counters whose transitions 0 <-> n move the distinct counts.

Order of steps matters: old lines are read before they are replaced, and first/last purchase
times are recomputed after the orders table holds the new versions.

Every statement is one set-based pass over the stage (``staging``). Values from the real
tables are copied onto stage rows by correlated subqueries: they keep the small stage as the
driving table and probe the large table by its index, on both databases (PostgreSQL's
``UPDATE ... FROM`` prefers hashing the whole large table, several times slower at a million
orders).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.core.dialect import Dialect, DialectStatement

# Namespace of this pack's advisory locks (any constant; ASCII "comm").
ADVISORY_NAMESPACE = 0x636F6D6D

LOCK_TENANT = text("SELECT pg_advisory_xact_lock(:ns, :t)")

UPSERT_CUSTOMERS = text(
    """
    INSERT INTO commerce_customers (tenant_id, external_id, name, country, created_at, updated_at)
    SELECT :t, ext, name, country, :now, :now FROM commerce_stage_customers WHERE true
    ON CONFLICT (tenant_id, external_id) DO UPDATE SET
        name = COALESCE(excluded.name, commerce_customers.name),
        country = COALESCE(excluded.country, commerce_customers.country),
        updated_at = excluded.updated_at
    WHERE (excluded.name IS NOT NULL AND excluded.name IS DISTINCT FROM commerce_customers.name)
        OR (excluded.country IS NOT NULL
            AND excluded.country IS DISTINCT FROM commerce_customers.country)
    """
)

UPSERT_PRODUCTS = text(
    """
    INSERT INTO commerce_products (tenant_id, external_id, name, created_at, updated_at)
    SELECT :t, ext, name, :now, :now FROM commerce_stage_products WHERE true
    ON CONFLICT (tenant_id, external_id) DO UPDATE SET
        name = COALESCE(excluded.name, commerce_products.name),
        updated_at = excluded.updated_at
    WHERE (excluded.name IS NOT NULL AND excluded.name IS DISTINCT FROM commerce_products.name)
    """
)

MAP_STAGE_CUSTOMERS = text(
    """
    UPDATE commerce_stage_customers SET customer_id = (SELECT c.id FROM commerce_customers c
        WHERE c.tenant_id = :t AND c.external_id = commerce_stage_customers.ext)
    """
)

MAP_ORDER_CUSTOMERS = text(
    """
    UPDATE commerce_stage_orders SET customer_id = (SELECT s.customer_id
        FROM commerce_stage_customers s WHERE s.ext = commerce_stage_orders.customer_ext)
        WHERE commerce_stage_orders.customer_ext IS NOT NULL
    """
)

MAP_STAGE_PRODUCTS = text(
    """
    UPDATE commerce_stage_products SET product_id = (SELECT p.id FROM commerce_products p
        WHERE p.tenant_id = :t AND p.external_id = commerce_stage_products.ext)
    """
)

MAP_LINE_PRODUCTS = text(
    """
    UPDATE commerce_stage_lines SET product_id = (SELECT s.product_id
        FROM commerce_stage_products s WHERE s.ext = commerce_stage_lines.product_ext)
    """
)

CAPTURE_PREVIOUS_VERSIONS = DialectStatement(
    sqlite="""
    UPDATE commerce_stage_orders SET (order_id, old_customer_id, old_placed_at, old_day,
        old_month, old_status, old_amount, old_units) = (SELECT o.id, o.customer_id, o.placed_at,
        o.day, date(o.day, 'start of month'), o.status, o.amount_minor, o.units
        FROM commerce_orders o WHERE o.tenant_id = :t
        AND o.source_id = commerce_stage_orders.source_id)
    """,
    postgresql="""
    UPDATE commerce_stage_orders SET (order_id, old_customer_id, old_placed_at, old_day,
        old_month, old_status, old_amount, old_units) = (SELECT o.id, o.customer_id, o.placed_at,
        o.day, CAST(date_trunc('month', o.day) AS DATE), o.status, o.amount_minor, o.units
        FROM commerce_orders o WHERE o.tenant_id = :t
        AND o.source_id = commerce_stage_orders.source_id)
    """,
)

MARK_UPDATES = text(
    """
    UPDATE commerce_stage_orders SET is_update = 1 WHERE order_id IS NOT NULL
    """
)

COUNT_UPDATES = text(
    """
    SELECT COUNT(*) FROM commerce_stage_orders WHERE is_update = 1
    """
)

# An order's positive amount for a product: what it adds to the product's revenue before
# returns (``commerce_product_stats.gross_minor``).
POSITIVE = "CASE WHEN SUM({amount}) > 0 THEN SUM({amount}) ELSE 0 END"

STAGE_PRODUCT_DELTAS = text(
    f"""
    INSERT INTO commerce_stage_product_days (product_id, day, d_amount, d_units, d_orders,
        d_gross, run_amount, run_units, run_orders)
    SELECT product_id, day, SUM(amount), SUM(units), SUM(n), SUM(gross),
        SUM(SUM(amount)) OVER w, SUM(SUM(units)) OVER w, SUM(SUM(n)) OVER w FROM (
        SELECT l.product_id AS product_id, o.day AS day, SUM(l.amount) AS amount,
            SUM(l.quantity) AS units, 1 AS n, {POSITIVE.format(amount="l.amount")} AS gross
        FROM commerce_stage_lines l JOIN commerce_stage_orders o ON o.seq = l.seq
        WHERE o.status = 'completed'
        GROUP BY o.seq, o.day, l.product_id
        UNION ALL
        SELECT l.product_id, o.old_day, -SUM(l.amount_minor), -SUM(l.quantity), -1,
            -{POSITIVE.format(amount="l.amount_minor")}
        FROM commerce_stage_orders o CROSS JOIN commerce_order_lines l
        WHERE l.order_id = o.order_id AND o.is_update = 1
            AND o.old_status = 'completed' AND l.tenant_id = :t
        GROUP BY o.seq, o.old_day, l.product_id
    ) AS d WHERE true
    GROUP BY product_id, day
    HAVING SUM(amount) <> 0 OR SUM(units) <> 0 OR SUM(n) <> 0 OR SUM(gross) <> 0
    WINDOW w AS (PARTITION BY product_id ORDER BY day)
    """  # noqa: S608 - fixed fragments only
)

REPLACE_ORDERS = text(
    """
    UPDATE commerce_orders SET customer_id = s.customer_id,
        placed_at = s.placed_at, day = s.day, status = s.status,
        amount_minor = s.amount, units = s.units, line_count = s.line_count,
        updated_at = :now
    FROM commerce_stage_orders s
    WHERE s.is_update = 1 AND commerce_orders.id = s.order_id
        AND commerce_orders.tenant_id = :t
    """
)

DELETE_REPLACED_LINES = text(
    """
    DELETE FROM commerce_order_lines WHERE tenant_id = :t AND order_id IN
    (SELECT order_id FROM commerce_stage_orders WHERE is_update = 1)
    """
)

INSERT_NEW_ORDERS = text(
    """
    INSERT INTO commerce_orders (tenant_id, source_id, customer_id, placed_at, day,
        status, amount_minor, units, line_count, created_at, updated_at)
    SELECT :t, source_id, customer_id, placed_at, day, status, amount, units,
        line_count, :now, :now
    FROM commerce_stage_orders WHERE is_update = 0 ORDER BY seq
    """
)

MAP_NEW_ORDER_IDS = text(
    """
    UPDATE commerce_stage_orders SET order_id = (SELECT o.id FROM commerce_orders o
        WHERE o.tenant_id = :t AND o.source_id = commerce_stage_orders.source_id)
        WHERE commerce_stage_orders.is_update = 0
    """
)

INSERT_LINES = text(
    """
    INSERT INTO commerce_order_lines (order_id, line_no, tenant_id, product_id,
        quantity, unit_price_minor, amount_minor)
    SELECT o.order_id, l.line_no, :t, l.product_id, l.quantity, l.unit_price, l.amount
    FROM commerce_stage_lines l JOIN commerce_stage_orders o ON o.seq = l.seq
    """
)


@dataclass(frozen=True)
class AppliedCounts:
    """What one batch did: orders sent, of which new and re-sent, and lines written."""

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
        """The database the batch is written to."""
        return self._d

    async def run(self, statement: TextClause | DialectStatement, **params: Any) -> Any:
        """Execute one statement with the tenant bound as ``:t``."""
        if isinstance(statement, DialectStatement):
            statement = statement.on(self._d)
        return await self._connection.execute(statement, {"t": self._tenant_id, **params})

    async def lock_tenant(self) -> None:
        """Serialise ingests of one tenant (SQLite already admits one writer at a time)."""
        if not self._d.is_sqlite:
            await self.run(LOCK_TENANT, ns=ADVISORY_NAMESPACE)

    async def resolve_dimensions(self, now: datetime) -> None:
        """Upsert the customers and products named by the batch and map them to ids."""
        stamp = self._d.timestamp(now)
        await self.run(UPSERT_CUSTOMERS, now=stamp)
        await self.run(UPSERT_PRODUCTS, now=stamp)
        await self.run(MAP_STAGE_CUSTOMERS)
        await self.run(MAP_ORDER_CUSTOMERS)
        await self.run(MAP_STAGE_PRODUCTS)
        await self.run(MAP_LINE_PRODUCTS)

    async def capture_previous_versions(self) -> int:
        """Copy the stored version of every re-sent order into the stage; returns how many."""
        await self.run(CAPTURE_PREVIOUS_VERSIONS)
        await self.run(MARK_UPDATES)
        result = await self.run(COUNT_UPDATES)
        self.updates = int(result.scalar_one())
        return self.updates

    async def stage_product_deltas(self) -> None:
        """Per (product, day): new completed lines minus the replaced ones (read before delete),
        and their running sums over the batch's days of that product (``run_*``)."""
        await self.run(STAGE_PRODUCT_DELTAS)

    async def write_orders(self, now: datetime) -> None:
        """Replace re-sent orders and their lines, insert new ones, map every order to its id."""
        stamp = self._d.timestamp(now)
        await self.run(REPLACE_ORDERS, now=stamp)
        await self.run(DELETE_REPLACED_LINES)
        await self.run(INSERT_NEW_ORDERS, now=stamp)
        await self.run(MAP_NEW_ORDER_IDS)
        await self.run(INSERT_LINES)
