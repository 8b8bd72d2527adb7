"""Staging tables: a batch is bulk-loaded into per-connection temporary tables first.

Every later step is one set-based statement joining the stage with the real tables, so a batch
of 10,000 orders costs a few dozen statements, not tens of thousands. SQLite loads with
``executemany``; PostgreSQL with ``COPY`` (asyncpg ``copy_records_to_table``).
"""

from __future__ import annotations

from datetime import UTC, date
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    Table,
    Text,
    column,
    delete,
    insert,
    table,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.schema import CreateTable

from vantage.core.dialect import Dialect
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


# Stage tables live in their own metadata: temporary, per connection, never migrated. On SQLite
# timestamps and dates are the naive-UTC text the real tables hold (see ``vantage.core.dialect``).
STAGE = MetaData()
Timestamp = DateTime(timezone=True).with_variant(Text(), "sqlite")
Day = Date().with_variant(Text(), "sqlite")


def _stage_table(name: str, *columns: Column[Any]) -> Table:
    """A temporary table; on PostgreSQL its rows go with each commit."""
    return Table(name, STAGE, *columns, prefixes=["TEMPORARY"], postgresql_on_commit="DELETE ROWS")


def _key(name: str, kind: Any) -> Column[Any]:
    return Column(name, kind, primary_key=True, autoincrement=False)


def _required(name: str, kind: Any, default: str | None = None) -> Column[Any]:
    return Column(
        name, kind, nullable=False, server_default=None if default is None else text(default)
    )


STAGE_TABLES = (
    _stage_table(
        ORDERS, _key("seq", Integer), _required("source_id", Text),
        Column("customer_ext", Text), _required("placed_at", Timestamp), _required("day", Day),
        _required("month", Day), _required("status", Text), _required("amount", BigInteger),
        _required("units", BigInteger), _required("line_count", Integer),
        Column("customer_id", BigInteger), Column("order_id", BigInteger),
        _required("is_update", Integer, default="0"), Column("old_customer_id", BigInteger),
        Column("old_placed_at", Timestamp), Column("old_day", Day), Column("old_month", Day),
        Column("old_status", Text), Column("old_amount", BigInteger),
        Column("old_units", BigInteger),
    ),
    _stage_table(
        LINES, _key("seq", Integer), _key("line_no", Integer),
        _required("product_ext", Text), _required("quantity", BigInteger),
        _required("unit_price", BigInteger), _required("amount", BigInteger),
        Column("product_id", BigInteger),
    ),
    _stage_table(
        CUSTOMERS, _key("ext", Text), Column("name", Text), Column("country", Text),
        Column("customer_id", BigInteger),
    ),
    _stage_table(
        PRODUCTS, _key("ext", Text), Column("name", Text),
        Column("product_id", BigInteger),
    ),
    _stage_table(
        DAILY_CUSTOMERS, _key("day", Day), _key("status", Text),
        _key("customer_id", BigInteger), _required("d_orders", BigInteger),
        _required("d_amount", BigInteger), _required("before_orders", BigInteger, default="0"),
    ),
    _stage_table(
        CUSTOMER_STATS, _key("customer_id", BigInteger), _required("d_orders", BigInteger),
        _required("d_amount", BigInteger), Column("new_first", Timestamp),
        Column("new_last", Timestamp), _required("removed", Integer),
        Column("before_first_month", Day), Column("after_first_month", Day),
    ),
    _stage_table(
        CUSTOMER_MONTHS, _key("customer_id", BigInteger), _key("month", Day),
        _required("d_orders", BigInteger), _required("d_amount", BigInteger),
        _required("before_orders", BigInteger, default="0"),
    ),
    _stage_table(
        PRODUCT_DAYS, _key("product_id", BigInteger), _key("day", Day),
        _required("d_amount", BigInteger), _required("d_units", BigInteger),
        _required("d_orders", BigInteger), _required("d_gross", BigInteger),
        _required("run_amount", BigInteger),
        _required("run_units", BigInteger), _required("run_orders", BigInteger),
    ),
)  # fmt: skip

ANALYZE_LOADED_STAGE = text(
    "ANALYZE commerce_stage_orders, commerce_stage_lines, commerce_stage_customers,"
    " commerce_stage_products"
)


async def prepare_stage(connection: AsyncConnection) -> None:
    """Create the stage tables on this connection if needed, and empty them."""
    for stage_table in STAGE_TABLES:
        await connection.execute(CreateTable(stage_table, if_not_exists=True))
        await connection.execute(delete(stage_table))


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


async def _load(
    connection: AsyncConnection, d: Dialect, targets: list[tuple[str, tuple[str, ...], list[Any]]]
) -> None:
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
    await connection.execute(ANALYZE_LOADED_STAGE)


def _dimension_targets(batch: OrderBatch) -> list[tuple[str, tuple[str, ...], list[Any]]]:
    customers = [(ext, name, country) for ext, (name, country) in batch.customers.items()]
    return [
        (CUSTOMERS, ("ext", "name", "country"), customers),
        (PRODUCTS, ("ext", "name"), list(batch.products.items())),
    ]


async def load_stage(connection: AsyncConnection, d: Dialect, batch: OrderBatch) -> None:
    """Bulk-load the batch's orders, lines, customers and products into the stage."""
    facts: list[tuple[str, tuple[str, ...], list[Any]]] = [
        (ORDERS, ORDER_COLUMNS, _order_rows(batch, d)),
        (LINES, LINE_COLUMNS, batch.lines),
    ]
    await _load(connection, d, facts + _dimension_targets(batch))


async def load_dimensions(connection: AsyncConnection, d: Dialect, batch: OrderBatch) -> None:
    """Bulk-load only the customers and products the batch names into the stage."""
    await _load(connection, d, _dimension_targets(batch))


async def copy_rows(
    connection: AsyncConnection, d: Dialect, name: str, columns: tuple[str, ...], rows: list[Any]
) -> None:
    """Append ``rows`` to table ``name``: ``executemany`` on SQLite, ``COPY`` on PostgreSQL."""
    if not rows:
        return
    if d.is_sqlite:
        await connection.exec_driver_sql(_positional_insert(connection, name, columns), rows)
        return
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_records_to_table(name, records=rows, columns=list(columns))
