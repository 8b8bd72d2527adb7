"""Specialists: read by everyone, created, changed and deleted by admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from vantage.core.auth.dependencies import AdminPrincipal, ReadPrincipal
from vantage.core.db import ReadSession, WriteSession
from vantage.core.ids import RowId
from vantage.core.pagination import Page, Pagination, page_of
from vantage.core.ratelimit import rate_limit
from vantage.packs.gateway.api.rate_limit_groups import ADMIN_GROUP, READ_GROUP
from vantage.packs.gateway.runtime import GatewayRuntimeDep
from vantage.packs.gateway.schemas import SpecialistCreate, SpecialistRead, SpecialistUpdate
from vantage.packs.gateway.service import specialists as service

reads = APIRouter(
    prefix="/api/v1", tags=["gateway"], dependencies=[Depends(rate_limit(READ_GROUP))]
)
writes = APIRouter(
    prefix="/api/v1", tags=["gateway"], dependencies=[Depends(rate_limit(ADMIN_GROUP))]
)


@reads.get("/specialists", response_model=Page[SpecialistRead])
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
    return page_of([service.specialist_read(r) for r in rows], page, total=total)


@reads.get("/specialists/{specialist_id}", response_model=SpecialistRead)
async def get_specialist(
    specialist_id: RowId, principal: ReadPrincipal, session: ReadSession
) -> SpecialistRead:
    return service.specialist_read(
        await service.get_specialist(session, principal.tenant_id, specialist_id)
    )


@writes.post("/specialists", response_model=SpecialistRead, status_code=201)
async def create_specialist(
    body: SpecialistCreate,
    principal: AdminPrincipal,
    session: WriteSession,
    runtime: GatewayRuntimeDep,
    request: Request,
    response: Response,
) -> SpecialistRead:
    """Create a specialist (admin)."""
    row = await service.create_specialist(session, runtime.registry, principal.tenant_id, body)
    runtime.specialists.forget(principal.tenant_id, row.slug)
    response.headers["Location"] = f"{request.url.path}/{row.id}"
    return service.specialist_read(row)


@writes.patch("/specialists/{specialist_id}", response_model=SpecialistRead)
async def update_specialist(
    specialist_id: RowId,
    body: SpecialistUpdate,
    principal: AdminPrincipal,
    session: WriteSession,
    runtime: GatewayRuntimeDep,
) -> SpecialistRead:
    """Change a specialist (admin); file-declared ones answer 409."""
    row = await service.update_specialist(
        session, runtime.registry, principal.tenant_id, specialist_id, body
    )
    runtime.specialists.forget(principal.tenant_id, row.slug)
    return service.specialist_read(row)


@writes.delete("/specialists/{specialist_id}", status_code=204)
async def delete_specialist(
    specialist_id: RowId,
    principal: AdminPrincipal,
    session: WriteSession,
    runtime: GatewayRuntimeDep,
) -> Response:
    """Delete a specialist (admin); its usage history stays."""
    slug = await service.delete_specialist(session, principal.tenant_id, specialist_id)
    runtime.specialists.forget(principal.tenant_id, slug)
    return Response(status_code=204)


router = APIRouter()
router.include_router(reads)
router.include_router(writes)
