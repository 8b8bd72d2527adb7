"""Rebuilding the collectors from one consistent read of the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.db import Database
from vantage.core.watermarks import read_watermark
from vantage.packs.trading.live.collectors.engine import TenantCollectors
from vantage.packs.trading.live.collectors.loader import load_tenant
from vantage.packs.trading.repository import alerts as alert_repo
from vantage.packs.trading.repository import live as live_repo
from vantage.packs.trading.service.alerts import alert_snapshot
from vantage.packs.trading.settings import TradingSettings

PACK_NAME = "trading"


@asynccontextmanager
async def _snapshot_session(database: Database) -> AsyncIterator[AsyncSession]:
    # Every read sees the same committed state, so the watermark version read first matches the
    # rows read after it. SQLite read transactions are snapshots already.
    async with database.read_sessions() as session:
        if database.dialect == "postgresql":
            await session.connection(
                execution_options={
                    "isolation_level": "REPEATABLE READ",
                    "postgresql_readonly": True,
                }
            )
        try:
            yield session
        finally:
            await session.rollback()


async def _load(
    session: AsyncSession, tenant_id: int, settings: TradingSettings, now: datetime
) -> tuple[TenantCollectors, int]:
    version = (await read_watermark(session, tenant_id, PACK_NAME)).version
    collectors = await load_tenant(session, tenant_id, settings, now)
    active = await alert_repo.active_alerts(session, tenant_id)
    collectors.system.alerts = [alert_snapshot(alert) for alert in active]
    return collectors, version


async def rebuild_all(
    database: Database, settings: TradingSettings
) -> dict[int, tuple[TenantCollectors, int]]:
    """The collectors of every tenant with data, each with the version it reflects."""
    now = datetime.now(UTC)
    async with _snapshot_session(database) as session:
        tenants = await live_repo.tenants_with_data(session)
        return {tenant: await _load(session, tenant, settings, now) for tenant in tenants}


async def rebuild_tenant(
    database: Database, settings: TradingSettings, tenant_id: int
) -> tuple[TenantCollectors, int]:
    """One tenant's collectors and data version, rebuilt from the database."""
    async with _snapshot_session(database) as session:
        return await _load(session, tenant_id, settings, datetime.now(UTC))
