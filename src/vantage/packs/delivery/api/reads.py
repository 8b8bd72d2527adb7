"""How a delivery read begins: the core's conditional read (ETag, 304, cached body)."""

from __future__ import annotations

from vantage.core.conditional import ConditionalReader, FreshRead
from vantage.core.windows import TimeWindow
from vantage.packs.delivery.service.ingest import PACK_NAME


async def begin_read(reads: ConditionalReader, tenant_id: int, window: TimeWindow) -> FreshRead:
    """Answer 304 when the client holds the current answer; otherwise the read.

    The resolved window is part of the ETag: ``?days=7`` means another week tomorrow, with the
    same data.
    """
    span = f"{window.start.isoformat()}/{window.end.isoformat()}"
    return await reads.begin(tenant_id, PACK_NAME, varies_on={"window": span})
