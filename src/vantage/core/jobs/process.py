"""``vantage worker``: a process that runs jobs until SIGTERM / SIGINT."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence

import structlog

from vantage.config import Settings
from vantage.core.db import Database
from vantage.core.jobs.runtime import JobRuntime
from vantage.core.packs import Pack

logger = structlog.get_logger("vantage.jobs")


async def run_worker(settings: Settings, packs: Sequence[Pack]) -> None:
    """Run jobs from the broker until the process is asked to stop, then drain gracefully."""
    for pack in packs:
        pack.import_models()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    database = Database(settings)
    try:
        runtime = JobRuntime(settings, database, packs)
        async with runtime.running("worker"):
            logger.info("worker ready", worker_id=runtime.worker_id, queue=settings.job_queue)
            await stop.wait()
            logger.info("worker stopping", worker_id=runtime.worker_id)
    finally:
        await database.dispose()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    logger.info("worker stopped")
