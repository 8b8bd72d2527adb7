"""Query windows of the commerce reads: whole UTC days, or calendar months for cohorts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import Depends, Query

from vantage.core.errors import ValidationFailed
from vantage.core.windows import MAX_DAYS, DayBound, TimeWindow, resolve_window
from vantage.packs.commerce.runtime import CommerceRuntimeDep
from vantage.packs.commerce.settings import CommerceSettings


def _require_whole_days(window: TimeWindow) -> TimeWindow:
    for name, value in (("from", window.start), ("to", window.end)):
        if value.timetz() != time(0, tzinfo=UTC):
            raise ValidationFailed.field(
                ("query", name),
                "commerce figures are kept per UTC day: use a date or a midnight UTC datetime",
            )
    return window


FromQuery = Annotated[
    DayBound | None, Query(alias="from", max_length=40, description="First day (inclusive)")
]
ToQuery = Annotated[
    DayBound | None, Query(alias="to", max_length=40, description="End (exclusive)")
]
DaysQuery = Annotated[int | None, Query(ge=1, le=MAX_DAYS, description="The last N days")]


def day_window(default_days: Callable[[CommerceSettings], int]) -> Any:
    """``from``/``to``/``days`` as a window of whole UTC days ending tomorrow by default."""

    async def dependency(
        runtime: CommerceRuntimeDep,
        start: FromQuery = None,
        end: ToQuery = None,
        days: DaysQuery = None,
    ) -> TimeWindow:
        window = resolve_window(start, end, days, default_days=default_days(runtime.settings))
        return _require_whole_days(window)

    return Depends(dependency)


def optional_day_window() -> Any:
    """Like ``day_window`` but None when the request names no window (all time)."""

    async def dependency(
        start: FromQuery = None, end: ToQuery = None, days: DaysQuery = None
    ) -> TimeWindow | None:
        if start is None and end is None and days is None:
            return None
        return _require_whole_days(resolve_window(start, end, days, default_days=30))

    return Depends(dependency)


def month_window() -> Any:
    """Cohort windows: by default the last ``cohort_months`` calendar months, this one included."""

    async def dependency(
        runtime: CommerceRuntimeDep,
        start: FromQuery = None,
        end: ToQuery = None,
        days: DaysQuery = None,
    ) -> TimeWindow:
        if start is None and end is None and days is None:
            today = datetime.now(UTC).date()
            month = today.replace(day=1)
            for _ in range(runtime.settings.cohort_months - 1):
                month = (month - timedelta(days=1)).replace(day=1)
            begin = datetime.combine(month, time.min, tzinfo=UTC)
            stop = datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)
            return TimeWindow(begin, stop)
        return _require_whole_days(resolve_window(start, end, days, default_days=365))

    return Depends(dependency)
