"""Requests per minute and tokens per minute, per user and per API key, on the shared limiter.

Requests use a moving window (exact: every request counts when admitted). Tokens are known only
after the call, so they are checked before it (is there budget left for the estimated prompt?)
and charged after it with the real count on a sliding-window counter; a request that runs past
the budget saturates it, so the next ones wait until the window slides. The storage is the
core's: process memory by default, Redis (atomic Lua) when ``VANTAGE_REDIS_URL`` is set, so
every worker and host shares one count.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass

import structlog
from limits import RateLimitItem, RateLimitItemPerMinute, WindowStats
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter, SlidingWindowCounterRateLimiter

from vantage.core.auth.principal import Principal
from vantage.core.errors import RateLimited
from vantage.packs.gateway.settings import GatewaySettings

logger = structlog.get_logger("vantage.gateway.limits")
STORAGE_TIMEOUT_SECONDS = 0.5
OUTAGE_WARNING_INTERVAL_SECONDS = 30.0


@dataclass(frozen=True)
class LimitState:
    """Where a caller stands against one policy after a check."""

    group: str
    quota: int
    window_seconds: int
    remaining: int
    reset_seconds: int
    allowed: bool


def limit_headers(states: list[LimitState]) -> dict[str, str]:
    """``RateLimit-Policy`` / ``RateLimit`` (IETF draft) for every policy, X-* for the tightest."""
    if not states:
        return {}
    tightest = min(states, key=lambda s: (s.allowed, s.remaining / max(s.quota, 1)))
    return {
        "RateLimit-Policy": ", ".join(
            f'"{s.group}";q={s.quota};w={s.window_seconds}' for s in states
        ),
        "RateLimit": ", ".join(f'"{s.group}";r={s.remaining};t={s.reset_seconds}' for s in states),
        "X-RateLimit-Limit": str(tightest.quota),
        "X-RateLimit-Remaining": str(tightest.remaining),
        "X-RateLimit-Reset": str(tightest.reset_seconds),
    }


def identity_of(principal: Principal) -> str:
    return f"{principal.kind}:{principal.tenant_id}:{principal.subject_id}"


class GatewayLimiter:
    """Admits requests and charges tokens for principals."""

    def __init__(self, storage: Storage, settings: GatewaySettings) -> None:
        self._prefix = settings.limit_key_prefix
        self._last_warning = -math.inf
        self._requests = MovingWindowRateLimiter(storage)
        self._tokens = SlidingWindowCounterRateLimiter(storage)
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

    def _policies(self, principal: Principal) -> tuple[RateLimitItem | None, RateLimitItem | None]:
        return self._items.get(principal.kind, (None, None))

    async def admit(self, principal: Principal, estimated_tokens: int) -> list[LimitState]:
        """Count one request and check the token budget; ``RateLimited`` (429) when refused."""
        requests, tokens = self._policies(principal)
        identity = identity_of(principal)
        states: list[LimitState] = []
        if requests is not None:
            allowed = await self._guard(self._requests.hit(requests, self._prefix, identity))
            stats = await self._stats(self._requests, requests, identity)
            states.append(_state("requests", requests, stats, allowed))
        if tokens is not None:
            # One read answers both "is there room for the prompt?" and the headers.
            stats = await self._stats(self._tokens, tokens, identity)
            cost = max(1, min(estimated_tokens, tokens.amount))
            allowed = stats is None or stats.remaining >= cost
            states.append(_state("tokens", tokens, stats, allowed))
        refused = [s for s in states if not s.allowed]
        if refused:
            worst = max(refused, key=lambda s: s.reset_seconds)
            raise RateLimited(
                f"Rate limit of {worst.quota} {worst.group} per {worst.window_seconds} s "
                f"reached; retry in {worst.reset_seconds} s.",
                headers={**limit_headers(states), "Retry-After": str(worst.reset_seconds)},
            )
        return states

    async def charge_tokens(self, principal: Principal, used: int) -> None:
        """Book the tokens a finished request used (saturating the window when over)."""
        _, tokens = self._policies(principal)
        if tokens is None or used <= 0:
            return
        identity = identity_of(principal)
        cost = min(used, tokens.amount)
        if await self._guard(self._tokens.hit(tokens, self._prefix, identity, cost=cost)):
            return
        stats = await self._tokens.get_window_stats(tokens, self._prefix, identity)
        if stats.remaining > 0:
            await self._guard(
                self._tokens.hit(tokens, self._prefix, identity, cost=stats.remaining)
            )

    async def _guard(self, call: object) -> bool:
        """Run a storage call with a short timeout; an unreachable storage admits (fail open)."""
        try:
            async with asyncio.timeout(STORAGE_TIMEOUT_SECONDS):
                return bool(await call)  # type: ignore[misc]
        except Exception as error:
            now = time.monotonic()
            if now - self._last_warning >= OUTAGE_WARNING_INTERVAL_SECONDS:
                self._last_warning = now
                logger.warning("rate-limit storage unavailable; admitting", error=str(error)[:200])
            return True

    async def _stats(
        self,
        strategy: MovingWindowRateLimiter | SlidingWindowCounterRateLimiter,
        item: RateLimitItem,
        identity: str,
    ) -> WindowStats | None:
        try:
            async with asyncio.timeout(STORAGE_TIMEOUT_SECONDS):
                return await strategy.get_window_stats(item, self._prefix, identity)
        except Exception:
            return None


def _state(group: str, item: RateLimitItem, stats: WindowStats | None, allowed: bool) -> LimitState:
    window = int(item.get_expiry())
    if stats is None:  # storage unreachable: admitted, numbers unknown
        return LimitState(group, item.amount, window, item.amount, window, allowed)
    remaining = max(0, int(stats.remaining))
    reset = max(1, math.ceil(stats.reset_time - time.time()))
    return LimitState(group, item.amount, window, remaining, reset, allowed)


def _per_minute(amount: int) -> RateLimitItem | None:
    return RateLimitItemPerMinute(amount) if amount > 0 else None
