"""Specialists (read for everyone, write for admins), providers with health, and pricing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from vantage.core.auth.dependencies import AdminPrincipal, ReadPrincipal
from vantage.core.db import ReadSession, WriteSession
from vantage.core.pagination import Page, Pagination, page_of
from vantage.core.ratelimit import rate_limit
from vantage.packs.gateway.models import Specialist
from vantage.packs.gateway.runtime import GatewayRuntime, runtime_of
from vantage.packs.gateway.schemas import (
    PriceRead,
    PricingRead,
    ProviderList,
    ProviderStatus,
    SpecialistCreate,
    SpecialistRead,
    SpecialistUpdate,
)
from vantage.packs.gateway.services import specialists as service

router = APIRouter(prefix="/api/v1", tags=["gateway"], dependencies=[Depends(rate_limit())])
Runtime = Annotated[GatewayRuntime, Depends(runtime_of)]


def _read(row: Specialist) -> SpecialistRead:
    return SpecialistRead(
        id=row.id,
        slug=row.slug,
        name=row.name,
        description=row.description,
        system_prompt=row.system_prompt,
        provider=row.provider,
        model=row.model,
        temperature=row.temperature,
        max_tokens=row.max_tokens,
        top_p=row.top_p,
        fallbacks=list(row.fallbacks or []),
        allowed_roles=list(row.allowed_roles or []),
        source="config" if row.source == "config" else "api",
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@router.get("/specialists", response_model=Page[SpecialistRead])
async def list_specialists(
    principal: ReadPrincipal,
    session: ReadSession,
    page: Pagination,
    include_inactive: Annotated[bool, Query(description="Also list deactivated ones")] = False,
) -> Page[SpecialistRead]:
    """The tenant's specialists by slug."""
    rows, total = await service.list_specialists(
        session,
        principal.tenant_id,
        limit=page.limit,
        offset=page.offset,
        include_inactive=include_inactive,
    )
    return page_of([_read(r) for r in rows], page, total=total)


@router.get("/specialists/{specialist_id}", response_model=SpecialistRead)
async def get_specialist(
    specialist_id: int, principal: ReadPrincipal, session: ReadSession
) -> SpecialistRead:
    return _read(await service.get_specialist(session, principal.tenant_id, specialist_id))


@router.post("/specialists", response_model=SpecialistRead, status_code=201)
async def create_specialist(
    body: SpecialistCreate,
    principal: AdminPrincipal,
    session: WriteSession,
    runtime: Runtime,
    request: Request,
    response: Response,
) -> SpecialistRead:
    """Create a specialist (admin)."""
    row = await service.create_specialist(session, runtime.registry, principal.tenant_id, body)
    runtime.specialists.forget(principal.tenant_id, row.slug)
    response.headers["Location"] = f"{request.url.path}/{row.id}"
    return _read(row)


@router.patch("/specialists/{specialist_id}", response_model=SpecialistRead)
async def update_specialist(
    specialist_id: int,
    body: SpecialistUpdate,
    principal: AdminPrincipal,
    session: WriteSession,
    runtime: Runtime,
) -> SpecialistRead:
    """Change a specialist (admin); file-declared ones answer 409."""
    row = await service.update_specialist(
        session, runtime.registry, principal.tenant_id, specialist_id, body
    )
    runtime.specialists.forget(principal.tenant_id, row.slug)
    return _read(row)


@router.delete("/specialists/{specialist_id}", status_code=204)
async def delete_specialist(
    specialist_id: int, principal: AdminPrincipal, session: WriteSession, runtime: Runtime
) -> Response:
    """Delete a specialist (admin); its usage history stays."""
    slug = await service.delete_specialist(session, principal.tenant_id, specialist_id)
    runtime.specialists.forget(principal.tenant_id, slug)
    return Response(status_code=204)


@router.get("/providers", response_model=ProviderList)
async def list_providers(principal: ReadPrincipal, runtime: Runtime) -> ProviderList:
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
async def get_pricing(principal: ReadPrincipal, runtime: Runtime) -> PricingRead:
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
