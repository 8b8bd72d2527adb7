"""Write one batch of orders and every rollup it moves, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from vantage.core.dialect import Dialect
from vantage.packs.commerce.ingest.batch import OrderBatch
from vantage.packs.commerce.repository.ingest import AppliedCounts, BatchApplier
from vantage.packs.commerce.repository.ingest_customers import (
    apply_cohorts,
    apply_customer_months,
    apply_customer_stats,
)
from vantage.packs.commerce.repository.ingest_daily import apply_daily_customers, apply_daily_status
from vantage.packs.commerce.repository.ingest_products import (
    apply_product_days,
    apply_product_stats,
)
from vantage.packs.commerce.repository.staging import load_stage, prepare_stage

# SQLite's default page cache is 2 MB; a batch touches index pages of several large tables,
# and re-reading them from the OS on every statement dominates ingest time. Per connection.
SQLITE_WRITER_CACHE_KIB = 256 * 1024


async def locked_writer(
    session: AsyncSession, tenant_id: int
) -> tuple[AsyncConnection, Dialect, BatchApplier]:
    """The session's connection, its dialect and the tenant's applier, the tenant's lock taken."""
    connection = await session.connection()
    dialect = Dialect(connection.dialect.name)
    applier = BatchApplier(connection, dialect, tenant_id)
    if dialect.is_sqlite:
        await connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_WRITER_CACHE_KIB}")
    await applier.lock_tenant()
    return connection, dialect, applier


async def write_batch(
    session: AsyncSession, tenant_id: int, batch: OrderBatch, now: datetime
) -> AppliedCounts:
    """Upsert the batch's orders (natural key: source id) and apply every rollup delta."""
    connection, dialect, applier = await locked_writer(session, tenant_id)
    await prepare_stage(connection)
    await load_stage(connection, dialect, batch)
    await applier.resolve_dimensions(now)
    updated = await applier.capture_previous_versions()
    await applier.stage_product_deltas()
    await applier.write_orders(now)
    await apply_daily_status(applier)
    await apply_daily_customers(applier)
    await apply_customer_stats(applier)
    await apply_customer_months(applier)
    await apply_cohorts(applier)
    await apply_product_days(applier)
    await apply_product_stats(applier)
    return AppliedCounts(
        orders=len(batch), created=len(batch) - updated, updated=updated, lines=len(batch.lines)
    )
