"""What a job handler receives: progress, log lines, and the process's database and settings."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import structlog

from vantage.core.jobs.models import LOG_TAIL_LINES, MESSAGE_MAX_LENGTH

if TYPE_CHECKING:
    from vantage.config import Settings
    from vantage.core.db import Database
    from vantage.core.jobs.service import JobService

# Progress is cheap to report and costly to write: at most one write per interval (and the final
# one), the heartbeat flushes whatever is left.
PROGRESS_WRITE_INTERVAL = 0.5
LOG_LINE_MAX_LENGTH = 1000

Persist = Callable[[dict[str, Any]], Awaitable[None]]

logger = structlog.get_logger("vantage.jobs")


class RetryableJobError(Exception):
    """Raised by a handler for a transient failure: the job runs again while attempts remain."""


class RejectedInput(Exception):
    """Raised by a handler when what the job was given is at fault (a bad row in an uploaded
    file): the job fails with this message alone, which is meant for the person who gave it,
    and the server logs it as an ordinary event rather than an error with a traceback."""


class JobContext:
    """One attempt of one job, as its handler sees it.

    ``await ctx.progress(done, total)`` never lets ``done`` go back, estimates the time left
    from the rate observed so far, and is written to the database and published to
    ``jobs:<id>``. When the job is cancelled the handler's current ``await`` raises
    ``asyncio.CancelledError``: let it propagate (clean up in ``finally``).
    """

    def __init__(
        self,
        *,
        job_id: str,
        tenant_id: int,
        kind: str,
        attempt: int,
        max_attempts: int,
        database: Database,
        settings: Settings,
        jobs: JobService,
        persist: Persist,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.job_id = job_id
        self.tenant_id = tenant_id
        self.kind = kind
        self.attempt = attempt
        self.max_attempts = max_attempts
        self.database = database
        self.settings = settings
        self.jobs = jobs
        self._persist = persist
        self._clock = clock
        self._started = clock()
        self._last_write = float("-inf")
        self._done = 0
        self._total: int | None = None
        self._eta: float | None = None
        self._message: str | None = None
        self._log: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        self._dirty = False
        self._write_lock = asyncio.Lock()

    @property
    def done(self) -> int:
        return self._done

    @property
    def total(self) -> int | None:
        return self._total

    async def progress(
        self, done: int, total: int | None = None, message: str | None = None
    ) -> None:
        """Report ``done`` of ``total`` steps (``done`` never decreases) and an optional message."""
        if done < 0 or (total is not None and total < 0):
            raise ValueError("progress counts cannot be negative")
        self._done = max(self._done, done)
        if total is not None:
            self._total = total
        if message is not None:
            self._message = message[:MESSAGE_MAX_LENGTH]
        self._eta = self._estimate_eta()
        self._dirty = True
        finished = self._total is not None and self._done >= self._total
        if finished or self._clock() - self._last_write >= PROGRESS_WRITE_INTERVAL:
            await self.flush()

    def log(self, line: str) -> None:
        """Append a line to the job's log tail (the last 50 lines are kept)."""
        for piece in str(line).splitlines() or [""]:
            self._log.append(piece[:LOG_LINE_MAX_LENGTH])
        self._dirty = True

    def _estimate_eta(self) -> float | None:
        if self._total is None or self._done <= 0:
            return None
        elapsed = self._clock() - self._started
        remaining = max(self._total - self._done, 0)
        if remaining == 0:
            return 0.0
        rate = self._done / elapsed if elapsed > 0 else 0.0
        return round(remaining / rate, 1) if rate > 0 else None

    def snapshot(self) -> dict[str, Any]:
        """The progress columns as they stand."""
        return {
            "progress_done": self._done,
            "progress_total": self._total,
            "eta_seconds": self._eta,
            "message": self._message,
            "log_tail": list(self._log),
        }

    async def flush(self) -> None:
        """Write pending progress and log lines now."""
        # One write at a time, each with the newest values: the stored count never goes back.
        async with self._write_lock:
            if not self._dirty:
                return
            self._dirty = False
            self._last_write = self._clock()
            try:
                await self._persist(self.snapshot())
            except Exception:
                # Progress is best effort: a failed write is retried with the next one rather
                # than failing the job's real work.
                self._dirty = True
                logger.warning("job progress not saved", job_id=self.job_id, exc_info=True)
