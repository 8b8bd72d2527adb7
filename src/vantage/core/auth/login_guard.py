"""Sign-in guard: moving-window limits per account and per client address, and equal timing.

Every admitted attempt counts, successful or not, before the password is checked. Counting first
keeps the limit exact under concurrency (a burst of parallel guesses cannot slip through while
the first ones are hashing), and a legitimate user rarely signs in more than a few times a minute.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import secrets
import time

import structlog
from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter

from vantage.config import Settings
from vantage.core.auth.service.passwords import PasswordHasher
from vantage.core.errors import RateLimited, Unavailable

logger = structlog.get_logger("vantage.auth")

NAMESPACE = "vantage-login"
STORAGE_RETRY_AFTER_SECONDS = "5"


def account_key(tenant_slug: str, email: str) -> str:
    """A fixed-length key for an account that keeps the email out of the counter store."""
    return hashlib.sha256(f"{tenant_slug}\x00{email.strip().lower()}".encode()).hexdigest()


class LoginGuard:
    """Admits or refuses sign-in attempts; one per application, its counter storage shared."""

    def __init__(self, storage: Storage, settings: Settings) -> None:
        self.storage = storage
        self._limiter = MovingWindowRateLimiter(storage)
        self._per_account = parse_many(settings.login_limit_per_account)
        self._per_ip = parse_many(settings.login_limit_per_ip)
        self._dummy_hash: str | None = None
        self._dummy_lock = asyncio.Lock()

    async def dummy_hash(self, hasher: PasswordHasher) -> str:
        """A real argon2id hash of a random password, verified when no account matches.

        Verifying it costs what verifying a user's hash costs, so the response time does not
        tell whether an email is registered.
        """
        if self._dummy_hash is None:
            async with self._dummy_lock:
                if self._dummy_hash is None:
                    self._dummy_hash = await hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    async def admit(self, *, account: str, client_ip: str) -> None:
        """Count one attempt; ``RateLimited`` (with Retry-After) when a limit is exhausted.

        Refused attempts count nowhere: all limits are tested before any is charged, so an
        address hammering a locked account does not also use up that address's allowance.
        """
        checks = [("ip", client_ip, self._per_ip), ("account", account, self._per_account)]
        try:
            for kind, subject, limits in checks:
                for limit in limits:
                    if not await self._limiter.test(limit, NAMESPACE, kind, subject):
                        raise await self._throttled(limit, kind, subject)
            for kind, subject, limits in checks:
                for limit in limits:
                    # Hitting is atomic: of concurrent attempts that all passed the test, those
                    # beyond the limit are refused here.
                    if not await self._limiter.hit(limit, NAMESPACE, kind, subject):
                        raise await self._throttled(limit, kind, subject)
        except RateLimited:
            raise
        except Exception as error:
            # Without the counters brute force would be unbounded: refuse logins instead.
            logger.warning("login throttle storage unavailable", error=str(error)[:200])
            raise Unavailable(
                "Sign-in is temporarily unavailable; retry shortly.",
                headers={"Retry-After": STORAGE_RETRY_AFTER_SECONDS},
            ) from error

    async def _throttled(self, limit: RateLimitItem, kind: str, subject: str) -> RateLimited:
        retry_after = await self._retry_after(limit, kind, subject)
        return RateLimited(
            "Too many sign-in attempts; wait before trying again.",
            headers={"Retry-After": str(retry_after)},
            extra={"retry_after": retry_after},
        )

    async def _retry_after(self, limit: RateLimitItem, kind: str, subject: str) -> int:
        stats = await self._limiter.get_window_stats(limit, NAMESPACE, kind, subject)
        return max(1, math.ceil(stats.reset_time - time.time()))
