"""The catalog in force: configured providers with their health, and the pricing table."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.ratelimit import rate_limit
from vantage.packs.gateway.api.rate_limit_groups import READ_GROUP
from vantage.packs.gateway.runtime import GatewayRuntimeDep
from vantage.packs.gateway.schemas import PriceRead, PricingRead, ProviderList, ProviderStatus

router = APIRouter(
    prefix="/api/v1", tags=["gateway"], dependencies=[Depends(rate_limit(READ_GROUP))]
)


@router.get("/providers", response_model=ProviderList)
async def list_providers(principal: ReadPrincipal, runtime: GatewayRuntimeDep) -> ProviderList:
    """Configured providers and their health as this process has seen it."""
    data = []
    for name, provider in sorted(runtime.registry.providers.items()):
        health = runtime.registry.health[name]
        info = provider.info
        data.append(
            ProviderStatus(
                name=name,
                kind=info.kind,
                base_url=info.base_url,
                credentials=info.credentials,
                models=list(info.models),
                healthy=health.healthy and info.credentials != "missing",
                requests=health.requests,
                failures=health.failures,
                consecutive_failures=health.consecutive_failures,
                last_success_at=health.last_success_at,
                last_failure_at=health.last_failure_at,
                last_error=health.last_error,
            )
        )
    return ProviderList(data=data)


@router.get("/pricing", response_model=PricingRead)
async def get_pricing(principal: ReadPrincipal, runtime: GatewayRuntimeDep) -> PricingRead:
    """The pricing table in force (operator file first, then the shipped defaults)."""
    table = runtime.pricing
    return PricingRead(
        version=table.version,
        data=[
            PriceRead(
                match=e.match,
                effective_from=e.effective_from,
                effective_to=e.effective_to,
                input_per_1m=e.input_per_1m,
                output_per_1m=e.output_per_1m,
                cached_input_per_1m=e.cached_input_per_1m,
                source=e.source,
            )
            for e in table.entries
        ],
    )
