"""Geometric Brownian motion prices with a quoted spread and random trade prints."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

SECONDS_PER_YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class Instrument:
    symbol: str
    start_price: float
    annual_volatility: float
    spread_bps: float
    tick_size: float
    lot: float


KNOWN = {
    "AAPL": Instrument("AAPL", 190.0, 0.25, 1.0, 0.01, 100),
    "MSFT": Instrument("MSFT", 420.0, 0.22, 1.0, 0.01, 50),
    "NVDA": Instrument("NVDA", 120.0, 0.45, 2.0, 0.01, 100),
    "EURUSD": Instrument("EURUSD", 1.08, 0.07, 0.5, 0.00001, 100_000),
    "BTCUSD": Instrument("BTCUSD", 65_000.0, 0.60, 3.0, 0.5, 0.1),
}


def instrument_for(symbol: str, generator: random.Random) -> Instrument:
    """A known instrument, or a plausible equity for any other symbol."""
    if symbol in KNOWN:
        return KNOWN[symbol]
    return Instrument(symbol, round(generator.uniform(20, 500), 2), 0.3, 2.0, 0.01, 100)


@dataclass
class Quote:
    symbol: str
    bid: float
    ask: float
    last: float | None
    size: float

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2


class PriceProcess:
    """One symbol's mid price: S <- S * exp((mu - sigma^2 / 2) dt + sigma sqrt(dt) Z)."""

    def __init__(self, instrument: Instrument, generator: random.Random, drift: float = 0.0):
        self.instrument = instrument
        self.generator = generator
        self.drift = drift
        self.mid = instrument.start_price
        self.last: float | None = None

    def _round(self, price: float) -> float:
        tick = self.instrument.tick_size
        return round(round(price / tick) * tick, 10)

    def step(self, seconds: float, trade_probability: float = 0.5) -> Quote:
        """Advance the price by ``seconds`` and quote it."""
        sigma = self.instrument.annual_volatility
        dt = seconds / SECONDS_PER_YEAR
        shock = self.generator.gauss(0.0, 1.0)
        self.mid *= math.exp((self.drift - sigma * sigma / 2) * dt + sigma * math.sqrt(dt) * shock)
        half = max(self.mid * self.instrument.spread_bps / 2e4, self.instrument.tick_size)
        bid, ask = self._round(self.mid - half), self._round(self.mid + half)
        if ask <= bid:
            ask = self._round(bid + self.instrument.tick_size)
        size = 0.0
        if self.generator.random() < trade_probability:
            self.last = ask if self.generator.random() < 0.5 else bid
            size = float(max(1, int(self.generator.expovariate(1 / 3)))) * self.instrument.lot / 10
        return Quote(self.instrument.symbol, bid, ask, self.last, size)
