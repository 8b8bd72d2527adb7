"""All SQL of jobs. Every state change is one conditional UPDATE, so racing processes agree."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy import insert as insert_into
from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.auth.models import Tenant
from vantage.core.dialect import insert_ignoring_conflict
from vantage.core.jobs.models import Job, JobStatus

QUEUED, RUNNING = JobStatus.QUEUED.value, JobStatus.RUNNING.value
NO_SYNC = {"synchronize_session": False}
FRESH = {"synchronize_session": False, "populate_existing": True}
JobRef = tuple[str, int]  # (job id, tenant id)


async def insert(session: AsyncSession, job: Job) -> Job:
    """Add a new job row to the caller's transaction."""
    session.add(job)
    await session.flush()
    return job


async def insert_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Add new job rows (column values) to the caller's transaction in one statement."""
    await session.execute(insert_into(Job), list(rows))


async def insert_once(session: AsyncSession, values: dict[str, Any]) -> str | None:
    """Insert unless the tenant already has a job with this ``dedupe_key``; the new id or None."""
    created = await session.scalar(
        insert_ignoring_conflict(session, Job, ["tenant_id", "dedupe_key"])
        .values(**values)
        .returning(Job.id)
    )
    return str(created) if created is not None else None


async def get(session: AsyncSession, tenant_id: int, job_id: str) -> Job | None:
    """The tenant's job ``job_id``."""
    return await session.scalar(select(Job).where(Job.id == job_id, Job.tenant_id == tenant_id))


def listing(tenant_id: int, status: str | None, kind: str | None) -> Select[Any]:
    """The tenant's jobs, newest first, optionally of one status and kind."""
    query = select(Job).where(Job.tenant_id == tenant_id)
    if status is not None:
        query = query.where(Job.status == status)
    if kind is not None:
        query = query.where(Job.kind == kind)
    return query.order_by(Job.created_at.desc(), Job.id.desc())


async def page(
    session: AsyncSession,
    query: Select[Any],
    *,
    limit: int,
    offset: int = 0,
    after: tuple[datetime, str] | None = None,
) -> list[Job]:
    """One page of ``listing``: after a keyset position, or at an offset."""
    if after is not None:
        created_at, job_id = after
        query = query.where(
            or_(Job.created_at < created_at, and_(Job.created_at == created_at, Job.id < job_id))
        )
    else:
        query = query.offset(offset)
    return list((await session.scalars(query.limit(limit))).all())


async def claim(session: AsyncSession, job_id: str, worker_id: str, now: datetime) -> Job | None:
    """Start a queued job on ``worker_id``; None when it is no longer queued."""
    return await session.scalar(
        update(Job)
        .where(Job.id == job_id, Job.status == QUEUED, Job.cancel_requested.is_(False))
        .values(
            status=RUNNING,
            worker_id=worker_id,
            attempts=Job.attempts + 1,
            started_at=now,
            heartbeat_at=now,
            updated_at=now,
            progress_done=0,
            progress_total=None,
            eta_seconds=None,
            message=None,
            error=None,
        )
        .returning(Job)
        .execution_options(**FRESH)
    )


def _owned(job_id: str, worker_id: str) -> Any:
    return and_(Job.id == job_id, Job.status == RUNNING, Job.worker_id == worker_id)


async def save_progress(
    session: AsyncSession, job_id: str, worker_id: str, now: datetime, values: dict[str, Any]
) -> bool:
    """Write progress of a job this worker runs; False when the worker no longer owns it."""
    changed = await session.scalar(
        update(Job)
        .where(_owned(job_id, worker_id))
        .values(**values, heartbeat_at=now, updated_at=now)
        .returning(Job.id)
        .execution_options(**NO_SYNC)
    )
    return changed is not None


async def finish(
    session: AsyncSession,
    job_id: str,
    worker_id: str,
    status: JobStatus,
    now: datetime,
    values: dict[str, Any],
) -> bool:
    """End a job this worker runs with ``status``; False when it no longer owns it."""
    changed = await session.scalar(
        update(Job)
        .where(_owned(job_id, worker_id))
        .values(**values, status=status.value, finished_at=now, heartbeat_at=now, updated_at=now)
        .returning(Job.id)
        .execution_options(**NO_SYNC)
    )
    return changed is not None


async def requeue_owned(
    session: AsyncSession,
    job_id: str,
    worker_id: str,
    now: datetime,
    *,
    refund_attempt: bool,
    message: str | None,
) -> bool:
    """Put a job this worker runs back in the queue (shutdown or a retryable failure)."""
    changed = await session.scalar(
        update(Job)
        .where(_owned(job_id, worker_id))
        .values(
            status=QUEUED,
            worker_id=None,
            heartbeat_at=None,
            queued_at=now,
            updated_at=now,
            attempts=Job.attempts - 1 if refund_attempt else Job.attempts,
            message=message,
        )
        .returning(Job.id)
        .execution_options(**NO_SYNC)
    )
    return changed is not None


async def heartbeat(
    session: AsyncSession, worker_id: str, job_ids: Collection[str], now: datetime
) -> dict[str, bool]:
    """Mark this worker's jobs alive; returns those it still owns with their cancel request."""
    if not job_ids:
        return {}
    rows = await session.execute(
        update(Job)
        .where(Job.id.in_(job_ids), Job.status == RUNNING, Job.worker_id == worker_id)
        .values(heartbeat_at=now)
        .returning(Job.id, Job.cancel_requested)
        .execution_options(**NO_SYNC)
    )
    return {str(job_id): bool(cancel) for job_id, cancel in rows}


async def cancel_queued(
    session: AsyncSession, tenant_id: int, job_id: str, now: datetime
) -> Job | None:
    """Cancel a job that has not started yet; None when it is not queued."""
    return await session.scalar(
        update(Job)
        .where(Job.id == job_id, Job.tenant_id == tenant_id, Job.status == QUEUED)
        .values(
            status=JobStatus.CANCELLED.value,
            cancel_requested=True,
            finished_at=now,
            updated_at=now,
            message="cancelled before it started",
        )
        .returning(Job)
        .execution_options(**FRESH)
    )


async def request_cancel(
    session: AsyncSession, tenant_id: int, job_id: str, now: datetime
) -> Job | None:
    """Ask the worker running the job to stop it; None when it is not running."""
    return await session.scalar(
        update(Job)
        .where(Job.id == job_id, Job.tenant_id == tenant_id, Job.status == RUNNING)
        .values(cancel_requested=True, updated_at=now)
        .returning(Job)
        .execution_options(**FRESH)
    )


def _stale_running(cutoff: datetime) -> Any:
    return and_(Job.status == RUNNING, Job.heartbeat_at < cutoff)


def _batch(condition: Any, limit: int) -> Any:
    # UPDATE has no LIMIT on either database: bound the batch with a sub-select, and keep the
    # condition on the outer statement so a row another reaper already changed is skipped.
    return and_(condition, Job.id.in_(select(Job.id).where(condition).limit(limit)))


async def _reap(
    session: AsyncSession, condition: Any, values: dict[str, Any], limit: int
) -> list[JobRef]:
    rows = await session.execute(
        update(Job)
        .where(_batch(condition, limit))
        .values(**values)
        .returning(Job.id, Job.tenant_id)
        .execution_options(**NO_SYNC)
    )
    return [(str(job_id), int(tenant_id)) for job_id, tenant_id in rows]


async def cancel_abandoned(
    session: AsyncSession, cutoff: datetime, now: datetime, limit: int
) -> list[JobRef]:
    """Running jobs whose worker died after a cancel was asked: they end cancelled."""
    condition = and_(_stale_running(cutoff), Job.cancel_requested.is_(True))
    values = {
        "status": JobStatus.CANCELLED.value,
        "finished_at": now,
        "updated_at": now,
        "message": "cancelled; its worker stopped responding",
    }
    return await _reap(session, condition, values, limit)


async def requeue_stale(
    session: AsyncSession, cutoff: datetime, now: datetime, limit: int
) -> list[JobRef]:
    """Running jobs whose worker died and that have attempts left: back to the queue."""
    condition = and_(_stale_running(cutoff), Job.attempts < Job.max_attempts)
    values = {
        "status": QUEUED,
        "worker_id": None,
        "heartbeat_at": None,
        "queued_at": now,
        "updated_at": now,
        "message": "its worker stopped responding; queued again",
    }
    return await _reap(session, condition, values, limit)


async def fail_stale(
    session: AsyncSession, cutoff: datetime, now: datetime, limit: int
) -> list[JobRef]:
    """Running jobs whose worker died on their last attempt: failed."""
    condition = and_(_stale_running(cutoff), Job.attempts >= Job.max_attempts)
    values = {
        "status": JobStatus.FAILED.value,
        "finished_at": now,
        "updated_at": now,
        "error": "its worker stopped responding on the last attempt",
    }
    return await _reap(session, condition, values, limit)


async def redispatch_queued(
    session: AsyncSession, cutoff: datetime, now: datetime, limit: int
) -> list[JobRef]:
    """Queued jobs no worker picked up since ``cutoff`` (message lost): to be sent again."""
    condition = and_(Job.status == QUEUED, Job.queued_at < cutoff)
    return await _reap(session, condition, {"queued_at": now}, limit)


async def tenant_ids(session: AsyncSession) -> Sequence[int]:
    """Every tenant, for schedules that run once per tenant."""
    return list((await session.scalars(select(Tenant.id).order_by(Tenant.id))).all())
