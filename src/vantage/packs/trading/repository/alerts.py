"""SQL of threshold alerts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.packs.trading.models import Alert

ACTIVE = "active"
RESOLVED = "resolved"


async def active_alerts(session: AsyncSession, tenant_id: int) -> Sequence[Alert]:
    query = (
        select(Alert)
        .where(Alert.tenant_id == tenant_id, Alert.status == ACTIVE)
        .order_by(Alert.raised_at, Alert.id)
    )
    return (await session.scalars(query)).all()


async def add_alert(session: AsyncSession, alert: Alert) -> Alert:
    session.add(alert)
    await session.flush()
    return alert


async def resolve_alert(session: AsyncSession, alert: Alert, now: datetime) -> Alert:
    alert.status = RESOLVED
    alert.resolved_at = now
    await session.flush()
    return alert


async def alert_by_id(session: AsyncSession, tenant_id: int, alert_id: int) -> Alert | None:
    query = select(Alert).where(Alert.tenant_id == tenant_id, Alert.id == alert_id)
    return (await session.scalars(query)).one_or_none()


async def acknowledge_alert(
    session: AsyncSession, tenant_id: int, alert_id: int, by: str, now: datetime
) -> bool:
    """Mark an active alert acknowledged unless it already is; True when this call did it."""
    result = await session.execute(
        update(Alert)
        .where(
            Alert.tenant_id == tenant_id,
            Alert.id == alert_id,
            Alert.status == ACTIVE,
            Alert.acknowledged_at.is_(None),
        )
        .values(acknowledged_at=now, acknowledged_by=by)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def list_alerts(
    session: AsyncSession, tenant_id: int, status: str | None, limit: int
) -> Sequence[Alert]:
    query = select(Alert).where(Alert.tenant_id == tenant_id)
    if status is not None:
        query = query.where(Alert.status == status)
    query = query.order_by(Alert.raised_at.desc(), Alert.id.desc()).limit(limit)
    return (await session.scalars(query)).all()
