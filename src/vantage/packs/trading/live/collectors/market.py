"""Market collector: per symbol last, bid, ask, spread, session VWAP, volume and trade count."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from vantage.packs.trading.domain import metrics
from vantage.packs.trading.ingest.events import Tick
from vantage.packs.trading.live.collectors.base import Collector
from vantage.packs.trading.live.collectors.snapshot import SymbolSnapshot


@dataclass(slots=True)
class SymbolState:
    """The latest quote and the running session totals of one symbol."""

    symbol: str
    bid: float | None = None
    ask: float | None = None
    last: float | None = None
    quote_ts: datetime | None = None
    trade_ts: datetime | None = None
    session_day: date | None = None
    open: float | None = None
    high: float | None = None
    low: float | None = None
    volume: float = 0.0
    sum_pq: float = 0.0
    trades: int = 0
    previous_close: float | None = None

    @property
    def mid(self) -> float | None:
        if self.bid is None or self.ask is None:
            return None
        return metrics.mid_price(self.bid, self.ask)

    @property
    def mark(self) -> float | None:
        """The price positions are valued at: the last trade, else the quote mid."""
        return self.last if self.last is not None else self.mid

    def roll_to(self, day: date) -> None:
        """Start a new session: yesterday's last price becomes the previous close."""
        if self.session_day == day:
            return
        if self.session_day is not None and self.last is not None:
            self.previous_close = self.last
        self.session_day = day
        self.open = self.high = self.low = None
        self.volume = self.sum_pq = 0.0
        self.trades = 0

    def snapshot(self) -> SymbolSnapshot:
        spread = (
            metrics.spread_bps(self.bid, self.ask)
            if self.bid is not None and self.ask is not None
            else None
        )
        return SymbolSnapshot(
            symbol=self.symbol,
            last=self.last,
            bid=self.bid,
            ask=self.ask,
            mid=self.mid,
            spread_bps=spread,
            vwap=metrics.vwap(self.sum_pq, self.volume),
            volume=self.volume,
            trades=self.trades,
            open=self.open,
            high=self.high,
            low=self.low,
            previous_close=self.previous_close,
            updated_at=max(
                (ts for ts in (self.quote_ts, self.trade_ts) if ts is not None), default=None
            ),
        )


class MarketCollector(Collector):
    """Folds ticks into per-symbol state; the session follows the configured time zone."""

    name = "market"

    def __init__(self, day_of: Callable[[datetime], date], zone: ZoneInfo) -> None:
        super().__init__()
        self.day_of = day_of
        self.zone = zone
        self.symbols: dict[str, SymbolState] = {}

    def state(self, symbol: str) -> SymbolState:
        held = self.symbols.get(symbol)
        if held is None:
            held = self.symbols[symbol] = SymbolState(symbol)
        return held

    def apply_ticks(self, ticks: Iterable[Tick], today: date) -> None:
        symbols = self.symbols
        rolled: set[str] = set()
        session: tuple[datetime, datetime] | None = None  # today's [start, end), once known
        for tick in ticks:
            state = symbols.get(tick.symbol)
            if state is None:
                state = self.state(tick.symbol)
            if tick.symbol not in rolled:
                state.roll_to(today)
                rolled.add(tick.symbol)
            ts = tick.ts
            if state.quote_ts is None or ts >= state.quote_ts:
                state.bid, state.ask, state.quote_ts = tick.bid, tick.ask, ts
            last = tick.last
            if last is None:
                continue
            if state.trade_ts is None or ts >= state.trade_ts:
                state.last, state.trade_ts = last, ts
            if tick.size <= 0:
                continue
            if session is None or not session[0] <= ts < session[1]:
                if self.day_of(ts) != today:
                    continue  # a late print of an earlier session
                session = self._bounds_around(ts)
            self._count_trade(state, last, tick.size)

    def _bounds_around(self, ts: datetime) -> tuple[datetime, datetime]:
        """The start and end of the session day holding ``ts`` (a cache for the hot loop)."""
        day = self.day_of(ts)
        start = datetime.combine(day, time.min, tzinfo=self.zone)
        end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=self.zone)
        return start, end

    @staticmethod
    def _count_trade(state: SymbolState, price: float, size: float) -> None:
        if state.open is None:
            state.open = price
        state.high = price if state.high is None else max(state.high, price)
        state.low = price if state.low is None else min(state.low, price)
        state.volume += size
        state.sum_pq += price * size
        state.trades += 1

    def roll_to(self, today: date) -> None:
        for state in self.symbols.values():
            state.roll_to(today)

    def snapshot(self) -> list[SymbolSnapshot]:
        return [self.symbols[symbol].snapshot() for symbol in sorted(self.symbols)]
