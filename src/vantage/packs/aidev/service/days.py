"""Windows in whole UTC days, as the daily rollup keeps them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from vantage.core.windows import TimeWindow

TICK = timedelta(microseconds=1)


def day_span(window: TimeWindow) -> tuple[date, date]:
    """[first day, day after the last) of the days the window touches."""
    return window.start.date(), (window.end - TICK).date() + timedelta(days=1)


def days_between(start: date, end: date) -> list[date]:
    """Every day in [start, end)."""
    return [start + timedelta(days=offset) for offset in range((end - start).days)]


def whole_days(start: date, end: date) -> TimeWindow:
    """The window from midnight UTC of ``start`` to midnight UTC of ``end``."""
    return TimeWindow(
        datetime.combine(start, time.min, tzinfo=UTC), datetime.combine(end, time.min, tzinfo=UTC)
    )
