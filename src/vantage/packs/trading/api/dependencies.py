"""Request-scoped pieces shared by the trading routes: the optional time filter."""

# Annotations stay evaluated here: FastAPI reads the Query() bounds at runtime.
from typing import Annotated

from fastapi import Depends, Query

from vantage.core.windows import MAX_DAYS, TimeWindow, WindowBound, resolve_window


async def optional_window(
    start: Annotated[
        WindowBound | None, Query(alias="from", max_length=40, description="Start (inclusive)")
    ] = None,
    end: Annotated[
        WindowBound | None, Query(alias="to", max_length=40, description="End (exclusive)")
    ] = None,
    days: Annotated[int | None, Query(ge=1, le=MAX_DAYS, description="The last N days")] = None,
) -> TimeWindow | None:
    """A time filter only when one is asked for (``from``/``to`` or ``days``)."""
    if start is None and end is None and days is None:
        return None
    return resolve_window(start, end, days, default_days=30)


OptionalWindow = Annotated[TimeWindow | None, Depends(optional_window)]
