"""What an aidev answer depends on beyond its URL and the aidev watermark.

Every ingest path bumps the aidev watermark, and so does a change to the alias table (it
decides whose commits and pull requests are whose). The KPIs, daily series, insights and a
session's links also read the delivery pack's data when it runs, so their validators carry
the delivery watermark as well.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.watermarks import read_watermark
from vantage.core.windows import TimeWindow
from vantage.packs.delivery.service.activity import PACK_NAME as DELIVERY_PACK


async def read_depends_on(
    session: AsyncSession,
    tenant_id: int,
    *,
    window: TimeWindow | None = None,
    delivery_running: bool | None = None,
) -> dict[str, object]:
    """The resolved window (``?days=7`` is another week tomorrow) and the delivery data version
    (``off`` while the delivery pack does not run) an answer is computed from."""
    depends: dict[str, object] = {}
    if window is not None:
        depends["window"] = window.span
    if delivery_running is not None:
        depends["delivery"] = (
            (await read_watermark(session, tenant_id, DELIVERY_PACK)).token
            if delivery_running
            else "off"
        )
    return depends
