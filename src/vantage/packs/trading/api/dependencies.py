"""Request-scoped pieces shared by the trading routes: the optional time filter and the ETag."""

# Annotations stay evaluated here: FastAPI reads the Query() bounds at runtime.
from typing import Annotated

from fastapi import Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.cache import check_freshness
from vantage.core.context import core_of
from vantage.core.watermarks import read_watermark
from vantage.core.windows import MAX_DAYS, TimeWindow, resolve_window
from vantage.packs.trading.runtime import PACK_NAME


async def optional_window(
    start: Annotated[
        str | None, Query(alias="from", max_length=40, description="Start (inclusive)")
    ] = None,
    end: Annotated[
        str | None, Query(alias="to", max_length=40, description="End (exclusive)")
    ] = None,
    days: Annotated[int | None, Query(ge=1, le=MAX_DAYS, description="The last N days")] = None,
) -> TimeWindow | None:
    """A time filter only when one is asked for (``from``/``to`` or ``days``)."""
    if start is None and end is None and days is None:
        return None
    return resolve_window(start, end, days, default_days=30)


OptionalWindow = Annotated[TimeWindow | None, Depends(optional_window)]


async def fresh_or_304(
    request: Request, response: Response, session: AsyncSession, tenant_id: int
) -> str:
    """ETag the answer by the tenant's data watermark; raise 304 when the client has it."""
    watermark = await read_watermark(session, tenant_id, PACK_NAME)
    max_age = core_of(request).settings.cache_max_age_seconds
    return check_freshness(request, response, tenant_id, watermark, max_age)
