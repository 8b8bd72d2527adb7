"""``/api/v1/etl/sources``: where delivery data comes from (admin manages secrets)."""

from __future__ import annotations

from fastapi import APIRouter, status

from vantage.core.auth.dependencies import AdminPrincipal, ReadPrincipal
from vantage.core.db import ReadSession, WriteSession
from vantage.core.ids import RowId
from vantage.packs.delivery.runtime import DeliveryRuntimeDep
from vantage.packs.delivery.schemas import JobRef, SourceIn, SourceList, SourceOut, SourcePatch
from vantage.packs.delivery.service import sources

router = APIRouter(prefix="/api/v1/etl/sources", tags=["delivery"])


@router.get("", response_model=SourceList, summary="The tenant's sources (never their secrets)")
async def list_sources(session: ReadSession, principal: ReadPrincipal) -> SourceList:
    return SourceList(data=await sources.list_sources(session, principal.tenant_id))


@router.post(
    "", response_model=SourceOut, status_code=status.HTTP_201_CREATED, summary="Add a source"
)
async def create_source(
    data: SourceIn, session: WriteSession, principal: AdminPrincipal, runtime: DeliveryRuntimeDep
) -> SourceOut:
    return await sources.create_source(
        session, principal.tenant_id, data, runtime.secrets, runtime.jobs
    )


@router.get("/{source_id}", response_model=SourceOut, summary="One source")
async def get_source(source_id: RowId, session: ReadSession, principal: ReadPrincipal) -> SourceOut:
    return sources.source_out(await sources.get_source(session, principal.tenant_id, source_id))


@router.patch("/{source_id}", response_model=SourceOut, summary="Change a source")
async def update_source(
    source_id: RowId,
    patch: SourcePatch,
    session: WriteSession,
    principal: AdminPrincipal,
    runtime: DeliveryRuntimeDep,
) -> SourceOut:
    runtime.intake.secrets.forget_after_commit(session, source_id)
    return await sources.update_source(
        session, principal.tenant_id, source_id, patch, runtime.secrets, runtime.jobs
    )


@router.post(
    "/{source_id}/sync",
    response_model=JobRef,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Sync the source's repositories from the GitHub REST API (a background job)",
)
async def sync_source(
    source_id: RowId,
    session: WriteSession,
    principal: AdminPrincipal,
    runtime: DeliveryRuntimeDep,
) -> JobRef:
    job_id = await sources.start_sync(session, principal.tenant_id, source_id, runtime.jobs)
    return JobRef(job_id=job_id, status_url=f"/api/v1/jobs/{job_id}")


@router.delete("/{source_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a source")
async def delete_source(
    source_id: RowId, session: WriteSession, principal: AdminPrincipal, runtime: DeliveryRuntimeDep
) -> None:
    runtime.intake.secrets.forget_after_commit(session, source_id)
    await sources.delete_source(session, principal.tenant_id, source_id)
