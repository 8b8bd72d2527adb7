"""The simulator's clockwork: quotes, strategy decisions, orders, venue reports, heartbeats.

``advance(now, seconds)`` produces every event of the last ``seconds`` up to ``now``, so the
same code drives a live feed (small steps at wall-clock time) and a backfill (big steps in the
past).
"""

from __future__ import annotations

import heapq
import math
import random
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from vantage.packs.trading.ingest.events import (
    Event,
    FillEvent,
    Heartbeat,
    LogEvent,
    OrderEvent,
    Side,
    StrategyUpdate,
    Tick,
)
from vantage.packs.trading.simulator.execution import Scheduled, Venue
from vantage.packs.trading.simulator.market import PriceProcess, Quote, instrument_for
from vantage.packs.trading.simulator.strategies import Decision, MeanReversion, Momentum

ORDER_COOLDOWN = timedelta(seconds=2)
VENUE = "sim-execution-venue"
MARKET_DATA = "sim-market-data"
Pair = tuple[str, str]  # (strategy, symbol)


class Simulator:
    def __init__(
        self, symbols: list[str], seed: int | None = None, ticks_per_second: float = 20.0
    ) -> None:
        self.generator = random.Random(seed)  # noqa: S311 - a simulation, not a secret
        self.run = secrets.token_hex(3) if seed is None else f"s{seed}"
        self.ticks_per_second = ticks_per_second
        self.processes = {
            s: PriceProcess(instrument_for(s, self.generator), self.generator) for s in symbols
        }
        self.strategies: dict[str, dict[str, Momentum | MeanReversion]] = {
            "sim-momentum": {s: Momentum(p.instrument.lot) for s, p in self.processes.items()},
            "sim-mean-reversion": {
                s: MeanReversion(p.instrument.lot) for s, p in self.processes.items()
            },
        }
        self.venue = Venue(self.generator)
        self.quotes: dict[str, Quote] = {}
        self.signals: dict[Pair, float] = {}
        self.positions: dict[Pair, Decimal] = {}
        self.open_orders: dict[str, tuple[Pair, str, Decimal]] = {}
        self.pending: dict[Pair, str] = {}
        self.last_order_at: dict[Pair, datetime] = {}
        self.venue_queue: list[tuple[datetime, int, Scheduled]] = []
        self.sequence = 0
        self.last_second: int | None = None
        self.carry = 0.0
        self.degraded_until: dict[str, datetime] = {}

    def _id(self, kind: str) -> str:
        self.sequence += 1
        return f"sim-{self.run}-{kind}{self.sequence}"

    def advance(self, now: datetime, seconds: float) -> list[Event]:
        """Every event in (now - seconds, now], in time order."""
        events: list[Event] = []
        wanted = self.ticks_per_second * seconds + self.carry
        count = int(wanted)
        self.carry = wanted - count
        symbols = list(self.processes)
        start = now - timedelta(seconds=seconds)
        for index in range(count):
            at = start + timedelta(seconds=seconds * (index + 1) / count)
            symbol = symbols[self.generator.randrange(len(symbols))]
            events.extend(self._on_tick(symbol, at, seconds * len(symbols) / max(count, 1)))
            events.extend(self._venue_until(at))
            events.extend(self._every_second(at))
        events.extend(self._venue_until(now))
        events.sort(key=lambda event: event.ts)
        return events

    def _on_tick(self, symbol: str, at: datetime, elapsed: float) -> list[Event]:
        quote = self.processes[symbol].step(max(elapsed, 1e-3))
        self.quotes[symbol] = quote
        events: list[Event] = [
            Tick(
                id=self._id("t"),
                ts=at,
                symbol=symbol,
                bid=quote.bid,
                ask=quote.ask,
                last=quote.last,
                size=quote.size,
            )
        ]
        price = quote.last if quote.last is not None else quote.mid
        for name, books in self.strategies.items():
            decision = books[symbol].observe(price)
            if decision is not None:
                self.signals[(name, symbol)] = decision.signal
                events.extend(self._maybe_order((name, symbol), decision, quote, at))
        return events

    def _maybe_order(
        self, pair: Pair, decision: Decision, quote: Quote, at: datetime
    ) -> list[Event]:
        if math.isnan(decision.target) or pair in self.pending:
            return []
        last = self.last_order_at.get(pair)
        if last is not None and at - last < ORDER_COOLDOWN:
            return []
        held = self.positions.get(pair, Decimal(0))
        delta = Decimal(repr(decision.target)) - held
        instrument = self.processes[pair[1]].instrument
        if abs(delta) < Decimal(repr(instrument.lot)) / 2:
            return []
        side: Side = "buy" if delta > 0 else "sell"
        qty = abs(delta)
        order_id = self._id("o")
        self.pending[pair] = order_id
        self.last_order_at[pair] = at
        self.open_orders[order_id] = (pair, side, qty)
        limit = quote.ask * 1.001 if side == "buy" else quote.bid * 0.999
        for scheduled in self.venue.handle(order_id, side, qty, quote, instrument.tick_size, at):
            heapq.heappush(self.venue_queue, (scheduled.at, self.sequence, scheduled))
            self.sequence += 1
        return [
            OrderEvent(
                id=self._id("e"),
                ts=at,
                order_id=order_id,
                status="submitted",
                strategy=pair[0],
                symbol=pair[1],
                side=side,
                qty=qty,
                limit_price=Decimal(repr(round(limit, 8))),
                decision_price=Decimal(repr(round(quote.last or quote.mid, 8))),
                arrival_mid=Decimal(repr(round(quote.mid, 8))),
            )
        ]

    def _venue_until(self, now: datetime) -> list[Event]:
        events: list[Event] = []
        while self.venue_queue and self.venue_queue[0][0] <= now:
            _, _, report = heapq.heappop(self.venue_queue)
            events.extend(self._report(report))
        return events

    def _report(self, report: Scheduled) -> list[Event]:
        pair, side, _qty = self.open_orders[report.order_id]
        if report.kind == "fill":
            sign = 1 if side == "buy" else -1
            self.positions[pair] = self.positions.get(pair, Decimal(0)) + sign * report.qty
            return [
                FillEvent(
                    id=self._id("f"),
                    ts=report.at,
                    order_id=report.order_id,
                    qty=report.qty,
                    price=report.price,
                    fee=report.fee,
                    liquidity="taker",
                )
            ]
        events: list[Event] = [
            OrderEvent(
                id=self._id("e"),
                ts=report.at,
                order_id=report.order_id,
                status=report.kind,  # type: ignore[arg-type]
                reason=report.reason,
            )
        ]
        if report.kind in ("rejected", "cancelled"):
            self._close(report.order_id, pair)
            if report.kind == "rejected":
                events.append(
                    self._log(
                        report.at,
                        "warning",
                        VENUE,
                        f"order {report.order_id} rejected: {report.reason}",
                    )
                )
        return events

    def _close(self, order_id: str, pair: Pair) -> None:
        self.open_orders.pop(order_id, None)
        if self.pending.get(pair) == order_id:
            del self.pending[pair]

    def _log(self, at: datetime, level: str, component: str, message: str) -> LogEvent:
        return LogEvent(id=self._id("l"), ts=at, level=level, component=component, message=message)  # type: ignore[arg-type]

    def _every_second(self, at: datetime) -> list[Event]:
        second = int(at.timestamp())
        if second == self.last_second:
            return []
        self.last_second = second
        self._settle_filled_orders()
        return [*self._heartbeats(at), *self._strategy_updates(at)]

    def _settle_filled_orders(self) -> None:
        # An order whose reports have all been delivered is done: free its pair for new orders.
        scheduled = {item[2].order_id for item in self.venue_queue}
        for order_id, (pair, _, _) in list(self.open_orders.items()):
            if order_id not in scheduled:
                self._close(order_id, pair)

    def _heartbeats(self, at: datetime) -> list[Event]:
        events: list[Event] = []
        for component in (MARKET_DATA, VENUE, *self.strategies):
            until = self.degraded_until.get(component)
            if until is None and self.generator.random() < 0.002:
                until = self.degraded_until[component] = at + timedelta(seconds=5)
                events.append(
                    self._log(at, "warning", component, f"{component} is slow (simulated)")
                )
            status = "degraded" if until is not None and at < until else "ok"
            if until is not None and at >= until:
                del self.degraded_until[component]
            events.append(
                Heartbeat(
                    id=self._id("h"),
                    ts=at,
                    component=component,
                    status=status,  # type: ignore[arg-type]
                    interval_seconds=1.0,
                    details={"simulated": True, "open_orders": len(self.open_orders)},
                )
            )
        return events

    def _strategy_updates(self, at: datetime) -> list[Event]:
        marks = {symbol: quote.mid for symbol, quote in self.quotes.items()}
        return [
            StrategyUpdate(
                id=self._id("u"),
                ts=at,
                strategy=name,
                status="running",
                positions={s: q for (n, s), q in self.positions.items() if n == name},
                marks=marks,
                signals={s: round(v, 4) for (n, s), v in self.signals.items() if n == name},
            )
            for name in self.strategies
        ]
