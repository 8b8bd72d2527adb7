"""Requests per minute and tokens per minute, per user and per API key, on the core limiter.

The counters live in the core limiter's storage (process memory, or Redis with atomic Lua when
``VANTAGE_REDIS_URL`` is set, so every worker and host shares one count), under its key prefix;
decisions are the core's ``Decision`` objects, rendered by its ``decision_headers``, counted in
its metrics, and follow its ``VANTAGE_RATE_LIMIT_ENABLED`` / ``..._FAIL_OPEN`` settings. What the
gateway adds: a quota per principal kind, and tokens, which are known only after the call: they
are checked before it (is there room for the estimated prompt?) and charged after it with the
real count on a sliding-window counter; a request that runs past the budget saturates it, so the
next ones wait until the window slides.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable

import structlog
from limits import RateLimitItem, RateLimitItemPerMinute, WindowStats
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter, SlidingWindowCounterRateLimiter

from vantage.core.auth.principal import Principal
from vantage.core.errors import RateLimited, Unavailable
from vantage.core.limit_storage import LocalStorage
from vantage.core.ratelimit import (
    CHECK_DEADLINE_SECONDS,
    UNAVAILABLE_RETRY_AFTER_SECONDS,
    Decision,
    Policy,
    RateLimiter,
    decision_headers,
    principal_identity,
)
from vantage.packs.gateway.settings import GatewaySettings

logger = structlog.get_logger("vantage.gateway.limits")
OUTAGE_WARNING_INTERVAL_SECONDS = 30.0
REQUESTS_GROUP = "gateway.requests"
TOKENS_GROUP = "gateway.tokens"


def limit_headers(decisions: list[Decision]) -> dict[str, str]:
    """The core's rate-limit headers for these decisions."""
    return decision_headers(decisions)


class GatewayLimiter:
    """Admits requests and charges tokens for principals."""

    def __init__(
        self,
        core: RateLimiter,
        settings: GatewaySettings,
        *,
        enabled: bool = True,
        fail_open: bool = True,
    ) -> None:
        self._core = core
        self._prefix = f"{core.key_prefix}:gateway"
        self._enabled = enabled
        self._fail_open = fail_open
        self._requests = MovingWindowRateLimiter(core.storage)
        self._tokens = SlidingWindowCounterRateLimiter(core.storage)
        self._last_warning = -math.inf
        self._local = isinstance(core.storage, LocalStorage)
        self._items: dict[str, tuple[RateLimitItem | None, RateLimitItem | None]] = {
            "user": (
                _per_minute(settings.user_requests_per_minute),
                _per_minute(settings.user_tokens_per_minute),
            ),
            "api_key": (
                _per_minute(settings.api_key_requests_per_minute),
                _per_minute(settings.api_key_tokens_per_minute),
            ),
        }

    @property
    def storage(self) -> Storage:
        return self._core.storage

    def _policies(self, principal: Principal) -> tuple[RateLimitItem | None, RateLimitItem | None]:
        if not self._enabled:
            return None, None
        return self._items.get(principal.kind, (None, None))

    async def admit(self, principal: Principal, estimated_tokens: int) -> list[Decision]:
        """Count one request and check the token budget; 429 (or 503) when refused."""
        requests, tokens = self._policies(principal)
        identity = principal_identity(principal)
        decisions: list[Decision] = []
        if requests is not None:
            allowed = await self._guard(self._requests.hit(requests, self._prefix, identity))
            stats = await self._stats(self._requests, requests, identity)
            decisions.append(_decision(REQUESTS_GROUP, requests, stats, allowed))
        if tokens is not None:
            # One read answers both "is there room for the prompt?" and the headers.
            stats = await self._stats(self._tokens, tokens, identity)
            cost = max(1, min(estimated_tokens, tokens.amount))
            allowed = self._fail_open if stats is None else stats.remaining >= cost
            decisions.append(_decision(TOKENS_GROUP, tokens, stats, allowed))
        refused = [d for d in decisions if not d.allowed]
        if refused:
            self._refuse(decisions, refused)
        return decisions

    def _refuse(self, decisions: list[Decision], refused: list[Decision]) -> None:
        headers = limit_headers(decisions)
        unknown = [d for d in refused if d.remaining is None]
        if unknown:
            raise Unavailable(
                "Rate limits cannot be checked right now; retry shortly.",
                headers={**headers, "Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)},
            )
        worst = max(refused, key=lambda d: d.retry_after)
        for decision in refused:
            self._core.limited.labels(decision.policy.group).inc()
        unit = "tokens" if worst.policy.group == TOKENS_GROUP else "requests"
        raise RateLimited(
            f"Rate limit of {worst.policy.quota} {unit} per {worst.policy.window_seconds} s "
            f"reached; retry in {worst.retry_after} s.",
            headers={**headers, "Retry-After": str(worst.retry_after)},
        )

    async def charge_tokens(self, principal: Principal, used: int) -> None:
        """Book the tokens a finished request used (saturating the window when over)."""
        _, tokens = self._policies(principal)
        if tokens is None or used <= 0:
            return
        identity = principal_identity(principal)
        cost = min(used, tokens.amount)
        if await self._guard(self._tokens.hit(tokens, self._prefix, identity, cost=cost)):
            return
        stats = await self._stats(self._tokens, tokens, identity)
        if stats is not None and stats.remaining > 0:
            await self._guard(
                self._tokens.hit(tokens, self._prefix, identity, cost=stats.remaining)
            )

    async def _guard(self, call: Awaitable[bool]) -> bool:
        """A storage call with the core's deadline; an unreachable storage follows fail-open."""
        try:
            if self._local:  # process memory: no I/O that could hang
                return bool(await call)
            async with asyncio.timeout(CHECK_DEADLINE_SECONDS):
                return bool(await call)
        except Exception as error:
            self._warn(error)
            return self._fail_open

    async def _stats(
        self,
        strategy: MovingWindowRateLimiter | SlidingWindowCounterRateLimiter,
        item: RateLimitItem,
        identity: str,
    ) -> WindowStats | None:
        try:
            if self._local:
                return await strategy.get_window_stats(item, self._prefix, identity)
            async with asyncio.timeout(CHECK_DEADLINE_SECONDS):
                return await strategy.get_window_stats(item, self._prefix, identity)
        except Exception as error:
            self._warn(error)
            return None

    def _warn(self, error: Exception) -> None:
        now = time.monotonic()
        # During an outage every request fails the same way: one warning per interval is enough.
        if now - self._last_warning >= OUTAGE_WARNING_INTERVAL_SECONDS:
            self._last_warning = now
            logger.warning(
                "rate-limit storage unavailable",
                fail_open=self._fail_open,
                error=f"{type(error).__name__}: {error}"[:300],
            )


def _decision(
    group: str, item: RateLimitItem, stats: WindowStats | None, allowed: bool
) -> Decision:
    policy = Policy(group, item)
    if stats is None:  # storage unreachable: numbers unknown
        return Decision(policy, allowed)
    remaining = max(0, int(stats.remaining))
    reset = max(1, math.ceil(stats.reset_time - time.time()))
    return Decision(policy, allowed, remaining, reset)


def _per_minute(amount: int) -> RateLimitItem | None:
    return RateLimitItemPerMinute(amount) if amount > 0 else None
