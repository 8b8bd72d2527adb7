"""How an aidev read begins: the core's conditional read (ETag, 304, cached body)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.conditional import ConditionalReader, FreshRead
from vantage.core.windows import TimeWindow
from vantage.packs.aidev.runtime import PACK_NAME, AidevRuntime
from vantage.packs.aidev.service.freshness import read_depends_on


async def begin_read(
    reads: ConditionalReader,
    session: AsyncSession,
    tenant_id: int,
    *,
    window: TimeWindow | None = None,
    runtime: AidevRuntime | None = None,
) -> FreshRead:
    """Answer 304 when the client holds the current answer; otherwise the read.

    Pass ``runtime`` for answers that read the delivery pack's data too. The early answers do
    not replay these validators: they know only the aidev watermark.
    """
    running = runtime.delivery_running() if runtime is not None else None
    depends = await read_depends_on(session, tenant_id, window=window, delivery_running=running)
    return await reads.begin(tenant_id, PACK_NAME, varies_on=depends)
