"""The typed application context: what the core gives every pack, and each pack's runtime.

Packs never read ``app.state`` by attribute name: their lifespan receives a ``PackContext``
whose ``core`` is this ``CoreServices``, and request handlers reach their own runtime through
``PackRuntimes.get`` with the runtime's class, which checks the type and answers 503 while the
pack is not started.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends
from starlette.requests import HTTPConnection

from vantage.core.errors import Unavailable

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from redis.asyncio import Redis

    from vantage.config import Settings
    from vantage.core.cache import CachedResponses
    from vantage.core.db import Database
    from vantage.core.early_answers import EarlyAnswers
    from vantage.core.http_guard import BodyLimits
    from vantage.core.jobs.runtime import JobRuntime
    from vantage.core.pagination import CursorCodec
    from vantage.core.ratelimit import RateLimiter
    from vantage.core.realtime.hub import Hub
    from vantage.core.suppressed import SuppressedErrors

RuntimeT = TypeVar("RuntimeT")


@dataclass
class PackRuntimes:
    """Each started pack's runtime object, by pack name."""

    _by_pack: dict[str, Any] = field(default_factory=dict)

    def set(self, pack: str, runtime: object) -> None:
        """Publish ``pack``'s runtime for its handlers (called from the pack's lifespan)."""
        self._by_pack[pack] = runtime

    def remove(self, pack: str) -> None:
        """Withdraw ``pack``'s runtime (its lifespan is ending)."""
        self._by_pack.pop(pack, None)

    def get(self, pack: str, kind: type[RuntimeT]) -> RuntimeT:
        """``pack``'s runtime; 503 while the pack is not running."""
        runtime = self._by_pack.get(pack)
        if not isinstance(runtime, kind):
            raise Unavailable(f"the {pack} pack is not running")
        return runtime

    def find(self, pack: str, kind: type[RuntimeT]) -> RuntimeT | None:
        """``pack``'s runtime, or None when it is not running (optional integrations)."""
        runtime = self._by_pack.get(pack)
        return runtime if isinstance(runtime, kind) else None


@dataclass
class CoreServices:
    """Everything the core runs for the life of one application, shared with every pack."""

    settings: Settings
    database: Database
    redis: Redis | None
    metrics_registry: CollectorRegistry
    suppressed_errors: SuppressedErrors
    hub: Hub
    response_cache: CachedResponses
    cursor_codec: CursorCodec
    rate_limiter: RateLimiter
    early_answers: EarlyAnswers
    body_limits: BodyLimits
    jobs: JobRuntime
    runtimes: PackRuntimes = field(default_factory=PackRuntimes)


def core_of(connection: HTTPConnection) -> CoreServices:
    """The core services of the application serving ``connection``."""
    core: CoreServices = connection.app.state.core
    return core


# ``async`` without awaiting: FastAPI would run a plain function in a worker thread.
async def _core_dependency(connection: HTTPConnection) -> CoreServices:
    return core_of(connection)


Core = Annotated[CoreServices, Depends(_core_dependency)]
