"""The dashboard as pushed to ``commerce.dashboard``: the default window, read fresh."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.watermarks import read_watermark
from vantage.core.windows import TimeWindow
from vantage.packs.commerce.repository import accounts
from vantage.packs.commerce.service.analytics import ReadScope, dashboard
from vantage.packs.commerce.service.ingest import PACK_NAME
from vantage.packs.commerce.settings import CommerceSettings


def default_window(days: int, now: datetime | None = None) -> TimeWindow:
    """The last ``days`` whole UTC days, today included."""
    today = (now or datetime.now(UTC)).date()
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)
    return TimeWindow(end - timedelta(days=days), end)


async def live_dashboard(
    session: AsyncSession, tenant_id: int, settings: CommerceSettings
) -> dict[str, Any]:
    """The default dashboard of a tenant as JSON-ready data."""
    watermark = await read_watermark(session, tenant_id, PACK_NAME)
    currency = await accounts.tenant_currency(session, tenant_id)
    scope = ReadScope(tenant_id, watermark.updated_at, currency or settings.default_currency)
    answer = await dashboard(
        session,
        scope,
        default_window(settings.dashboard_days),
        top=settings.dashboard_top_products,
        trend_days=settings.trend_days,
    )
    return answer.model_dump(mode="json")
