"""Append a batch of a file import: new orders go straight into the fact tables with ids
reserved up front, and the rollups follow with set-based merges over the appended id range.

Orders the tenant already holds (re-sends) are applied first by the per-batch path
(``writer.write_batch``), which reverses their stored versions exactly; the rest are new, so
every rollup only adds. Facts are loaded with ``executemany`` on SQLite and ``COPY`` on
PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from vantage.core.dialect import Dialect, DialectStatement
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
from vantage.packs.commerce.repository.bulk_rollups import merge_appended
from vantage.packs.commerce.repository.ingest import (
    MAP_STAGE_CUSTOMERS,
    MAP_STAGE_PRODUCTS,
    UPSERT_CUSTOMERS,
    UPSERT_PRODUCTS,
    AppliedCounts,
    BatchApplier,
)
from vantage.packs.commerce.repository.staging import copy_rows, load_dimensions, prepare_stage
from vantage.packs.commerce.repository.writer import locked_writer, write_batch

STORED_SOURCE_IDS = DialectStatement(
    sqlite="""
    SELECT source_id FROM commerce_orders
    WHERE tenant_id = :t AND source_id IN (SELECT value FROM json_each(:ids))
    """,
    postgresql="""
    SELECT source_id FROM commerce_orders
    WHERE tenant_id = :t AND source_id = ANY(CAST(:ids AS TEXT[]))
    """,
)

# SQLite hands out max(rowid) + 1; the write lock is held, so the next ids are ours.
LAST_ORDER_ID = text("SELECT COALESCE(MAX(id), 0) FROM commerce_orders")

# The sequence is looked up once (OFFSET 0 keeps the subquery from being inlined): named inside
# nextval(), pg_get_serial_sequence() ran per row and took most of the statement's time.
RESERVE_ORDER_IDS = text(
    "SELECT nextval(s.seq) FROM (SELECT CAST(pg_get_serial_sequence('commerce_orders', 'id')"
    " AS regclass) AS seq OFFSET 0) AS s CROSS JOIN generate_series(1, :n) ORDER BY 1"
)

STAGED_CUSTOMER_IDS = text("SELECT ext, customer_id FROM commerce_stage_customers")
STAGED_PRODUCT_IDS = text("SELECT ext, product_id FROM commerce_stage_products")

ORDER_COLUMNS = ("id", "tenant_id", "source_id", "customer_id", "placed_at", "day", "status",
                 "amount_minor", "units", "line_count", "created_at", "updated_at")  # fmt: skip
LINE_COLUMNS = ("order_id", "line_no", "tenant_id", "product_id", "quantity",
                "unit_price_minor", "amount_minor")  # fmt: skip


async def _stored_source_ids(applier: BatchApplier, batch: OrderBatch) -> set[str]:
    ids = [order[SOURCE_ID] for order in batch.orders]
    result = await applier.run(STORED_SOURCE_IDS, ids=applier.dialect.values(ids))
    return {row[0] for row in result}


async def _dimension_ids(
    connection: AsyncConnection, applier: BatchApplier, batch: OrderBatch, now: datetime
) -> tuple[dict[str, int], dict[str, int]]:
    """Upsert the batch's customers and products; their ids by external id."""
    await prepare_stage(connection)
    await load_dimensions(connection, applier.dialect, batch)
    stamp = applier.dialect.timestamp(now)
    await applier.run(UPSERT_CUSTOMERS, now=stamp)
    await applier.run(UPSERT_PRODUCTS, now=stamp)
    await applier.run(MAP_STAGE_CUSTOMERS)
    await applier.run(MAP_STAGE_PRODUCTS)
    customers = {ext: int(i) for ext, i in await connection.execute(STAGED_CUSTOMER_IDS)}
    products = {ext: int(i) for ext, i in await connection.execute(STAGED_PRODUCT_IDS)}
    return customers, products


async def _reserve_ids(connection: AsyncConnection, d: Dialect, count: int) -> list[int]:
    if d.is_sqlite:
        last = int((await connection.execute(LAST_ORDER_ID)).scalar_one())
        return list(range(last + 1, last + 1 + count))
    result = await connection.execute(RESERVE_ORDER_IDS, {"n": count})
    return [int(row[0]) for row in result]


def _order_rows(
    batch: OrderBatch, ids: list[int], tenant_id: int, customers: dict[str, int], stamp: object
) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    sqlite = isinstance(stamp, str)
    for order_id, order in zip(ids, batch.orders, strict=True):
        placed: Any = order[PLACED_AT]
        placed = placed.astimezone(UTC)
        if sqlite:
            placed = placed.replace(tzinfo=None).isoformat(" ", "microseconds")
            day: Any = placed[:10]
        else:
            day = date(placed.year, placed.month, placed.day)
        customer = order[CUSTOMER]
        append(
            (order_id, tenant_id, order[SOURCE_ID],
             customers[customer] if isinstance(customer, str) else None, placed, day,
             order[STATUS], order[AMOUNT], order[UNITS], order[LINE_COUNT], stamp, stamp)
        )  # fmt: skip
    return rows


def _line_rows(
    batch: OrderBatch, ids: list[int], tenant_id: int, products: dict[str, int]
) -> list[tuple[Any, ...]]:
    return [
        (ids[seq], line_no, tenant_id, products[product], quantity, price, amount)
        for seq, line_no, product, quantity, price, amount in batch.lines
    ]


async def append_batch(
    session: AsyncSession, tenant_id: int, batch: OrderBatch, now: datetime
) -> AppliedCounts:
    """Write one batch of a file import and every rollup it moves, in the caller's transaction."""
    connection, dialect, applier = await locked_writer(session, tenant_id)
    stored = await _stored_source_ids(applier, batch)
    new_seqs = [seq for seq, order in enumerate(batch.orders) if order[SOURCE_ID] not in stored]
    if stored:
        resent = [seq for seq, order in enumerate(batch.orders) if order[SOURCE_ID] in stored]
        await write_batch(session, tenant_id, batch.select(resent), now)
    # Names and countries of the whole batch are upserted last: the latest non-empty one wins.
    customers, products = await _dimension_ids(connection, applier, batch, now)
    if new_seqs:
        fresh = batch if not stored else batch.select(new_seqs)
        ids = await _reserve_ids(connection, dialect, len(fresh))
        stamp = dialect.timestamp(now)
        orders = _order_rows(fresh, ids, tenant_id, customers, stamp)
        await copy_rows(connection, dialect, "commerce_orders", ORDER_COLUMNS, orders)
        lines = _line_rows(fresh, ids, tenant_id, products)
        await copy_rows(connection, dialect, "commerce_order_lines", LINE_COLUMNS, lines)
        await merge_appended(applier, ids[0], ids[-1])
    return AppliedCounts(
        orders=len(batch), created=len(new_seqs), updated=len(stored), lines=len(batch.lines)
    )
