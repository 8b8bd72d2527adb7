"""The jobs subsystem of one process: broker, service, and (where jobs run) worker + singletons.

Roles:
- ``api`` without a broker URL (embedded): this process runs its jobs on the in-process broker,
  and the reaper and scheduler under leases.
- ``api`` with a broker URL: this process only sends jobs; ``vantage worker`` processes run them.
- ``worker``: receives jobs from the broker and runs the reaper and scheduler under leases.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Literal

import structlog
from taskiq.receiver import Receiver

from vantage.config import Settings
from vantage.core.db import Database, utcnow
from vantage.core.jobs.broker import RUN_JOB_TASK, Dispatcher, create_broker
from vantage.core.jobs.kinds import JobKinds
from vantage.core.jobs.publisher import NullPublisher, Publisher
from vantage.core.jobs.reaper import Reaper
from vantage.core.jobs.scheduler import Scheduler
from vantage.core.jobs.service import JobService
from vantage.core.jobs.worker import JobWorker
from vantage.core.lease.runner import Clock, Lease, LeasedLoop
from vantage.core.packs import Pack

Role = Literal["api", "worker"]
REAPER_LEASE = "jobs.reaper"
SCHEDULER_LEASE = "jobs.scheduler"

logger = structlog.get_logger("vantage.jobs")


class JobsConfigurationError(RuntimeError):
    """The process cannot run jobs with these settings."""


def new_worker_id() -> str:
    """Unique per process start: host, pid and a random suffix (pids are reused)."""
    return f"{socket.gethostname()[:150]}:{os.getpid()}:{secrets.token_hex(4)}"


def _task_body(worker: JobWorker) -> Callable[[str], Awaitable[None]]:
    # taskiq renames the function it registers, which a bound method does not allow.
    async def run_job(job_id: str) -> None:
        await worker.execute(job_id)

    return run_job


class JobRuntime:
    """Builds and runs everything job-related that this process needs."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        packs: Sequence[Pack],
        *,
        publisher: Publisher | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.settings = settings
        self.database = database
        self.clock = clock
        self.kinds = JobKinds.from_packs(packs)
        self.publisher: Publisher = publisher or NullPublisher()
        self.broker = create_broker(settings)
        self.dispatcher = Dispatcher(self.broker)
        self.service = JobService(
            self.kinds,
            self.dispatcher,
            self.publisher,
            default_max_attempts=settings.job_max_attempts,
            clock=clock,
        )
        self.worker_id = new_worker_id()
        self.worker: JobWorker | None = None
        self.singletons: list[LeasedLoop] = []
        self._receiver_stop = asyncio.Event()
        self._receiver_task: asyncio.Task[None] | None = None
        self._started = False

    @property
    def embedded(self) -> bool:
        """Jobs run in this process on the in-process broker (no ``VANTAGE_BROKER_URL``)."""
        return not self.settings.broker_url

    async def start(self, role: Role) -> None:
        """Connect the broker and, where this role runs jobs, the worker and singletons."""
        if role == "worker" and self.embedded:
            raise JobsConfigurationError(
                "vantage worker needs VANTAGE_BROKER_URL; without it the API process runs jobs"
            )
        runs_jobs = role == "worker" or self.embedded
        if runs_jobs:
            self.worker = self._build_worker()
            self.broker.register_task(_task_body(self.worker), task_name=RUN_JOB_TASK)
        if runs_jobs:
            await self.broker.startup()
        else:
            await self._start_sender()
        self._started = True
        if not runs_jobs:
            return
        assert self.worker is not None
        self.worker.start()
        if not self.embedded:
            self._receiver_task = asyncio.create_task(self._receive(), name="job-receiver")
        self.singletons = self._build_singletons()
        for loop in self.singletons:
            loop.start()
        logger.info(
            "job runner started",
            worker_id=self.worker_id,
            broker="memory" if self.embedded else "redis",
            concurrency=self.settings.job_worker_concurrency,
        )

    async def _start_sender(self) -> None:
        # An API process only sends: it starts even while the broker is down (sends are
        # logged and the reaper re-sends), and workers create the stream's group themselves.
        try:
            await self.broker.startup()
        except Exception:
            logger.warning("job broker unreachable at start-up", exc_info=True)

    def _build_worker(self) -> JobWorker:
        return JobWorker(
            worker_id=self.worker_id,
            database=self.database,
            settings=self.settings,
            kinds=self.kinds,
            service=self.service,
            dispatcher=self.dispatcher,
            publisher=self.publisher,
            clock=self.clock,
        )

    def _build_singletons(self) -> list[LeasedLoop]:
        ttl = self.settings.job_lease_ttl_seconds
        interval = ttl / 3
        reaper = Reaper(
            self.database,
            self.dispatcher,
            self.publisher,
            self.settings.job_stale_seconds,
            clock=self.clock,
        )
        loops = [LeasedLoop(self._lease(REAPER_LEASE), reaper.sweep, interval)]
        if self.settings.job_scheduler_enabled and self.kinds.schedules:
            scheduler = Scheduler(
                self.database,
                self.service,
                self.kinds.schedules,
                lookback_seconds=ttl + interval,
                clock=self.clock,
            )
            loops.append(LeasedLoop(self._lease(SCHEDULER_LEASE), scheduler.tick, interval))
        return loops

    def _lease(self, name: str) -> Lease:
        ttl = self.settings.job_lease_ttl_seconds
        return Lease(self.database, name, self.worker_id, ttl, clock=self.clock)

    async def _receive(self) -> None:
        receiver = Receiver(
            broker=self.broker,
            run_startup=False,
            max_async_tasks=self.settings.job_worker_concurrency,
            max_prefetch=0,
        )
        while not self._receiver_stop.is_set():
            try:
                await receiver.listen(self._receiver_stop)
            except Exception:
                # A broker outage: keep trying; jobs wait in the stream meanwhile.
                logger.warning("job receiver failed; retrying", exc_info=True)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._receiver_stop.wait(), timeout=1.0)

    async def stop(self) -> None:
        """Stop the singletons (releasing leases), drain the worker, disconnect the broker."""
        for loop in self.singletons:
            await loop.stop()
        self.singletons = []
        await self.dispatcher.drain()
        self._receiver_stop.set()
        if self.worker is not None:
            await self.worker.stop(self.settings.shutdown_timeout_seconds)
        if self._receiver_task is not None:
            try:
                await asyncio.wait_for(self._receiver_task, timeout=5)
            except (TimeoutError, asyncio.CancelledError):
                logger.warning("job receiver did not stop in time")
            self._receiver_task = None
        if self._started:
            self._started = False
            await self.broker.shutdown()

    @asynccontextmanager
    async def running(self, role: Role) -> AsyncIterator[JobRuntime]:
        """Start for ``role`` and stop on exit."""
        await self.start(role)
        try:
            yield self
        finally:
            await self.stop()
