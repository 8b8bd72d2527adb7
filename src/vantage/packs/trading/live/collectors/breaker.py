"""A circuit breaker around one collector: a collector that keeps failing is isolated and
retried with exponential backoff, so it never takes the snapshot loop or the others down.

closed -> (``failure_threshold`` failures, none separated by a quiet ``backoff``) -> open ->
(backoff elapsed) -> half-open: the next call is a trial; success closes the breaker, failure
opens it again with twice the backoff (up to ``max_backoff``). A collector is called in several
ways (a batch, a snapshot); a success of one kind between failures of another does not reset
the count, only a success once the collector has been quiet for ``backoff`` does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class BreakerStatus(BaseModel):
    """What ``system/components`` shows of a breaker."""

    state: BreakerState
    failures: int
    consecutive_failures: int
    opened: int
    next_retry_at: datetime | None


class CircuitBreaker:
    """Decides whether a collector is called, and learns from each outcome."""

    def __init__(
        self,
        failure_threshold: int = 3,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._clock = clock
        self.state = BreakerState.CLOSED
        self.failures = 0
        self.consecutive_failures = 0
        self.opened = 0
        self._retry_at: float | None = None
        self._retry_wall: datetime | None = None
        self._last_failure: float | None = None

    def allows(self) -> bool:
        """Whether the collector may be called now (an open breaker turns half-open when due)."""
        if self.state is BreakerState.OPEN:
            if self._retry_at is None or self._clock() < self._retry_at:
                return False
            self.state = BreakerState.HALF_OPEN
        return True

    def succeeded(self) -> None:
        """The call worked: close a half-open breaker; forget failures once quiet."""
        if self.state is BreakerState.CLOSED and not self._quiet():
            return
        self.state = BreakerState.CLOSED
        self.consecutive_failures = 0
        self.opened = 0  # the next isolation starts again from the first backoff
        self._retry_at = None
        self._retry_wall = None

    def _quiet(self) -> bool:
        last = self._last_failure
        return last is None or self._clock() - last >= self.backoff

    def failed(self) -> None:
        """The call raised: count it, and open the breaker when it keeps failing."""
        self._last_failure = self._clock()
        self.failures += 1
        self.consecutive_failures += 1
        trial_failed = self.state is BreakerState.HALF_OPEN
        if trial_failed or self.consecutive_failures >= self.failure_threshold:
            self._open()

    def _open(self) -> None:
        delay = min(self.backoff * 2**self.opened, self.max_backoff)
        self.opened += 1
        self.state = BreakerState.OPEN
        self._retry_at = self._clock() + delay
        self._retry_wall = datetime.now(UTC) + timedelta(seconds=delay)

    def status(self) -> BreakerStatus:
        """The breaker as ``system/components`` reports it."""
        return BreakerStatus(
            state=self.state,
            failures=self.failures,
            consecutive_failures=self.consecutive_failures,
            opened=self.opened,
            next_retry_at=self._retry_wall if self.state is BreakerState.OPEN else None,
        )
