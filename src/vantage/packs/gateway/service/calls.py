"""What a chat call uses from admission to its usage row, held for the life of the app.

The services take this, never the gateway's runtime: the runtime is built from them, so
they cannot depend on it without the two needing each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from vantage.core.suppressed import SuppressedErrors
from vantage.packs.gateway.domain.pricing import PricingTable
from vantage.packs.gateway.domain.token_counter import TokenCounter
from vantage.packs.gateway.providers.registry import ProviderRegistry
from vantage.packs.gateway.service.attempts import Caller
from vantage.packs.gateway.service.budgets import BudgetGuard
from vantage.packs.gateway.service.identity import UserHasher
from vantage.packs.gateway.service.limits import GatewayLimiter
from vantage.packs.gateway.service.routing import Router
from vantage.packs.gateway.settings import GatewaySettings
from vantage.packs.gateway.usage.writer import UsageWriter


@dataclass
class CallServices:
    """The collaborators of one chat call: routing, limits, upstreams, pricing, accounting."""

    settings: GatewaySettings
    registry: ProviderRegistry
    caller: Caller
    router: Router
    pricing: PricingTable
    tokens: TokenCounter
    writer: UsageWriter
    limiter: GatewayLimiter
    budgets: BudgetGuard
    hasher: UserHasher
    errors: SuppressedErrors
