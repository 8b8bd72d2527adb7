"""Enqueue, read and cancel jobs. No commits here: the caller's transaction decides."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vantage.core.db import after_commit, utcnow
from vantage.core.errors import Conflict, NotFound
from vantage.core.jobs import repository
from vantage.core.jobs.broker import Dispatcher
from vantage.core.jobs.kinds import JobKinds
from vantage.core.jobs.models import Job, JobStatus
from vantage.core.jobs.publisher import Publisher, publish_safely
from vantage.core.lease.runner import Clock
from vantage.core.pagination import CursorCodec, PageParams
from vantage.core.repository import count_rows


class UnknownJobKind(ValueError):
    """No enabled pack handles this job kind."""


LIST_CURSOR_SCOPE = "jobs.list:-created_at,-id"


@dataclass(frozen=True)
class JobFilter:
    status: JobStatus | None = None
    kind: str | None = None


@dataclass(frozen=True)
class JobList:
    jobs: list[Job]
    total: int | None
    next_cursor: str | None


def job_event(job: Job) -> dict[str, Any]:
    """The realtime message describing a job's state."""
    return {
        "status": job.status,
        "done": job.progress_done,
        "total": job.progress_total,
        "eta_seconds": job.eta_seconds,
        "message": job.message,
        "error": job.error,
    }


def _checked_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    values = dict(params or {})
    try:
        json.dumps(values)
    except (TypeError, ValueError) as error:
        raise ValueError(f"job params must be JSON: {error}") from error
    return values


class JobService:
    """The jobs API for endpoints, packs and the scheduler."""

    def __init__(
        self,
        kinds: JobKinds,
        dispatcher: Dispatcher,
        publisher: Publisher,
        *,
        default_max_attempts: int,
        clock: Clock = utcnow,
    ) -> None:
        self.kinds = kinds
        self.dispatcher = dispatcher
        self.publisher = publisher
        self.default_max_attempts = default_max_attempts
        self.clock = clock

    def _new_job(
        self, tenant_id: int, kind: str, params: Mapping[str, Any] | None, max_attempts: int | None
    ) -> Job:
        if kind not in self.kinds.handlers:
            raise UnknownJobKind(f"no enabled pack handles job kind {kind!r}")
        if max_attempts is not None and max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        now = self.clock()
        return Job(
            id=str(uuid.uuid4()),
            tenant_id=tenant_id,
            kind=kind,
            params=_checked_params(params),
            status=JobStatus.QUEUED.value,
            progress_done=0,
            log_tail=[],
            attempts=0,
            max_attempts=max_attempts or self.default_max_attempts,
            cancel_requested=False,
            queued_at=now,
            created_at=now,
            updated_at=now,
        )

    async def enqueue(
        self,
        session: AsyncSession,
        tenant_id: int,
        kind: str,
        params: Mapping[str, Any] | None = None,
        *,
        max_attempts: int | None = None,
    ) -> Job:
        """Add a queued job to the caller's transaction; it is sent to a worker after commit."""
        job = await repository.insert(session, self._new_job(tenant_id, kind, params, max_attempts))
        self.dispatcher.send_after_commit(session, [job.id])
        return job

    async def enqueue_many(
        self, session: AsyncSession, jobs: Sequence[tuple[int, str, Mapping[str, Any] | None]]
    ) -> list[str]:
        """Add queued jobs (tenant, kind, params) to the caller's transaction in one statement;
        they are sent to workers after commit, without holding up the commit's caller."""
        columns = [column.key for column in Job.__table__.columns]
        rows = [
            {key: getattr(job, key) for key in columns}
            for job in (self._new_job(tenant, kind, params, None) for tenant, kind, params in jobs)
        ]
        await repository.insert_many(session, rows)
        ids = [str(row["id"]) for row in rows]
        self.dispatcher.send_after_commit(session, ids, wait=False)
        return ids

    async def enqueue_once(
        self,
        session: AsyncSession,
        tenant_id: int,
        kind: str,
        params: Mapping[str, Any] | None,
        dedupe_key: str,
    ) -> str | None:
        """Enqueue unless the tenant has a job with ``dedupe_key``; the new job's id or None."""
        job = self._new_job(tenant_id, kind, params, None)
        values = {column.key: getattr(job, column.key) for column in Job.__table__.columns}
        values["dedupe_key"] = dedupe_key
        job_id = await repository.insert_once(session, values)
        if job_id is not None:
            self.dispatcher.send_after_commit(session, [job_id])
        return job_id

    async def get(self, session: AsyncSession, tenant_id: int, job_id: str) -> Job:
        """The tenant's job, or a 404 problem (another tenant's job is not found either)."""
        job = await repository.get(session, tenant_id, job_id)
        if job is None:
            raise NotFound(f"job {job_id} does not exist")
        return job

    async def list_jobs(
        self,
        session: AsyncSession,
        tenant_id: int,
        filters: JobFilter,
        params: PageParams,
        cursors: CursorCodec,
    ) -> JobList:
        """The tenant's jobs, newest first: offset pages with a total, or keyset cursor pages."""
        status = filters.status.value if filters.status else None
        query = repository.listing(tenant_id, status, filters.kind)
        after = None
        total = None
        if params.cursor:
            created_at, job_id = cursors.decode(LIST_CURSOR_SCOPE, params.cursor)
            after = (created_at, str(job_id))
        else:
            total = await count_rows(session, query)
        rows = await repository.page(
            session, query, limit=params.limit + 1, offset=params.offset, after=after
        )
        more = len(rows) > params.limit
        rows = rows[: params.limit]
        next_cursor = None
        if more and rows:
            next_cursor = cursors.encode(LIST_CURSOR_SCOPE, [rows[-1].created_at, rows[-1].id])
        return JobList(jobs=rows, total=total, next_cursor=next_cursor)

    async def cancel(self, session: AsyncSession, tenant_id: int, job_id: str) -> Job:
        """Cancel at once when queued; ask the worker to stop it when running; 409 when over."""
        now = self.clock()
        job = await repository.cancel_queued(session, tenant_id, job_id, now)
        if job is None:
            job = await repository.request_cancel(session, tenant_id, job_id, now)
        if job is None:
            existing = await self.get(session, tenant_id, job_id)
            raise Conflict(f"job {job_id} has already finished ({existing.status})")
        event = job_event(job) | {"cancel_requested": True}

        async def announce() -> None:
            await publish_safely(self.publisher, tenant_id, job_id, event)

        after_commit(session, announce)
        return job
