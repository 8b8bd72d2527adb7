"""How a commerce read begins: the core's conditional read, then the scope it answers in."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.auth.principal import Scope
from vantage.core.conditional import ConditionalReader, FreshRead, RememberAs
from vantage.core.windows import TimeWindow
from vantage.packs.commerce.api.rate_limits import READ_RATE_LIMIT_GROUP
from vantage.packs.commerce.runtime import CommerceRuntime
from vantage.packs.commerce.service.analytics import ReadScope
from vantage.packs.commerce.service.ingest import PACK_NAME

# A commerce answer depends on nothing but the tenant, the URL, the watermark and the window
# (which moves at UTC midnight, when the early answers drop their validators).
REMEMBER = RememberAs(scope=Scope.READ, rate_limit_group=READ_RATE_LIMIT_GROUP)


def _varies_on(window: TimeWindow | None) -> dict[str, object] | None:
    # ``?days=7`` means another week tomorrow, with the same watermark.
    if window is None:
        return None
    return {"window": window.span}


async def begin_read(
    reads: ConditionalReader,
    session: AsyncSession,
    runtime: CommerceRuntime,
    tenant_id: int,
    window: TimeWindow | None,
) -> tuple[FreshRead, ReadScope]:
    """Answer 304 when the client is current; otherwise the read and its scope."""
    read = await reads.begin(tenant_id, PACK_NAME, varies_on=_varies_on(window), remember=REMEMBER)
    return read, await runtime.currencies.scope(session, tenant_id, read.watermark)
