"""Folding a batch's ticks and fills into 1 s bars, widened to 1 min and 1 h.

This is the hottest loop of ingest, so each second's observations are collected in lists and
reduced with builtins (``min``, ``max``, ``sum`` run in C) instead of one method call per tick.
The result is the same as folding observations one by one with ``BarStats.add``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable
from datetime import UTC, datetime

from vantage.packs.trading.domain.bars import (
    FILL,
    HOUR,
    MID,
    MINUTE,
    SECOND,
    SPREAD,
    TRADE,
    BarStats,
)
from vantage.packs.trading.domain.metrics import BPS
from vantage.packs.trading.ingest.events import Tick
from vantage.packs.trading.repository.rollups import BarRowKey


class _Series:
    __slots__ = ("quantities", "stamps", "values")

    def __init__(self) -> None:
        self.stamps: list[datetime] = []
        self.values: list[float] = []
        self.quantities: list[float] = []


class _Second:
    __slots__ = ("mids", "quote_stamps", "spreads", "trades")

    def __init__(self) -> None:
        self.quote_stamps: list[datetime] = []
        self.mids: list[float] = []
        self.spreads: list[float] = []
        self.trades: _Series | None = None


def reduce_series(
    stamps: list[datetime], values: list[float], quantities: list[float] | None = None
) -> BarStats:
    """One bar from parallel lists (first/last ties go as ``BarStats.add`` would break them)."""
    first_at, last_at = min(stamps), max(stamps)
    first = stamps.index(first_at)
    last = len(stamps) - 1 - stamps[::-1].index(last_at)
    sum_pq = sum(map(operator.mul, values, quantities)) if quantities else 0.0
    return BarStats(
        count=len(values),
        sum=sum(values),
        min=min(values),
        max=max(values),
        first=values[first],
        first_ts=first_at,
        last=values[last],
        last_ts=last_at,
        sum_pq=sum_pq,
        sum_q=sum(quantities) if quantities else 0.0,
    )


class TickAggregator:
    """Collects ticks and fills per (symbol, second); ``rows()`` gives the bars to merge."""

    def __init__(self) -> None:
        self.seconds: dict[tuple[str, int], _Second] = {}
        self.fills: dict[tuple[str, int], _Series] = {}

    def add_ticks(self, ticks: Iterable[Tick]) -> None:
        seconds = self.seconds
        floor = math.floor
        for tick in ticks:
            ts = tick.ts
            key = (tick.symbol, floor(ts.timestamp()))
            second = seconds.get(key)
            if second is None:
                second = seconds[key] = _Second()
            bid, ask = tick.bid, tick.ask
            mid = (bid + ask) / 2.0
            second.quote_stamps.append(ts)
            second.mids.append(mid)
            second.spreads.append((ask - bid) / mid * BPS)
            if tick.size > 0 and tick.last is not None:
                trades = second.trades
                if trades is None:
                    trades = second.trades = _Series()
                trades.stamps.append(ts)
                trades.values.append(tick.last)
                trades.quantities.append(tick.size)

    def add_fill(self, symbol: str, ts: datetime, price: float, qty: float) -> None:
        key = (symbol, math.floor(ts.timestamp()))
        series = self.fills.get(key)
        if series is None:
            series = self.fills[key] = _Series()
        series.stamps.append(ts)
        series.values.append(price)
        series.quantities.append(qty)

    def _per_second(self) -> Iterable[tuple[str, str, int, BarStats]]:
        for (symbol, second), held in self.seconds.items():
            yield symbol, MID, second, reduce_series(held.quote_stamps, held.mids)
            yield symbol, SPREAD, second, reduce_series(held.quote_stamps, held.spreads)
            if held.trades is not None:
                trades = held.trades
                bar = reduce_series(trades.stamps, trades.values, trades.quantities)
                yield symbol, TRADE, second, bar
        for (symbol, second), series in self.fills.items():
            yield (
                symbol,
                FILL,
                second,
                reduce_series(series.stamps, series.values, series.quantities),
            )

    def rows(self) -> dict[BarRowKey, BarStats]:
        """1 s bars and the 1 min and 1 h bars they fold into."""
        rows: dict[BarRowKey, BarStats] = {}
        for symbol, metric, second, bar in self._per_second():
            for resolution in (SECOND, MINUTE, HOUR):
                start = datetime.fromtimestamp(second - second % resolution, UTC)
                key = (resolution, symbol, metric, start)
                held = rows.get(key)
                if held is None:
                    rows[key] = bar if resolution == SECOND else bar.copy()
                else:
                    held.merge(bar)
        return rows
