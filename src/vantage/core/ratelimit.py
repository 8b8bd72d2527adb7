"""Per-group rate limits on a moving window, exact across processes when Redis is configured.

Routers opt in with ``dependencies=[Depends(rate_limit("group"))]``; the group's policy comes from
settings (``VANTAGE_RATE_LIMITS`` or the default). Callers are told where they stand in the
``RateLimit-Policy`` / ``RateLimit`` (IETF draft) and ``X-RateLimit-*`` response headers.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import structlog
from fastapi import Request
from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from prometheus_client import CollectorRegistry, Counter
from starlette.requests import HTTPConnection

from vantage.config import Settings
from vantage.core.auth.dependencies import OptionalPrincipal
from vantage.core.auth.principal import Principal
from vantage.core.client_address import client_ip
from vantage.core.context import core_of
from vantage.core.errors import RateLimited, Unavailable
from vantage.core.limit_storage import REDIS_LIMIT_TIMEOUT_SECONDS, create_limit_storage

DEFAULT_GROUP = "default"
TOKENS_GROUP = "auth.tokens"
# Groups whose policy is not the default unless VANTAGE_RATE_LIMITS says otherwise: token
# endpoints answer anyone who sends a body, so guessing there is throttled per client address.
BUILT_IN_POLICIES = {TOKENS_GROUP: "60/minute"}
STATE_DECISIONS = "rate_limit_decisions"
OUTAGE_WARNING_INTERVAL_SECONDS = 30.0
UNAVAILABLE_RETRY_AFTER_SECONDS = 1
# The storage's own connect, read and pool-wait timeouts (0.5 s each) detect a down or hung
# Redis. This deadline is only a backstop for whatever they do not cover (a hung DNS lookup):
# set as tight as they are, it would also fire on a busy event loop and fail requests open.
CHECK_DEADLINE_SECONDS = 4 * REDIS_LIMIT_TIMEOUT_SECONDS
# Cross-origin scripts may read only the response headers CORS exposes.
EXPOSED_RATE_LIMIT_HEADERS = (
    "RateLimit",
    "RateLimit-Policy",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
)

logger = structlog.get_logger("vantage.ratelimit")


@dataclass(frozen=True)
class Policy:
    """One group's budget: ``quota`` requests in any ``window_seconds``."""

    group: str
    item: RateLimitItem

    @property
    def quota(self) -> int:
        return self.item.amount

    @property
    def window_seconds(self) -> int:
        return int(self.item.get_expiry())


class Policies:
    """The policy of every group: its own from ``VANTAGE_RATE_LIMITS``, else the default."""

    def __init__(self, default: str, per_group: Mapping[str, str] | None = None) -> None:
        self._default = parse(default)
        self._per_group = {group: parse(limit) for group, limit in (per_group or {}).items()}

    def for_group(self, group: str) -> Policy:
        return Policy(group, self._per_group.get(group, self._default))


@dataclass(frozen=True)
class Decision:
    """The outcome of one check; ``remaining`` and ``reset_seconds`` are None when unknown."""

    policy: Policy
    allowed: bool
    remaining: int | None = None
    reset_seconds: int | None = None

    @property
    def retry_after(self) -> int:
        """Whole seconds until a request would be admitted (never 0)."""
        return max(1, self.reset_seconds or 1)


def decision_headers(decisions: list[Decision]) -> dict[str, str]:
    """Response headers for the checks made on one request (every policy; X-* for the tightest)."""
    if not decisions:
        return {}
    policies = ", ".join(
        f'"{d.policy.group}";q={d.policy.quota};w={d.policy.window_seconds}' for d in decisions
    )
    headers = {"RateLimit-Policy": policies, "X-RateLimit-Limit": str(decisions[0].policy.quota)}
    known = [d for d in decisions if d.remaining is not None and d.reset_seconds is not None]
    if not known:
        return headers
    states = ", ".join(f'"{d.policy.group}";r={d.remaining};t={d.reset_seconds}' for d in known)
    tightest = min(known, key=lambda d: (d.allowed, d.remaining))
    headers.update(
        {
            "RateLimit": states,
            "X-RateLimit-Limit": str(tightest.policy.quota),
            "X-RateLimit-Remaining": str(tightest.remaining),
            "X-RateLimit-Reset": str(tightest.reset_seconds),
        }
    )
    return headers


class RateLimiter:
    """Checks and counts requests against group policies on a shared `limits` storage."""

    def __init__(
        self,
        storage: Storage,
        policies: Policies,
        registry: CollectorRegistry,
        *,
        key_prefix: str,
        fail_open: bool = True,
        deadline_seconds: float = CHECK_DEADLINE_SECONDS,
    ) -> None:
        self.storage = storage
        self.policies = policies
        self.key_prefix = key_prefix
        self.fail_open = fail_open
        self._deadline = deadline_seconds
        self._strategy = MovingWindowRateLimiter(storage)
        base = storage.base_exceptions
        self._storage_failures: tuple[type[BaseException], ...] = (
            TimeoutError,
            OSError,
            StorageError,
            *(base if isinstance(base, tuple) else (base,)),
        )
        self._last_outage_warning = -math.inf
        self.limited = Counter(
            "vantage_rate_limited_requests",
            "Requests refused with 429 by rate-limit group",
            ["group"],
            registry=registry,
        )
        self.storage_errors = Counter(
            "vantage_rate_limit_storage_errors",
            "Rate-limit checks that could not reach the limit storage, by group",
            ["group"],
            registry=registry,
        )

    @classmethod
    def from_settings(cls, settings: Settings, registry: CollectorRegistry) -> RateLimiter:
        """The limiter of one application, on the storage the settings name."""
        return cls(
            create_limit_storage(settings),
            Policies(settings.rate_limit_default, {**BUILT_IN_POLICIES, **settings.rate_limits}),
            registry,
            key_prefix=settings.rate_limit_key_prefix,
            fail_open=settings.rate_limit_fail_open,
        )

    async def check(self, group: str, identity: str) -> Decision:
        """Count one request of ``identity`` in ``group``; refused requests are not counted."""
        policy = self.policies.for_group(group)
        key = (self.key_prefix, group, identity)
        try:
            async with asyncio.timeout(self._deadline):
                allowed = await self._strategy.hit(policy.item, *key)
                stats = await self._strategy.get_window_stats(policy.item, *key)
        except self._storage_failures as error:
            return self._storage_failed(policy, error)
        reset_seconds = max(1, math.ceil(stats.reset_time - time.time()))
        if not allowed:
            self.limited.labels(group).inc()
        return Decision(policy, allowed, max(0, stats.remaining), reset_seconds)

    async def aclose(self) -> None:
        """Close the storage's Redis connections (the memory storage holds none)."""
        # `limits` exposes no close(); its Redis storages keep their client on a bridge.
        bridge = getattr(self.storage, "bridge", None)
        if bridge is not None:
            client = bridge.get_connection()
            await client.aclose()
            await client.connection_pool.disconnect()

    def _storage_failed(self, policy: Policy, error: BaseException) -> Decision:
        self.storage_errors.labels(policy.group).inc()
        now = time.monotonic()
        # During an outage every request fails the same way: one warning per interval is enough.
        if now - self._last_outage_warning >= OUTAGE_WARNING_INTERVAL_SECONDS:
            self._last_outage_warning = now
            logger.warning(
                "rate-limit storage unavailable",
                group=policy.group,
                fail_open=self.fail_open,
                error=f"{type(error).__name__}: {error}"[:300],
            )
        return Decision(policy, allowed=self.fail_open)


def principal_identity(principal: Principal) -> str:
    return f"{principal.kind}:{principal.tenant_id}:{principal.subject_id}"


def identity_of(request: HTTPConnection) -> str:
    """Whose budget a request spends: the authenticated principal's, else the client address's."""
    principal = getattr(request.state, "principal", None)
    if principal is not None:
        return principal_identity(principal)
    return f"ip:{client_ip(request)}"


def rate_limit_headers(request: Request) -> dict[str, str]:
    """The rate-limit headers of this request so far (for responses built by hand, e.g. SSE)."""
    return decision_headers(list(getattr(request.state, STATE_DECISIONS, [])))


def rate_limit(group: str = DEFAULT_GROUP) -> Callable[..., Awaitable[None]]:
    """A FastAPI dependency that spends one request of ``group``'s budget or answers 429.

    It resolves the caller first (FastAPI shares that result with the route's own auth
    dependency), so a principal spends its own budget and anonymous callers their address's.
    """

    async def enforce_rate_limit(request: Request, _caller: OptionalPrincipal) -> None:
        await spend(request, group)

    enforce_rate_limit.rate_limit_group = group  # type: ignore[attr-defined]
    return enforce_rate_limit


async def spend(request: HTTPConnection, group: str, identity: str | None = None) -> None:
    """Spend one request of ``group`` for ``identity`` (default: the caller), or raise 429."""
    core = core_of(request)
    if not core.settings.rate_limit_enabled:
        return
    decision = await core.rate_limiter.check(group, identity or identity_of(request))
    decisions: list[Decision] = getattr(request.state, STATE_DECISIONS, [])
    decisions.append(decision)
    setattr(request.state, STATE_DECISIONS, decisions)
    headers = decision_headers(decisions)
    if decision.allowed:
        return
    if decision.remaining is None:
        raise Unavailable(
            "Rate limits cannot be checked right now; retry shortly.",
            headers={**headers, "Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)},
        )
    raise RateLimited(
        f"Rate limit of {decision.policy.quota} requests per "
        f"{decision.policy.window_seconds} s exceeded for {group!r}; "
        f"retry in {decision.retry_after} s.",
        headers={**headers, "Retry-After": str(decision.retry_after)},
    )
