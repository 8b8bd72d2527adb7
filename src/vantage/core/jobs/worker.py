"""Runs jobs in this process: claims them, runs their handlers, heartbeats and cancels them."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

import structlog

from vantage.config import Settings
from vantage.core.db import Database, utcnow
from vantage.core.jobs import repository
from vantage.core.jobs.broker import Dispatcher
from vantage.core.jobs.context import JobContext, RejectedInput, RetryableJobError
from vantage.core.jobs.kinds import JobKinds
from vantage.core.jobs.models import Job, JobStatus
from vantage.core.jobs.publisher import Publisher, publish_safely
from vantage.core.jobs.service import JobService
from vantage.core.lease.runner import Clock

StopReason = Literal["cancel", "shutdown", "lost"]
ERROR_MAX_LENGTH = 4000
# After the grace period, how long stopped handlers may take to unwind and be queued again.
SETTLE_SECONDS = 10.0

logger = structlog.get_logger("vantage.jobs")


@dataclass
class RunningJob:
    job: Job
    context: JobContext
    task: asyncio.Task[Any]
    stop_reason: StopReason | None = field(default=None)

    def stop(self, reason: StopReason) -> None:
        """Cancel the handler, remembering why (the first reason wins)."""
        if self.task.done() or self.stop_reason is not None:
            return
        self.stop_reason = reason
        self.task.cancel()


@dataclass(frozen=True)
class Outcome:
    status: JobStatus | None  # None: back to the queue
    values: dict[str, Any]
    refund_attempt: bool = False


class JobWorker:
    """Executes the jobs the broker hands to this process."""

    def __init__(
        self,
        *,
        worker_id: str,
        database: Database,
        settings: Settings,
        kinds: JobKinds,
        service: JobService,
        dispatcher: Dispatcher,
        publisher: Publisher,
        clock: Clock = utcnow,
    ) -> None:
        self.worker_id = worker_id
        self.database = database
        self.settings = settings
        self.kinds = kinds
        self.service = service
        self.dispatcher = dispatcher
        self.publisher = publisher
        self.clock = clock
        self.running: dict[str, RunningJob] = {}
        self._accepted: set[str] = set()
        self._slots = asyncio.Semaphore(settings.job_worker_concurrency)
        self._stopping = False
        self._idle = asyncio.Event()
        self._idle.set()
        self._heartbeat_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the heartbeat loop."""
        if self._heartbeat_task is None:
            self._heartbeat_task = asyncio.create_task(self._heartbeat_loop(), name="job-heartbeat")

    async def execute(self, job_id: str) -> None:
        """Run job ``job_id`` if it is still queued (the broker's task body; never raises)."""
        # The same id can arrive twice (a re-sent or redelivered message): run it once here.
        if job_id in self._accepted or self._stopping:
            return
        self._accepted.add(job_id)
        self._idle.clear()
        try:
            async with self._slots:
                if self._stopping:
                    return
                job = await self._claim(job_id)
                if job is not None:
                    await self._run(job)
        except Exception:
            logger.exception("job execution failed", job_id=job_id)
        finally:
            self._accepted.discard(job_id)
            if not self._accepted:
                self._idle.set()

    async def _claim(self, job_id: str) -> Job | None:
        async with self.database.transaction() as session:
            job = await repository.claim(session, job_id, self.worker_id, self.clock())
        if job is None:
            logger.debug("job not claimed: no longer queued", job_id=job_id)
        return job

    async def _run(self, job: Job) -> None:
        context = self._context_for(job)
        handler = self.kinds.handlers.get(job.kind)
        if handler is None:
            await self._settle(job, context, None, None)
            return
        logger.info("job started", job_id=job.id, kind=job.kind, attempt=job.attempts)
        task = asyncio.create_task(handler(context, dict(job.params)), name=f"job:{job.id}")
        running = RunningJob(job=job, context=context, task=task)
        self.running[job.id] = running  # from here on the heartbeat keeps it alive
        try:
            await self._publish(job, {"status": JobStatus.RUNNING.value, "attempt": job.attempts})
            await asyncio.wait({task})
        except asyncio.CancelledError:
            running.stop("shutdown")
            await asyncio.wait({task})
            raise
        finally:
            self.running.pop(job.id, None)
        await self._settle(job, context, task, running.stop_reason)

    def _context_for(self, job: Job) -> JobContext:
        async def persist(values: dict[str, Any]) -> None:
            await self._save_progress(job, values)

        return JobContext(
            job_id=job.id,
            tenant_id=job.tenant_id,
            kind=job.kind,
            attempt=job.attempts,
            max_attempts=job.max_attempts,
            database=self.database,
            settings=self.settings,
            jobs=self.service,
            persist=persist,
        )

    async def _save_progress(self, job: Job, values: dict[str, Any]) -> None:
        async with self.database.transaction() as session:
            owned = await repository.save_progress(
                session, job.id, self.worker_id, self.clock(), values
            )
        if not owned:
            self._lose(job.id)
            return
        await self._publish(job, {"status": JobStatus.RUNNING.value, **_event_values(values)})

    def _lose(self, job_id: str) -> None:
        running = self.running.get(job_id)
        if running is not None:
            logger.warning("job taken away from this worker; stopping it", job_id=job_id)
            running.stop("lost")

    async def _settle(
        self,
        job: Job,
        context: JobContext,
        task: asyncio.Task[Any] | None,
        reason: StopReason | None,
    ) -> None:
        if reason == "lost":
            return
        outcome = _outcome_of(job, task, reason)
        values = {**context.snapshot(), "eta_seconds": None, **outcome.values}
        now = self.clock()
        async with self.database.transaction() as session:
            if outcome.status is None:
                kept = await repository.requeue_owned(
                    session,
                    job.id,
                    self.worker_id,
                    now,
                    refund_attempt=outcome.refund_attempt,
                    message=outcome.values.get("message"),
                )
                if kept:
                    self.dispatcher.send_after_commit(session, [job.id])
            else:
                kept = await repository.finish(
                    session, job.id, self.worker_id, outcome.status, now, values
                )
        if not kept:
            logger.warning("job outcome dropped: another process took the job", job_id=job.id)
            return
        status = outcome.status or JobStatus.QUEUED
        logger.info("job ended", job_id=job.id, kind=job.kind, status=status.value)
        await self._publish(job, {**_event_values(values), "status": status.value})

    async def _publish(self, job: Job, data: dict[str, Any]) -> None:
        await publish_safely(self.publisher, job.tenant_id, job.id, data)

    async def beat(self) -> None:
        """Mark running jobs alive, stop those cancelled or taken away, flush their progress."""
        if not self.running:
            return
        job_ids = list(self.running)
        async with self.database.transaction() as session:
            alive = await repository.heartbeat(session, self.worker_id, job_ids, self.clock())
        for job_id in job_ids:
            running = self.running.get(job_id)
            if running is None:
                continue
            if job_id not in alive:
                self._lose(job_id)
            elif alive[job_id]:
                running.stop("cancel")
        for running in list(self.running.values()):
            if not running.task.done():
                await running.context.flush()

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.job_heartbeat_seconds)
            try:
                await self.beat()
            except Exception:
                # The database may be briefly away; the stale window allows missed beats.
                logger.warning("job heartbeat failed", worker_id=self.worker_id, exc_info=True)

    async def stop(self, grace_seconds: float) -> None:
        """Take no new jobs; give running ones ``grace_seconds``, then queue them again."""
        self._stopping = True
        tasks = [running.task for running in self.running.values()]
        if tasks:
            await asyncio.wait(tasks, timeout=grace_seconds)
        for running in list(self.running.values()):
            running.stop("shutdown")
        try:
            await asyncio.wait_for(self._idle.wait(), timeout=SETTLE_SECONDS)
        except TimeoutError:
            logger.warning("jobs still settling at shutdown", job_ids=sorted(self._accepted))
        if self._heartbeat_task is not None:
            self._heartbeat_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat_task
            self._heartbeat_task = None


def _event_values(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "done": values.get("progress_done"),
        "total": values.get("progress_total"),
        "eta_seconds": values.get("eta_seconds"),
        "message": values.get("message"),
        "error": values.get("error"),
    }


def _error_text(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return text[:ERROR_MAX_LENGTH]


def _result_of(task: asyncio.Task[Any]) -> Outcome:
    result = task.result()
    if result is not None and not isinstance(result, dict):
        error = f"the handler returned {type(result).__name__}; expected a dict or None"
        return Outcome(JobStatus.FAILED, {"error": error})
    try:
        json.dumps(result)
    except (TypeError, ValueError) as error:
        return Outcome(JobStatus.FAILED, {"error": f"the result is not JSON: {error}"})
    return Outcome(JobStatus.SUCCEEDED, {"result": result})


def _outcome_of(job: Job, task: asyncio.Task[Any] | None, reason: StopReason | None) -> Outcome:
    if task is None:
        return Outcome(JobStatus.FAILED, {"error": f"no enabled pack handles kind {job.kind!r}"})
    if not task.cancelled() and task.exception() is None:
        return _result_of(task)  # it finished before a stop could land: keep the work
    if reason == "cancel":
        return Outcome(JobStatus.CANCELLED, {"message": "cancelled while running"})
    if reason == "shutdown":
        return Outcome(None, {"message": "queued again: its worker shut down"}, refund_attempt=True)
    if task.cancelled():
        return Outcome(JobStatus.FAILED, {"error": "the handler was cancelled"})
    error = task.exception()
    assert error is not None
    if isinstance(error, RetryableJobError) and job.attempts < job.max_attempts:
        return Outcome(None, {"message": f"retrying: {_error_text(error)}"[:500]})
    if isinstance(error, RejectedInput):
        logger.info("job refused its input", job_id=job.id, kind=job.kind, error=str(error))
        return Outcome(JobStatus.FAILED, {"error": str(error)[:ERROR_MAX_LENGTH]})
    logger.error("job failed", job_id=job.id, kind=job.kind, exc_info=error)
    return Outcome(JobStatus.FAILED, {"error": _error_text(error)})
