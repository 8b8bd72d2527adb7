"""Everything the gateway holds for the life of one application (on ``app.state.gateway``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

from vantage.core.db import Database
from vantage.core.errors import Unavailable
from vantage.packs.gateway.config_file import GatewayConfig
from vantage.packs.gateway.pricing import PricingTable
from vantage.packs.gateway.providers.registry import ProviderRegistry
from vantage.packs.gateway.services.attempts import Caller
from vantage.packs.gateway.services.budgets import BudgetGuard
from vantage.packs.gateway.services.identity import UserHasher
from vantage.packs.gateway.services.limits import GatewayLimiter
from vantage.packs.gateway.services.routing import Router
from vantage.packs.gateway.services.specialists import SpecialistDirectory
from vantage.packs.gateway.settings import GatewaySettings
from vantage.packs.gateway.tokens import TokenCounter
from vantage.packs.gateway.usage.writer import UsageWriter

if TYPE_CHECKING:
    from vantage.packs.gateway.services.streams import StreamRun


@dataclass
class GatewayRuntime:
    settings: GatewaySettings
    config: GatewayConfig
    database: Database
    registry: ProviderRegistry
    caller: Caller
    router: Router
    pricing: PricingTable
    tokens: TokenCounter
    writer: UsageWriter
    limiter: GatewayLimiter
    budgets: BudgetGuard
    specialists: SpecialistDirectory
    hasher: UserHasher
    streams: set[StreamRun] = field(default_factory=set)
    _interrupter: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    async def interrupt_streams_later(self) -> None:
        """On SIGTERM: streams get the grace period to finish, then their clients are told the
        server is stopping. Returns at once, so the server stops accepting meanwhile."""
        # A second signal during the grace period does not restart it.
        if self._interrupter is None or self._interrupter.done():
            self._interrupter = asyncio.create_task(self._interrupt_after_grace())

    async def _interrupt_after_grace(self) -> None:
        await self._wait_for_producers(self.settings.stream_shutdown_grace_seconds)
        for run in list(self.streams):
            run.interrupt()

    async def wait_for_streams(self, timeout: float) -> None:
        """Let running streams finish (bounded), then stop the rest; each records its usage."""
        if self._interrupter is not None:
            self._interrupter.cancel()  # the server has stopped: no client is left to tell
        pending = await self._wait_for_producers(timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=5)

    async def _wait_for_producers(self, timeout: float) -> set[asyncio.Task[None]]:
        """Wait at most ``timeout`` for the running streams' readers; those still running."""
        tasks = [run.task for run in list(self.streams) if run.task is not None]
        if not tasks:
            return set()
        _, pending = await asyncio.wait(tasks, timeout=max(timeout, 0.01))
        return pending


async def runtime_of(connection: HTTPConnection) -> GatewayRuntime:
    """The gateway of the running application; 503 while it is not started.

    ``async`` without awaiting: FastAPI would run a plain function in a worker thread.
    """
    runtime: GatewayRuntime | None = getattr(connection.app.state, "gateway", None)
    if runtime is None:
        raise Unavailable("the gateway is not running")
    return runtime
