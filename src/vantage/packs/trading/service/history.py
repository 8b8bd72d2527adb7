"""Bar history at any interval, merged from the coarsest stored resolution that divides it.

Buckets are aligned to the Unix epoch (a ``1d`` bucket is a UTC day). Only buckets with data
are returned. Merging uses the mergeable columns, so a 5 min VWAP is sum(p*q) / sum(q) over the
whole 5 minutes, never an average of averages.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.errors import ValidationFailed
from vantage.core.windows import WindowOut
from vantage.packs.trading.domain.bars import (
    FILL,
    HOUR,
    MID,
    MINUTE,
    SECOND,
    SPREAD,
    TRADE,
    BarKey,
    BarStats,
    bucket_start,
    merge_into,
)
from vantage.packs.trading.repository import history as repo
from vantage.packs.trading.schemas import (
    HistoryPoint,
    HistoryRequest,
    HistoryResponse,
    HistorySeries,
)
from vantage.packs.trading.settings import TradingSettings

INTERVAL_SECONDS = {
    "1s": 1,
    "5s": 5,
    "15s": 15,
    "1m": 60,
    "5m": 300,
    "15m": 900,
    "1h": 3600,
    "4h": 14_400,
    "1d": 86_400,
}
RESOLUTION_NAMES = {SECOND: "1s", MINUTE: "1m", HOUR: "1h"}
MAX_POINTS = 10_000
MAX_SOURCE_BARS = 500_000

# Which stored metric and which statistic of it each field reads.
FIELD_SOURCES: dict[str, tuple[str, str]] = {
    "open": (TRADE, "first"),
    "high": (TRADE, "max"),
    "low": (TRADE, "min"),
    "close": (TRADE, "last"),
    "vwap": (TRADE, "vwap"),
    "volume": (TRADE, "sum_q"),
    "trades": (TRADE, "count"),
    "mid": (MID, "mean"),
    "mid_high": (MID, "max"),
    "mid_low": (MID, "min"),
    "quotes": (MID, "count"),
    "spread_bps": (SPREAD, "mean"),
    "spread_bps_max": (SPREAD, "max"),
    "fill_vwap": (FILL, "vwap"),
    "fill_qty": (FILL, "sum_q"),
    "fills": (FILL, "count"),
}


def _statistic(bar: BarStats, name: str) -> float | int | None:
    if name == "mean":
        return bar.mean
    if name == "vwap":
        return bar.vwap
    value: float | int = getattr(bar, name)
    return value


def retention_of(resolution: int, settings: TradingSettings) -> timedelta:
    """How long bars of ``resolution`` seconds are kept."""
    if resolution == SECOND:
        return timedelta(hours=settings.raw_retention_hours)
    if resolution == MINUTE:
        return timedelta(days=settings.minute_retention_days)
    return timedelta(days=settings.hour_retention_days)


def choose_resolution(interval: int) -> int:
    """The coarsest stored resolution that divides the interval (fewest rows to merge)."""
    return next(resolution for resolution in (HOUR, MINUTE, SECOND) if interval % resolution == 0)


def _duration(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours / 24:g} days" if hours >= 48 else f"{hours:g} hours"


def _validate(
    request: HistoryRequest, settings: TradingSettings, now: datetime
) -> tuple[datetime, datetime, int, int]:
    start = request.start.astimezone(UTC)
    end = (request.end or now).astimezone(UTC)
    if end <= start:
        raise ValidationFailed.field(("body", "to"), "'to' must be after 'from'")
    interval = INTERVAL_SECONDS[request.interval]
    points = (end - start).total_seconds() / interval
    if points > MAX_POINTS:
        raise ValidationFailed.field(
            ("body", "interval"),
            f"{request.interval} over this range is {points:.0f} points per symbol; "
            f"at most {MAX_POINTS}: choose a coarser interval or a shorter range",
        )
    resolution = choose_resolution(interval)
    kept = retention_of(resolution, settings)
    if start < now - kept:
        raise ValidationFailed.field(
            ("body", "from"),
            f"{RESOLUTION_NAMES[resolution]} bars are kept for {_duration(kept)}; this range "
            "needs a coarser interval (1m bars are kept 30 days, 1h bars a year by default)",
        )
    return start, end, interval, resolution


def _points(symbol: str, bars: dict[BarKey, BarStats], fields: Sequence[str]) -> list[HistoryPoint]:
    points = []
    for point_start in sorted({start for (_, _, start) in bars}):
        values: dict[str, float | int | None] = {}
        for name in fields:
            metric, statistic = FIELD_SOURCES[name]
            bar = bars.get((symbol, metric, point_start))
            values[name] = _statistic(bar, statistic) if bar is not None else None
        points.append(HistoryPoint(ts=point_start, values=values))
    return points


async def history(
    session: AsyncSession,
    tenant_id: int,
    request: HistoryRequest,
    settings: TradingSettings,
    now: datetime | None = None,
) -> HistoryResponse:
    """Answer a history request from the stored bars."""
    now = now or datetime.now(UTC)
    start, end, interval, resolution = _validate(request, settings, now)
    metrics = sorted({FIELD_SOURCES[name][0] for name in request.fields})
    first_bucket = bucket_start(start, resolution)
    arguments = (tenant_id, resolution, request.symbols, metrics, first_bucket, end)
    if await repo.count_bars(session, *arguments) > MAX_SOURCE_BARS:
        raise ValidationFailed.field(
            ("body", "interval"), "too many stored bars for one request: narrow the range"
        )
    merged: dict[str, dict[BarKey, BarStats]] = {symbol: {} for symbol in request.symbols}
    for symbol, metric, stored_start, bar in await repo.bars_in_range(session, *arguments):
        key = (symbol, metric, bucket_start(stored_start, interval))
        merge_into(merged[symbol], key, bar)
    series = [
        HistorySeries(symbol=symbol, points=_points(symbol, merged[symbol], request.fields))
        for symbol in request.symbols
    ]
    return HistoryResponse(
        window=WindowOut(from_=start, to=end),
        interval=request.interval,
        resolution=RESOLUTION_NAMES[resolution],
        fields=list(request.fields),
        series=series,
    )
