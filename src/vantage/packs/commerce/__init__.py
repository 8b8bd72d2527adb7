"""Commerce: sales analytics (dashboard, revenue, customers, products, cohorts, RFM)."""

from __future__ import annotations

from vantage.core.packs import Pack
from vantage.packs.commerce.settings import CommerceSettings

PACK = Pack(
    name="commerce",
    title="Commerce",
    version="1.0.0",
    description="Sales analytics over orders: revenue, customers, products, cohorts and RFM",
    models=("vantage.packs.commerce.models",),
    settings=CommerceSettings,
)
