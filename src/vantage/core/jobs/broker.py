"""The message broker that carries job ids to workers: in-process, or Redis Streams."""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from taskiq import AsyncBroker, InMemoryBroker
from taskiq.kicker import AsyncKicker

from vantage.config import Settings
from vantage.core.db import after_commit

RUN_JOB_TASK = "vantage.jobs.run"
CONSUMER_GROUP = "vantage-workers"
# Acknowledged messages stay in the stream until trimmed; keep a bounded history.
STREAM_MAX_LENGTH = 100_000
# A message a dead consumer fetched is handed to another after this long. The jobs table decides
# whether it still needs running, so a late redelivery is harmless.
REDELIVER_AFTER_MS = 10 * 60 * 1000

logger = structlog.get_logger("vantage.jobs")


def create_broker(settings: Settings) -> AsyncBroker:
    """The in-process broker by default; Redis Streams when ``VANTAGE_BROKER_URL`` is set."""
    if not settings.broker_url:
        return InMemoryBroker()
    from taskiq_redis import RedisStreamBroker  # optional dependency: the ``redis`` extra

    return RedisStreamBroker(
        settings.broker_url,
        queue_name=settings.job_queue,
        consumer_group_name=CONSUMER_GROUP,
        # A new group starts at the beginning of the stream: jobs sent before the first worker
        # ever started are still delivered.
        consumer_id="0",
        maxlen=STREAM_MAX_LENGTH,
        idle_timeout=REDELIVER_AFTER_MS,
        xread_block=1000,
        xread_count=settings.job_worker_concurrency,
    )


class Dispatcher:
    """Sends job ids to the broker; the jobs table, not the message, says what to run."""

    def __init__(self, broker: AsyncBroker) -> None:
        self.broker = broker

    async def send(self, job_ids: Iterable[str]) -> None:
        """Send now. A failed send is logged: the reaper re-sends jobs left queued too long."""
        for job_id in job_ids:
            try:
                await AsyncKicker[[str], None](RUN_JOB_TASK, self.broker, {}).kiq(job_id)
            except Exception:
                logger.warning("job not sent to the broker", job_id=job_id, exc_info=True)

    def send_after_commit(self, session: AsyncSession, job_ids: Iterable[str]) -> None:
        """Send once the transaction of ``session`` commits; nothing if it rolls back."""
        pending = list(job_ids)
        if not pending:
            return

        async def send_pending() -> None:
            await self.send(pending)

        after_commit(session, send_pending)
