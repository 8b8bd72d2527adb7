"""A simulated venue: acknowledgement latency, partial fills, slippage, rejects and cancels."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from vantage.packs.trading.simulator.market import Quote


@dataclass(frozen=True)
class VenueModel:
    ack_median_ms: float = 2.0
    fill_median_ms: float = 12.0
    reject_probability: float = 0.02
    partial_then_cancel_probability: float = 0.1
    fee_bps: float = 0.5
    slippage_ticks: int = 2


@dataclass(frozen=True)
class Scheduled:
    """A venue event due at ``at``: ``kind`` is acknowledged, fill, cancelled or rejected."""

    at: datetime
    kind: str
    order_id: str
    qty: Decimal = Decimal(0)
    price: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    reason: str | None = None


def _lognormal_ms(generator: random.Random, median: float) -> timedelta:
    return timedelta(milliseconds=median * generator.lognormvariate(0.0, 0.6))


EIGHT_PLACES = Decimal("1e-8")


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(EIGHT_PLACES)


def _down(value: Decimal) -> Decimal:
    return value.quantize(EIGHT_PLACES, rounding=ROUND_DOWN)


class Venue:
    """Turns an order into what the venue will report about it, and when."""

    def __init__(self, generator: random.Random, model: VenueModel | None = None) -> None:
        self.generator = generator
        self.model = model or VenueModel()

    def handle(
        self, order_id: str, side: str, qty: Decimal, quote: Quote, tick: float, now: datetime
    ) -> list[Scheduled]:
        generator, model = self.generator, self.model
        ack_at = now + _lognormal_ms(generator, model.ack_median_ms)
        if generator.random() < model.reject_probability:
            return [Scheduled(ack_at, "rejected", order_id, reason="simulated risk limit")]
        events = [Scheduled(ack_at, "acknowledged", order_id)]
        partial = generator.random() < model.partial_then_cancel_probability
        target = _down(qty * Decimal(repr(generator.uniform(0.3, 0.8)))) if partial else qty
        parts = generator.choice([1, 1, 2, 3])
        at, filled = ack_at, Decimal(0)
        for part in range(parts):
            piece = target - filled if part == parts - 1 else _down(target / parts)
            if piece <= 0:
                continue
            at += _lognormal_ms(generator, model.fill_median_ms)
            price = _decimal(self._fill_price(side, quote, tick))
            fee = _decimal(float(price * piece) * model.fee_bps / 1e4)
            events.append(Scheduled(at, "fill", order_id, piece, price, fee))
            filled += piece
        if filled < qty:
            at += _lognormal_ms(generator, model.fill_median_ms * 4)
            events.append(Scheduled(at, "cancelled", order_id, reason="simulated timeout"))
        return events

    def _fill_price(self, side: str, quote: Quote, tick: float) -> float:
        slip = self.generator.randint(0, self.model.slippage_ticks) * tick
        price = quote.ask + slip if side == "buy" else quote.bid - slip
        return max(price, tick)
