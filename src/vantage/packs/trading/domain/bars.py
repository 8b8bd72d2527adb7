"""Mergeable bars: count, sum, min, max, first, last, sum(p*q), sum(q).

Merging is associative and commutative (``first``/``last`` break ties by timestamp), so a bar
of any width is exactly the merge of the narrower bars inside it: a 1 h bar equals the merge of
its 1 min bars, which equal the merge of their 1 s bars. Averages and VWAP are derived from the
sums at read time, never averaged again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

SECOND, MINUTE, HOUR = 1, 60, 3600
RESOLUTIONS = (SECOND, MINUTE, HOUR)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Metrics kept per symbol: trade prints (value = price, q = size), quote mids, quoted spreads,
# and our own fills (value = fill price, q = fill quantity).
TRADE, MID, SPREAD, FILL = "trade", "mid", "spread_bps", "fill"
METRICS = (TRADE, MID, SPREAD, FILL)


@dataclass(slots=True)
class BarStats:
    """The mergeable columns of one bar."""

    count: int
    sum: float
    min: float
    max: float
    first: float
    first_ts: datetime
    last: float
    last_ts: datetime
    sum_pq: float
    sum_q: float

    @classmethod
    def of(cls, value: float, ts: datetime, quantity: float = 0.0) -> BarStats:
        """A bar holding one observation."""
        return cls(1, value, value, value, value, ts, value, ts, value * quantity, quantity)

    def add(self, value: float, ts: datetime, quantity: float = 0.0) -> None:
        """Fold one observation in (in place)."""
        self.count += 1
        self.sum += value
        self.min = min(self.min, value)
        self.max = max(self.max, value)
        if ts < self.first_ts:
            self.first, self.first_ts = value, ts
        if ts >= self.last_ts:
            self.last, self.last_ts = value, ts
        self.sum_pq += value * quantity
        self.sum_q += quantity

    def merge(self, other: BarStats) -> None:
        """Fold another bar in (in place)."""
        self.count += other.count
        self.sum += other.sum
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)
        if other.first_ts < self.first_ts:
            self.first, self.first_ts = other.first, other.first_ts
        if other.last_ts >= self.last_ts:
            self.last, self.last_ts = other.last, other.last_ts
        self.sum_pq += other.sum_pq
        self.sum_q += other.sum_q

    def copy(self) -> BarStats:
        return BarStats(
            self.count,
            self.sum,
            self.min,
            self.max,
            self.first,
            self.first_ts,
            self.last,
            self.last_ts,
            self.sum_pq,
            self.sum_q,
        )

    @property
    def mean(self) -> float | None:
        return self.sum / self.count if self.count else None

    @property
    def vwap(self) -> float | None:
        return self.sum_pq / self.sum_q if self.sum_q > 0 else None


BarKey = tuple[str, str, datetime]  # (symbol, metric, bucket_start)


def bucket_start(ts: datetime, resolution: int) -> datetime:
    """The start of the ``resolution``-second bucket holding ``ts`` (aligned to the epoch)."""
    seconds = int((ts - EPOCH).total_seconds() // resolution) * resolution
    return EPOCH + timedelta(seconds=seconds)


def merge_into(target: dict[BarKey, BarStats], key: BarKey, bar: BarStats) -> None:
    """Merge ``bar`` into ``target[key]``, adding the key when missing."""
    held = target.get(key)
    if held is None:
        target[key] = bar.copy()
    else:
        held.merge(bar)


def rebucket(bars: Iterable[tuple[BarKey, BarStats]], resolution: int) -> dict[BarKey, BarStats]:
    """Merge finer bars into ``resolution``-second bars."""
    merged: dict[BarKey, BarStats] = {}
    for (symbol, metric, start), bar in bars:
        merge_into(merged, (symbol, metric, bucket_start(start, resolution)), bar)
    return merged
