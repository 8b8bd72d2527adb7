"""The cost of a request: the trace's own figure, else the gateway's pricing table.

A trace's cost is taken as given, except a zero cost on a request that used tokens: LiteLLM
logs 0 for a model its price map does not know, which is "unknown", not "free". Such requests
(and those without any cost) are priced from the gateway's table at the request's time; a model
the table does not know keeps no cost and is flagged unpriced.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

from vantage.packs.aidev.traces.record import TraceRecord
from vantage.packs.gateway.service.pricing import COST_QUANTUM, PricingTable, load_pricing

CostSource = Literal["trace", "pricing", "unpriced"]


@dataclass(frozen=True, slots=True)
class PricedCost:
    usd: Decimal | None
    source: CostSource

    @property
    def unpriced(self) -> bool:
        return self.usd is None


def load_price_table(path: Path | None) -> PricingTable:
    """The gateway's pricing table (an operator file in the same format goes first)."""
    return load_pricing(path)


def _trusted(record: TraceRecord) -> bool:
    cost = record.cost_usd
    if cost is None:
        return False
    return cost > 0 or record.input_tokens + record.output_tokens == 0


def price(record: TraceRecord, table: PricingTable) -> PricedCost:
    """The request's cost and where it came from."""
    if _trusted(record) and record.cost_usd is not None:
        return PricedCost(record.cost_usd.quantize(COST_QUANTUM), "trace")
    cost = table.cost(
        record.model,
        record.started_at,
        input_tokens=record.input_tokens,
        output_tokens=record.output_tokens,
        cached_tokens=record.cached_tokens,
    )
    if cost.usd is None:
        return PricedCost(None, "unpriced")
    return PricedCost(cost.usd, "pricing")
