"""The message broker that carries job ids to workers: in-process, or Redis Streams."""

from __future__ import annotations

import asyncio
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
# Sending happens after a request's commit: an unreachable broker must not hold the response.
# A job whose message was lost is sent again by the reaper.
SEND_TIMEOUT_SECONDS = 2.0
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")

logger = structlog.get_logger("vantage.jobs")


class BrokerConfigurationError(RuntimeError):
    """``VANTAGE_BROKER_URL`` names a broker this installation cannot use."""


def create_broker(settings: Settings) -> AsyncBroker:
    """The in-process broker by default; Redis Streams when ``VANTAGE_BROKER_URL`` is set."""
    if not settings.broker_url:
        return InMemoryBroker()
    if not settings.broker_url.startswith(REDIS_SCHEMES):
        raise BrokerConfigurationError(
            "VANTAGE_BROKER_URL must be a Redis URL (redis://, rediss:// or unix://)"
        )
    try:
        from taskiq_redis import RedisStreamBroker  # optional dependency: the ``redis`` extra
    except ImportError as error:
        raise BrokerConfigurationError(
            "VANTAGE_BROKER_URL needs the redis extra: pip install 'vantage[redis]'"
        ) from error

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
        # One message per read: a busy or dying worker should not hoard messages others could run.
        xread_count=1,
        # Longer than the blocking read above, short enough that an outage surfaces quickly.
        socket_timeout=5.0,
        socket_connect_timeout=2.0,
    )


class Dispatcher:
    """Sends job ids to the broker; the jobs table, not the message, says what to run."""

    def __init__(self, broker: AsyncBroker) -> None:
        self.broker = broker
        self._sending: set[asyncio.Task[None]] = set()

    async def send(self, job_ids: Iterable[str]) -> None:
        """Send now. A failed send is logged: the reaper re-sends jobs left queued too long."""
        pending = list(job_ids)
        try:
            async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
                while pending:
                    await AsyncKicker[[str], None](RUN_JOB_TASK, self.broker, {}).kiq(pending[0])
                    pending.pop(0)
        except Exception:
            logger.warning("jobs not sent to the broker", job_ids=pending, exc_info=True)

    async def drain(self) -> None:
        """Wait for the sends still going on in the background."""
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)

    def send_after_commit(
        self, session: AsyncSession, job_ids: Iterable[str], *, wait: bool = True
    ) -> None:
        """Send once the transaction of ``session`` commits; nothing if it rolls back.

        ``wait=False``: the commit does not wait for the send (it goes on in a task).
        """
        pending = list(job_ids)
        if not pending:
            return

        async def send_pending() -> None:
            if wait:
                await self.send(pending)
                return
            task = asyncio.create_task(self.send(pending), name="job-send")
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

        after_commit(session, send_pending)
