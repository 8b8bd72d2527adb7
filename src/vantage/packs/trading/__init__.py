"""Trading pack: live trading observability (market, strategy, execution, system)."""

from __future__ import annotations

from vantage.core.packs import Pack
from vantage.packs.trading.settings import TradingSettings

PACK = Pack(
    name="trading",
    title="Trading",
    version="1.0.0",
    description="Live trading observability: market, strategy, execution and system metrics",
    models=["vantage.packs.trading.models"],
    settings=TradingSettings,
)
