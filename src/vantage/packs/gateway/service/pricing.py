"""The gateway's price list, for packs that cost LLM requests the way the gateway does."""

from vantage.packs.gateway.domain.pricing import (
    COST_QUANTUM,
    PricingTable,
    from_nano,
    load_pricing,
    to_nano,
)

__all__ = ["COST_QUANTUM", "PricingTable", "from_nano", "load_pricing", "to_nano"]
