"""``/api/v1/jobs``: list, read and cancel the caller's tenant's jobs."""

# Annotations stay evaluated here: FastAPI must see the closures' principal dependencies.
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from vantage.core.auth.principal import Principal
from vantage.core.db import ReadSession, WriteSession
from vantage.core.jobs.dependencies import Jobs
from vantage.core.jobs.models import KIND_MAX_LENGTH, JobStatus
from vantage.core.jobs.schemas import JobRead, JobSummary
from vantage.core.jobs.service import JobFilter
from vantage.core.pagination import Cursors, Page, Pagination, page_of

JobId = Annotated[str, Path(max_length=36, description="The job's id")]


def jobs_router(
    read_principal: Callable[..., Any], write_principal: Callable[..., Any]
) -> APIRouter:
    """The jobs routes; the two dependencies authenticate readers and writers (→ Principal)."""
    router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])

    @router.get("", response_model=Page[JobSummary], summary="The tenant's jobs, newest first")
    async def list_jobs(
        principal: Annotated[Principal, Depends(read_principal)],
        session: ReadSession,
        jobs: Jobs,
        page: Pagination,
        cursors: Cursors,
        status: Annotated[JobStatus | None, Query(description="Only jobs in this status")] = None,
        kind: Annotated[
            str | None, Query(max_length=KIND_MAX_LENGTH, description="Only jobs of this kind")
        ] = None,
    ) -> Page[JobSummary]:
        found = await jobs.list_jobs(
            session, principal.tenant_id, JobFilter(status=status, kind=kind), page, cursors
        )
        items = [JobSummary.of(job) for job in found.jobs]
        return page_of(items, page, total=found.total, next_cursor=found.next_cursor)

    @router.get("/{job_id}", response_model=JobRead, summary="Status, progress and log of a job")
    async def get_job(
        job_id: JobId,
        principal: Annotated[Principal, Depends(read_principal)],
        session: ReadSession,
        jobs: Jobs,
    ) -> JobRead:
        return JobRead.of(await jobs.get(session, principal.tenant_id, job_id))

    @router.post(
        "/{job_id}/cancel",
        response_model=JobRead,
        summary="Cancel a job",
        description=(
            "A queued job is cancelled at once. A running job gets `cancel_requested: true` and "
            "its worker stops it within one heartbeat. A finished job is a 409."
        ),
    )
    async def cancel_job(
        job_id: JobId,
        principal: Annotated[Principal, Depends(write_principal)],
        session: WriteSession,
        jobs: Jobs,
    ) -> JobRead:
        return JobRead.of(await jobs.cancel(session, principal.tenant_id, job_id))

    return router
