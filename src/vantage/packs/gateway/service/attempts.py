"""Calling upstreams: retries with backoff on 429/5xx/timeouts, then fallback to the next model.

A stream is "open" once its first event arrived; only an unopened stream is retried or moved to
a fallback, so a client never receives the start of one answer and the rest of another.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncGenerator
from dataclasses import dataclass, replace

from vantage.core.suppressed import SuppressedErrors
from vantage.packs.gateway.providers.base import (
    ChatProvider,
    Completion,
    ProviderError,
    ProviderRequest,
    StreamEvent,
)
from vantage.packs.gateway.providers.registry import ProviderRegistry


@dataclass(frozen=True)
class Target:
    """One upstream model: ``provider/model``."""

    provider: str
    model: str

    @property
    def route(self) -> str:
        return f"{self.provider}/{self.model}"


@dataclass(frozen=True)
class Backoff:
    base: float
    cap: float

    def delay(self, retry: int, hint: float | None) -> float | None:
        """Seconds before retry number ``retry`` (0-based); None: do not wait that long."""
        if hint is not None:
            return hint if hint <= self.cap else None
        ceiling = min(self.cap, self.base * float(2**retry))
        return float(ceiling * (0.5 + random.random() / 2))  # noqa: S311 - jitter, not security


class AttemptsFailed(Exception):
    """Every target failed; ``last`` is the error of the last attempt."""

    def __init__(self, last: ProviderError, attempts: int) -> None:
        super().__init__(last.message)
        self.last = last
        self.attempts = attempts


@dataclass
class OpenedStream:
    target: Target
    provider: ChatProvider
    events: AsyncGenerator[StreamEvent, None]
    first: StreamEvent | None
    attempts: int


def order_targets(targets: list[Target], registry: ProviderRegistry) -> list[Target]:
    """Healthy providers first, in configured order; unhealthy ones stay as a last resort."""
    healthy = [t for t in targets if registry.is_healthy(t.provider)]
    return healthy + [t for t in targets if t not in healthy]


class Caller:
    """Runs one request across its targets."""

    def __init__(
        self, registry: ProviderRegistry, backoff: Backoff, errors: SuppressedErrors
    ) -> None:
        self.registry = registry
        self.backoff = backoff
        self.errors = errors

    async def complete(
        self, targets: list[Target], request: ProviderRequest
    ) -> tuple[Target, Completion, int]:
        """The first successful completion; ``AttemptsFailed`` when none succeeds."""
        caller = _Run(self)
        async with contextlib.aclosing(caller.tries(targets)) as tries:
            async for target, provider, attempts in tries:
                try:
                    async with asyncio.timeout(provider.read_timeout + provider.connect_timeout):
                        completion = await provider.complete(replace(request, model=target.model))
                except (ProviderError, TimeoutError) as error:
                    caller.failed(target, _as_provider_error(error))
                    continue
                self.registry.record_success(target.provider)
                return target, completion, attempts
        raise caller.exhausted()

    async def open_stream(self, targets: list[Target], request: ProviderRequest) -> OpenedStream:
        """A stream whose first event arrived; ``AttemptsFailed`` when none opens."""
        caller = _Run(self)
        async with contextlib.aclosing(caller.tries(targets)) as tries:
            async for target, provider, attempts in tries:
                opened = await self._open_one(caller, target, provider, attempts, request)
                if opened is not None:
                    return opened
        raise caller.exhausted()

    async def _open_one(
        self,
        caller: _Run,
        target: Target,
        provider: ChatProvider,
        attempts: int,
        request: ProviderRequest,
    ) -> OpenedStream | None:
        """One try: the stream with its first event, or None after recording the failure."""
        events = provider.stream(replace(request, model=target.model))
        try:
            async with asyncio.timeout(provider.read_timeout + provider.connect_timeout):
                first: StreamEvent | None = await anext(events)
        except StopAsyncIteration:
            first = None
        except (ProviderError, TimeoutError) as error:
            await self._close_unopened(events, target)
            caller.failed(target, _as_provider_error(error))
            return None
        except BaseException:
            await self._close_unopened(events, target)
            raise
        self.registry.record_success(target.provider)
        return OpenedStream(target, provider, events, first, attempts)

    async def _close_unopened(
        self, events: AsyncGenerator[StreamEvent, None], target: Target
    ) -> None:
        """Close a stream that failed before its first event; a failure to close is recorded."""
        with self.errors.passing_over(
            "gateway.attempts.close_unopened_stream",
            "unopened stream not closed",
            route=target.route,
        ):
            await events.aclose()


def _as_provider_error(error: Exception) -> ProviderError:
    if isinstance(error, ProviderError):
        return error
    return ProviderError("timeout", "the upstream did not answer in time")


class _Run:
    """The retry/fallback state of one request."""

    def __init__(self, caller: Caller) -> None:
        self._caller = caller
        self.last: ProviderError | None = None
        self.attempts = 0

    def failed(self, target: Target, error: ProviderError) -> None:
        self.last = error
        self._caller.registry.record_failure(target.provider, error)

    def exhausted(self) -> AttemptsFailed:
        last = self.last or ProviderError("connection", "no configured provider can serve this")
        return AttemptsFailed(last, self.attempts)

    async def tries(
        self, targets: list[Target]
    ) -> AsyncGenerator[tuple[Target, ChatProvider, int], None]:
        registry = self._caller.registry
        for target in order_targets(targets, registry):
            provider = registry.get(target.provider)
            if provider is None:
                continue
            for retry in range(provider.max_retries + 1):
                self.last = None
                self.attempts += 1
                yield target, provider, self.attempts
                if self.last is None or not self.last.retryable or retry == provider.max_retries:
                    break
                delay = self._caller.backoff.delay(retry, self.last.retry_after)
                if delay is None:
                    break
                await asyncio.sleep(delay)
            if self.last is not None and not self.last.allows_fallback:
                return
