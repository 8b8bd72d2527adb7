"""Staging tables: a batch is bulk-loaded into per-connection temporary tables first.

Every later step is one set-based statement joining the stage with the real tables, so a batch
of 10,000 orders costs a few dozen statements, not tens of thousands. SQLite loads with
``executemany``; PostgreSQL with ``COPY`` (asyncpg ``copy_records_to_table``).
"""

from __future__ import annotations

from datetime import UTC, date
from typing import Any

from sqlalchemy import column, delete, insert, table
from sqlalchemy.ext.asyncio import AsyncConnection

from vantage.packs.commerce.ingest.batch import (
    AMOUNT,
    CUSTOMER,
    LINE_COUNT,
    PLACED_AT,
    SOURCE_ID,
    STATUS,
    UNITS,
    OrderBatch,
)
from vantage.packs.commerce.repository.dialect import Dialect

ORDERS = "commerce_stage_orders"
LINES = "commerce_stage_lines"
CUSTOMERS = "commerce_stage_customers"
PRODUCTS = "commerce_stage_products"
DAILY_CUSTOMERS = "commerce_stage_daily_customers"
CUSTOMER_STATS = "commerce_stage_customer_stats"
CUSTOMER_MONTHS = "commerce_stage_customer_months"
PRODUCT_DAYS = "commerce_stage_product_days"

ORDER_COLUMNS = (
    "seq",
    "source_id",
    "customer_ext",
    "placed_at",
    "day",
    "month",
    "status",
    "amount",
    "units",
    "line_count",
)
LINE_COLUMNS = ("seq", "line_no", "product_ext", "quantity", "unit_price", "amount")


def _tables(d: Dialect) -> dict[str, str]:
    ts, day = d.timestamp_type, d.date_type
    return {
        ORDERS: f"""seq INTEGER PRIMARY KEY, source_id TEXT NOT NULL, customer_ext TEXT,
            placed_at {ts} NOT NULL, day {day} NOT NULL, month {day} NOT NULL,
            status TEXT NOT NULL, amount BIGINT NOT NULL, units BIGINT NOT NULL,
            line_count INTEGER NOT NULL, customer_id BIGINT, order_id BIGINT,
            is_update INTEGER NOT NULL DEFAULT 0, old_customer_id BIGINT,
            old_placed_at {ts}, old_day {day}, old_month {day}, old_status TEXT,
            old_amount BIGINT, old_units BIGINT""",
        LINES: """seq INTEGER NOT NULL, line_no INTEGER NOT NULL, product_ext TEXT NOT NULL,
            quantity BIGINT NOT NULL, unit_price BIGINT NOT NULL, amount BIGINT NOT NULL,
            product_id BIGINT, PRIMARY KEY (seq, line_no)""",
        CUSTOMERS: "ext TEXT PRIMARY KEY, name TEXT, country TEXT, customer_id BIGINT",
        PRODUCTS: "ext TEXT PRIMARY KEY, name TEXT, product_id BIGINT",
        DAILY_CUSTOMERS: f"""day {day} NOT NULL, status TEXT NOT NULL,
            customer_id BIGINT NOT NULL, d_orders BIGINT NOT NULL, d_amount BIGINT NOT NULL,
            before_orders BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (day, status, customer_id)""",
        CUSTOMER_STATS: f"""customer_id BIGINT PRIMARY KEY, d_orders BIGINT NOT NULL,
            d_amount BIGINT NOT NULL, new_first {ts}, new_last {ts},
            removed INTEGER NOT NULL, before_first_month {day}, after_first_month {day}""",
        CUSTOMER_MONTHS: f"""customer_id BIGINT NOT NULL, month {day} NOT NULL,
            d_orders BIGINT NOT NULL, d_amount BIGINT NOT NULL,
            before_orders BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (customer_id, month)""",
        PRODUCT_DAYS: f"""product_id BIGINT NOT NULL, day {day} NOT NULL,
            d_amount BIGINT NOT NULL, d_units BIGINT NOT NULL, d_orders BIGINT NOT NULL,
            run_amount BIGINT NOT NULL, run_units BIGINT NOT NULL, run_orders BIGINT NOT NULL,
            PRIMARY KEY (product_id, day)""",
    }


async def prepare_stage(connection: AsyncConnection, d: Dialect) -> None:
    """Create the stage tables on this connection if needed, and empty them."""
    suffix = "" if d.is_sqlite else " ON COMMIT DELETE ROWS"
    for name, columns in _tables(d).items():
        await connection.exec_driver_sql(
            f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns}){suffix}"
        )
        await connection.execute(delete(table(name)))


def _order_rows(batch: OrderBatch, d: Dialect) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    if d.is_sqlite:
        for seq, order in enumerate(batch.orders):
            stamp = d.timestamp(order[PLACED_AT])  # type: ignore[arg-type]
            assert isinstance(stamp, str)
            day = stamp[:10]
            append(
                (seq, order[SOURCE_ID], order[CUSTOMER], stamp, day, day[:8] + "01",
                 order[STATUS], order[AMOUNT], order[UNITS], order[LINE_COUNT])
            )  # fmt: skip
        return rows
    for seq, order in enumerate(batch.orders):
        placed = order[PLACED_AT].astimezone(UTC)  # type: ignore[attr-defined]
        day = placed.date()
        append(
            (seq, order[SOURCE_ID], order[CUSTOMER], placed, day, date(day.year, day.month, 1),
             order[STATUS], order[AMOUNT], order[UNITS], order[LINE_COUNT])
        )  # fmt: skip
    return rows


def _positional_insert(connection: AsyncConnection, name: str, columns: tuple[str, ...]) -> str:
    """``INSERT INTO name (columns) VALUES (?, ...)`` in the driver's own parameter style, for
    ``executemany`` of plain tuples (SQLAlchemy's dict rows cost more than the insert)."""
    statement = insert(table(name, *(column(c) for c in columns)))
    return str(statement.compile(dialect=connection.dialect, column_keys=list(columns)))


async def load_stage(connection: AsyncConnection, d: Dialect, batch: OrderBatch) -> None:
    """Bulk-load the batch's orders, lines, customers and products into the stage."""
    orders = _order_rows(batch, d)
    customers = [(ext, name, country) for ext, (name, country) in batch.customers.items()]
    products = list(batch.products.items())
    targets: list[tuple[str, tuple[str, ...], list[Any]]] = [
        (ORDERS, ORDER_COLUMNS, orders),
        (LINES, LINE_COLUMNS, batch.lines),
        (CUSTOMERS, ("ext", "name", "country"), customers),
        (PRODUCTS, ("ext", "name"), products),
    ]
    if d.is_sqlite:
        for name, columns, rows in targets:
            if rows:
                await connection.exec_driver_sql(
                    _positional_insert(connection, name, columns), rows
                )
        return
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    for name, columns, rows in targets:
        if rows:
            await driver.copy_records_to_table(name, records=rows, columns=list(columns))
    # Temporary tables are never auto-analysed; without statistics the planner guesses badly.
    await connection.exec_driver_sql(f"ANALYZE {ORDERS}, {LINES}, {CUSTOMERS}, {PRODUCTS}")
