"""The metric definitions of the trading pack, as pure functions (docs/packs/trading.md).

Every function answers ``None`` where the metric is undefined (an empty window, a zero
denominator) instead of inventing a number: a dashboard shows "n/a", never a misleading 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

BPS = 10_000.0
TRADING_DAYS_PER_YEAR = 252

# Latency histogram: bucket i holds [0.1 ms * 2^(i/4), 0.1 ms * 2^((i+1)/4)); bucket 0 also
# holds everything below 0.1 ms and the last bucket everything from ~105 s up. Each bucket is
# 19% wide, so an interpolated percentile is within ~10% of the exact one.
LATENCY_BASE_MS = 0.1
LATENCY_STEPS_PER_DOUBLING = 4
LATENCY_BUCKETS = 81


def side_sign(side: str) -> int:
    """+1 for a buy, -1 for a sell."""
    return 1 if side == "buy" else -1


def mid_price(bid: float, ask: float) -> float:
    return (bid + ask) / 2.0


def spread_bps(bid: float, ask: float) -> float | None:
    """(ask - bid) / mid * 1e4; None when the mid is not positive."""
    mid = mid_price(bid, ask)
    if mid <= 0:
        return None
    return (ask - bid) / mid * BPS


def vwap(sum_pq: float, sum_q: float) -> float | None:
    """Volume-weighted average price; None for an empty window (no volume)."""
    if sum_q <= 0:
        return None
    return sum_pq / sum_q


def arrival_slippage_bps(side: str, avg_fill: float, arrival_mid: float) -> float | None:
    """side * (avg fill - arrival mid) / arrival mid * 1e4: positive is a cost for either side."""
    if arrival_mid <= 0:
        return None
    return side_sign(side) * (avg_fill - arrival_mid) / arrival_mid * BPS


def weighted_slippage_bps(slippage_bps_qty: float, slippage_qty: float) -> float | None:
    """Quantity-weighted mean slippage from its mergeable sums; None when nothing filled."""
    if slippage_qty <= 0:
        return None
    return slippage_bps_qty / slippage_qty


def fill_rate(filled_qty: Decimal, ordered_qty: Decimal) -> float | None:
    """Filled quantity / ordered quantity; None when nothing was ordered."""
    if ordered_qty <= 0:
        return None
    return float(filled_qty / ordered_qty)


def win_rate(winning_trades: int, closing_trades: int) -> float | None:
    """Closing trades with P&L > 0 / closing trades (break-even trades are not wins)."""
    if closing_trades <= 0:
        return None
    return winning_trades / closing_trades


def profit_factor(gross_profit: Decimal, gross_loss: Decimal) -> float | None:
    """Gross profit / |gross loss|; None when there is no loss to divide by."""
    loss = abs(gross_loss)
    if loss == 0:
        return None
    return float(gross_profit / loss)


def max_drawdown(pnl_steps: Sequence[Decimal]) -> Decimal:
    """Largest fall of cumulative P&L from its running peak; the curve starts at 0."""
    cumulative = peak = worst = Decimal(0)
    for step in pnl_steps:
        cumulative += step
        peak = max(peak, cumulative)
        worst = max(worst, peak - cumulative)
    return worst


def sharpe_ratio(daily_pnl: Sequence[float]) -> float | None:
    """mean / sample stdev of daily P&L * sqrt(252), rf = 0; None below 2 days or zero stdev."""
    n = len(daily_pnl)
    if n < 2:
        return None
    mean = math.fsum(daily_pnl) / n
    variance = math.fsum((value - mean) ** 2 for value in daily_pnl) / (n - 1)
    if variance <= 0:
        return None
    return mean / math.sqrt(variance) * math.sqrt(TRADING_DAYS_PER_YEAR)


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) by linear interpolation between closest ranks; None when empty."""
    if not sorted_values:
        return None
    if not 0.0 <= q <= 1.0:
        raise ValueError("q must be within [0, 1]")
    position = (len(sorted_values) - 1) * q
    lower = math.floor(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    fraction = position - lower
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * fraction


def latency_bucket(latency_ms: float) -> int:
    """The histogram bucket of one latency."""
    if latency_ms < LATENCY_BASE_MS:
        return 0
    index = math.floor(math.log2(latency_ms / LATENCY_BASE_MS) * LATENCY_STEPS_PER_DOUBLING)
    return min(max(index, 0), LATENCY_BUCKETS - 1)


def latency_bucket_bounds(bucket: int) -> tuple[float, float]:
    """The [lower, upper) latency range of a bucket, in milliseconds."""
    lower = LATENCY_BASE_MS * 2 ** (bucket / LATENCY_STEPS_PER_DOUBLING)
    upper = LATENCY_BASE_MS * 2 ** ((bucket + 1) / LATENCY_STEPS_PER_DOUBLING)
    return (0.0 if bucket == 0 else lower), upper


def histogram_percentile(counts: dict[int, int], q: float, max_value: float) -> float | None:
    """Estimate the q-quantile from bucket counts, interpolating inside the bucket that holds it.

    The estimate never exceeds the largest value seen (``max_value``).
    """
    total = sum(counts.values())
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for bucket in sorted(counts):
        count = counts[bucket]
        if count <= 0:
            continue
        if seen + count >= rank:
            lower, upper = latency_bucket_bounds(bucket)
            fraction = (rank - seen) / count
            return min(lower + (upper - lower) * fraction, max_value)
        seen += count
    return max_value
