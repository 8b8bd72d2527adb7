"""Finds jobs whose worker died (re-queued or failed) and jobs whose message was lost."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import structlog

from vantage.core.db import Database, utcnow
from vantage.core.jobs import repository
from vantage.core.jobs.broker import Dispatcher
from vantage.core.jobs.models import JobStatus
from vantage.core.jobs.publisher import Publisher, publish_safely
from vantage.core.jobs.repository import JobRef
from vantage.core.lease.runner import Clock

REAP_BATCH = 200

logger = structlog.get_logger("vantage.jobs")


@dataclass
class ReapReport:
    cancelled: list[JobRef] = field(default_factory=list)
    requeued: list[JobRef] = field(default_factory=list)
    failed: list[JobRef] = field(default_factory=list)
    resent: list[JobRef] = field(default_factory=list)


class Reaper:
    """One sweep: a running job without heartbeat for ``stale_seconds`` lost its worker.

    Each change is a conditional UPDATE ... RETURNING, so two reapers racing never handle the
    same row twice; a job never stays ``running`` without a live worker.
    """

    def __init__(
        self,
        database: Database,
        dispatcher: Dispatcher,
        publisher: Publisher,
        stale_seconds: float,
        clock: Clock = utcnow,
    ) -> None:
        self.database = database
        self.dispatcher = dispatcher
        self.publisher = publisher
        self.stale = timedelta(seconds=stale_seconds)
        self.clock = clock

    async def sweep(self) -> ReapReport:
        """Reap once; returns what changed."""
        now = self.clock()
        cutoff = now - self.stale
        report = ReapReport()
        async with self.database.transaction() as session:
            report.cancelled = await repository.cancel_abandoned(session, cutoff, now, REAP_BATCH)
            report.requeued = await repository.requeue_stale(session, cutoff, now, REAP_BATCH)
            report.failed = await repository.fail_stale(session, cutoff, now, REAP_BATCH)
            # Jobs queued longer than the stale window were probably never delivered (the broker
            # was down at commit, or the process holding the in-memory queue stopped).
            report.resent = await repository.redispatch_queued(session, cutoff, now, REAP_BATCH)
            to_send = [job_id for job_id, _ in report.requeued + report.resent]
            self.dispatcher.send_after_commit(session, to_send)
        await self._announce(report)
        return report

    async def _announce(self, report: ReapReport) -> None:
        changes = [
            (report.cancelled, JobStatus.CANCELLED),
            (report.requeued, JobStatus.QUEUED),
            (report.failed, JobStatus.FAILED),
        ]
        for refs, status in changes:
            for job_id, tenant_id in refs:
                logger.warning("job of a lost worker reaped", job_id=job_id, status=status.value)
                await publish_safely(self.publisher, tenant_id, job_id, {"status": status.value})
        if report.resent:
            logger.info("queued jobs sent again", count=len(report.resent))
