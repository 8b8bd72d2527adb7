"""The two simulated strategies: trend following (EMA crossover) and mean reversion (z-score)."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field


@dataclass
class Decision:
    """What a strategy wants now: a target position and the signal behind it."""

    target: float
    signal: float


class Momentum:
    """Long when the fast EMA is above the slow one by ``threshold_bps``, short when below."""

    name = "sim-momentum"

    def __init__(self, lot: float, fast: int = 10, slow: int = 40, threshold_bps: float = 2.0):
        self.lot = lot
        self.fast_alpha = 2 / (fast + 1)
        self.slow_alpha = 2 / (slow + 1)
        self.threshold = threshold_bps
        self.fast: float | None = None
        self.slow: float | None = None

    def observe(self, price: float) -> Decision | None:
        if self.fast is None or self.slow is None:
            self.fast = self.slow = price
            return None
        self.fast += self.fast_alpha * (price - self.fast)
        self.slow += self.slow_alpha * (price - self.slow)
        signal = (self.fast - self.slow) / self.slow * 1e4
        if signal > self.threshold:
            return Decision(self.lot, signal)
        if signal < -self.threshold:
            return Decision(-self.lot, signal)
        return Decision(math.nan, signal)  # inside the band: keep what we hold


@dataclass
class MeanReversion:
    """Sells strength and buys weakness: target = -round(z) lots, within ``max_lots``."""

    lot: float
    window: int = 60
    max_lots: int = 2
    prices: deque[float] = field(default_factory=deque)
    name: str = "sim-mean-reversion"

    def observe(self, price: float) -> Decision | None:
        self.prices.append(price)
        if len(self.prices) > self.window:
            self.prices.popleft()
        if len(self.prices) < self.window // 2:
            return None
        mean = sum(self.prices) / len(self.prices)
        variance = sum((p - mean) ** 2 for p in self.prices) / len(self.prices)
        if variance <= 0:
            return Decision(0.0, 0.0)
        z = (price - mean) / math.sqrt(variance)
        lots = max(-self.max_lots, min(self.max_lots, -round(z)))
        return Decision(lots * self.lot, z)
