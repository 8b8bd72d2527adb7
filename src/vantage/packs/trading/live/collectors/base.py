"""The interface every collector implements: start, stop, readiness, status, statistics.

Each call into a collector goes through ``guarded``: its circuit breaker decides whether the
collector is called at all, failures are counted (and logged once per opening), and the caller
gets a fallback instead of an exception, so one broken collector leaves the snapshot loop and
the other collectors running at their rate.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar, Literal, TypeVar

import structlog
from pydantic import BaseModel

from vantage.packs.trading.live.collectors.breaker import BreakerStatus, CircuitBreaker

logger = structlog.get_logger("vantage.trading.collectors")

T = TypeVar("T")
CollectorRunState = Literal["running", "isolated", "stopped"]


class CollectorStatistics(BaseModel):
    calls: int
    errors: int
    skipped: int = 0
    last_error: str | None
    last_error_at: datetime | None


class CollectorStatus(BaseModel):
    """One collector as ``system/components`` reports it."""

    name: str
    status: CollectorRunState
    ready: bool
    breaker: BreakerStatus
    statistics: CollectorStatistics


class Collector:
    """Base of the market, strategy, execution and system collectors."""

    name: ClassVar[str] = "collector"

    def __init__(self, breaker: CircuitBreaker | None = None) -> None:
        self.breaker = breaker or CircuitBreaker()
        self.running = False
        self.calls = 0
        self.errors = 0
        self.skipped = 0
        self.last_error: str | None = None
        self.last_error_at: datetime | None = None

    def start(self) -> None:
        """Begin taking batches and answering snapshots."""
        self.running = True

    def stop(self) -> None:
        """Stop: a stopped collector is no longer called."""
        self.running = False

    def is_ready(self) -> bool:
        """Running, and not isolated by its breaker."""
        return self.running and self.breaker.state.value != "open"

    def status(self) -> CollectorRunState:
        """``running``, ``isolated`` (breaker open) or ``stopped``."""
        if not self.running:
            return "stopped"
        return "running" if self.breaker.state.value != "open" else "isolated"

    def statistics(self) -> CollectorStatistics:
        """Calls, errors (with the latest one) and calls skipped while isolated."""
        return CollectorStatistics(
            calls=self.calls,
            errors=self.errors,
            skipped=self.skipped,
            last_error=self.last_error,
            last_error_at=self.last_error_at,
        )

    def report(self) -> CollectorStatus:
        """Everything ``system/components`` shows of this collector."""
        return CollectorStatus(
            name=self.name,
            status=self.status(),
            ready=self.is_ready(),
            breaker=self.breaker.status(),
            statistics=self.statistics(),
        )

    def guarded(self, call: Callable[[], T], fallback: Callable[[], T]) -> T:
        """``call()`` through the breaker; ``fallback()`` when it is skipped or raises."""
        if not self.running or not self.breaker.allows():
            self.skipped += 1
            return fallback()
        self.calls += 1
        try:
            result = call()
        except Exception as error:
            self._failed(error)
            return fallback()
        self.breaker.succeeded()
        return result

    def _failed(self, error: Exception) -> None:
        self.errors += 1
        self.last_error = f"{type(error).__name__}: {error}"[:500]
        self.last_error_at = datetime.now(UTC)
        was_open = self.breaker.opened
        self.breaker.failed()
        if self.breaker.opened != was_open:
            logger.error("trading collector isolated", collector=self.name, error=self.last_error)
