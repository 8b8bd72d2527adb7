"""Response models of the jobs endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from vantage.core.jobs.models import Job, JobStatus


class JobProgress(BaseModel):
    done: int = Field(description="Steps done in the current attempt; never decreases")
    total: int | None = Field(description="Steps in all, when the job knows")
    percent: float | None = Field(description="done / total, 0-100, when total is known")

    @classmethod
    def of(cls, job: Job) -> JobProgress:
        total = job.progress_total
        percent = None
        if total:
            percent = round(min(job.progress_done / total, 1.0) * 100, 1)
        elif total == 0:
            percent = 100.0
        return cls(done=job.progress_done, total=total, percent=percent)


class JobSummary(BaseModel):
    id: str
    kind: str
    status: JobStatus
    progress: JobProgress
    eta_seconds: float | None = Field(description="Estimated seconds left, from the rate so far")
    message: str | None
    error: str | None
    attempts: int
    max_attempts: int
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def summary_fields(cls, job: Job) -> dict[str, Any]:
        return {
            "id": job.id,
            "kind": job.kind,
            "status": JobStatus(job.status),
            "progress": JobProgress.of(job),
            "eta_seconds": job.eta_seconds,
            "message": job.message,
            "error": job.error,
            "attempts": job.attempts,
            "max_attempts": job.max_attempts,
            "cancel_requested": job.cancel_requested,
            "created_at": job.created_at,
            "started_at": job.started_at,
            "finished_at": job.finished_at,
        }

    @classmethod
    def of(cls, job: Job) -> JobSummary:
        return cls(**cls.summary_fields(job))


class JobRead(JobSummary):
    params: dict[str, Any]
    result: dict[str, Any] | None
    log: list[str] = Field(description="The last lines the job logged, oldest first")
    heartbeat_at: datetime | None = Field(description="Last sign of life of its worker")

    @classmethod
    def of(cls, job: Job) -> JobRead:
        return cls(
            **cls.summary_fields(job),
            params=job.params,
            result=job.result,
            log=list(job.log_tail),
            heartbeat_at=job.heartbeat_at,
        )
