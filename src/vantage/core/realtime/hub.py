"""The realtime hub: packs publish, clients subscribe, the backend carries history and fan-out.

Every channel is stored and fanned out under a key that includes the tenant id, so two tenants
using the same channel name never see each other's messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import structlog

from vantage.core.auth.principal import Principal
from vantage.core.errors import Forbidden, Unauthorized, ValidationFailed
from vantage.core.realtime.backends.base import Backend
from vantage.core.realtime.channels import ChannelRegistry, ChannelSpec
from vantage.core.realtime.clients import (
    CLOSE_GOING_AWAY,
    CLOSE_INTERNAL_ERROR,
    Client,
    Replayed,
    Subscription,
)
from vantage.core.realtime.messages import Message, Position, serialize_data
from vantage.core.realtime.metrics import HubMetrics
from vantage.core.realtime.origin import OriginCheck
from vantage.core.realtime.recovery import Outcome, Recovery, plan_recovery
from vantage.core.suppressed import SuppressedErrors, unregistered

if TYPE_CHECKING:
    from vantage.config import Settings

logger = structlog.get_logger("vantage.realtime")

Authenticator = Callable[[str], Awaitable[Principal]]
PublishHandler = Callable[[Principal, str, Any], Awaitable[Any]]
"""Takes a client's publish ``(principal, channel, data)`` instead of the channel's subscribers;
what it returns (JSON-serializable) goes back to the client in the ``published`` reply."""


@dataclass(frozen=True)
class Handled:
    """A client's publish that a pack's handler took; ``result`` is its reply."""

    result: Any


"""Turns a credential (access token or API key) into a Principal; raises Unauthorized."""


async def reject_all_credentials(credential: str) -> Principal:
    """The authenticator of a hub nobody configured: every credential is refused."""
    raise Unauthorized("no credential verifier is configured for realtime connections")


def stream_key(tenant_id: int, channel: str) -> str:
    """Where a tenant's channel lives in the backend; clients never name the tenant."""
    return f"t{tenant_id}:{channel}"


MIN_RECHECK_SECONDS = 0.25


@dataclass(frozen=True)
class HubConfig:
    """The hub's limits and timings (from the ``VANTAGE_REALTIME_*`` settings)."""

    auth_timeout_seconds: float = 5.0
    queue_size: int = 256
    send_timeout_seconds: float = 5.0
    close_timeout_seconds: float = 5.0
    max_subscriptions: int = 100
    max_inbound_bytes: int = 65_536
    sse_ping_seconds: float = 15.0
    max_messages_per_second: float = 50.0
    recheck_seconds: float = 2.5

    @classmethod
    def from_settings(cls, settings: Settings) -> HubConfig:
        return cls(
            auth_timeout_seconds=settings.realtime_auth_timeout_seconds,
            queue_size=settings.realtime_queue_size,
            send_timeout_seconds=settings.realtime_send_timeout_seconds,
            close_timeout_seconds=min(5.0, settings.shutdown_timeout_seconds),
            max_subscriptions=settings.realtime_max_subscriptions,
            max_inbound_bytes=settings.realtime_max_inbound_bytes,
            sse_ping_seconds=settings.realtime_sse_ping_seconds,
            max_messages_per_second=settings.realtime_max_messages_per_second,
            # A copy of a credential's rows lives this long: checking twice as often ends a
            # stream within that lifetime of its revocation.
            recheck_seconds=max(settings.auth_cache_seconds / 2, MIN_RECHECK_SECONDS),
        )


class _Fanout:
    """The local subscribers of one key, in three states.

    ``joining``: history is being read; live messages are buffered. ``settling``: history was
    sent up to a position, and fan-out may still bring messages up to it (published before the
    read, delivered after it): those are dropped until the first newer one. ``live``: every
    message is new.
    """

    __slots__ = ("joining", "live", "settling")

    def __init__(self) -> None:
        self.live: set[Client] = set()
        self.joining: dict[Client, Subscription] = {}
        self.settling: dict[Client, Position] = {}

    def __bool__(self) -> bool:
        return bool(self.live or self.joining or self.settling)

    def settle(self, message: Message) -> None:
        for client, sent in list(self.settling.items()):
            if message.epoch != sent.epoch or message.offset > sent.offset:
                del self.settling[client]
                self.live.add(client)


class Hub:
    """Channel registry, local fan-out, client bookkeeping and the server-side publish API."""

    def __init__(
        self,
        *,
        channels: ChannelRegistry,
        backend: Backend,
        config: HubConfig,
        metrics: HubMetrics,
        origin_check: OriginCheck,
        authenticator: Authenticator = reject_all_credentials,
        suppressed_errors: SuppressedErrors | None = None,
    ) -> None:
        self.channels = channels
        self.backend = backend
        self.config = config
        self.metrics = metrics
        self.origin_allowed = origin_check
        self.authenticator = authenticator
        self.suppressed_errors = suppressed_errors or unregistered()
        self.accepting = False
        self._fanouts: dict[str, _Fanout] = {}
        self._clients: set[Client] = set()
        self._all_detached = asyncio.Event()
        self._janitor: asyncio.Task[None] | None = None
        self._publish_handlers: dict[str, PublishHandler] = {}

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start delivering and accepting connections (in the running event loop)."""
        self._all_detached = asyncio.Event()
        await self.backend.start(self._deliver)
        self._janitor = asyncio.create_task(self._janitor_loop(), name="realtime-janitor")
        self.accepting = True

    def close_clients(self) -> None:
        """Refuse new connections; close every WebSocket with 1001 and end every SSE stream."""
        self.accepting = False
        for client in list(self._clients):
            client.close(CLOSE_GOING_AWAY)

    async def drain_clients(self) -> None:
        """Close every client (1001 / end of stream) and wait, bounded, until they have gone."""
        self.close_clients()
        if self._clients:
            self._all_detached.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.config.close_timeout_seconds):
                    await self._all_detached.wait()

    async def stop(self) -> None:
        """Close every WebSocket with 1001, end every SSE stream, then release the backend."""
        await self.drain_clients()
        if self._janitor is not None:
            self._janitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._janitor
        await self.backend.stop()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Hub]:
        """Start the hub for the duration of the block (the application lifespan)."""
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    # -- server-side API for packs ------------------------------------------------------------

    async def publish(self, tenant_id: int, channel: str, data: Any) -> Position:
        """Publish ``data`` (anything JSON-serializable) to a tenant's channel; returns where."""
        _, spec = self.channels.resolve(channel)
        message = await self.backend.publish(
            stream_key(tenant_id, channel), channel, spec, serialize_data(data), time.time()
        )
        self.metrics.published.inc()
        return message.position

    async def latest(self, tenant_id: int, channel: str) -> Message | None:
        """The newest message still in a tenant's channel history (a cache-mode channel's value)."""
        _, spec = self.channels.resolve(channel)
        read = await self.backend.read(stream_key(tenant_id, channel), channel, spec, None, True)
        latest = read.latest
        if latest is None or latest.published_at < time.time() - spec.history_ttl_seconds:
            return None
        return latest

    # -- connections --------------------------------------------------------------------------

    def attach(self, client: Client) -> None:
        self._clients.add(client)
        self.metrics.connections_by[client.transport].inc()

    async def detach(self, client: Client) -> None:
        """Forget a client and all its subscriptions (idempotent)."""
        if client not in self._clients:
            return
        self._clients.discard(client)
        self.metrics.connections_by[client.transport].dec()
        for channel in list(client.subscriptions):
            await self._drop(client, channel)
        if not self._clients:
            self._all_detached.set()

    def authorize(
        self, principal: Principal, channel: str, action: Literal["subscribe", "publish"]
    ) -> ChannelSpec:
        """The channel's spec if ``principal`` may do ``action`` on it; raises ChannelError or
        Forbidden."""
        _, spec = self.channels.resolve(channel)
        allowed = (
            spec.may_subscribe(principal) if action == "subscribe" else spec.may_publish(principal)
        )
        if not allowed:
            raise Forbidden(f"not allowed to {action} to channel {channel!r}")
        return spec

    async def subscribe(self, client: Client, channel: str, since: Position | None) -> Recovery:
        """Subscribe and queue ``subscribed``, then the replay (or cache snapshot), then live
        messages, with no gap and no duplicate between history and live delivery."""
        spec = self.authorize(client.principal, channel, "subscribe")
        if channel in client.subscriptions:
            await self._drop(client, channel)
        if len(client.subscriptions) >= self.config.max_subscriptions:
            raise ValidationFailed(
                f"at most {self.config.max_subscriptions} subscriptions per connection"
            )
        key = stream_key(client.principal.tenant_id, channel)
        subscription = Subscription(client, key, channel)
        client.subscriptions[channel] = subscription
        # Registered before listening, so every live message from now on is buffered while the
        # history is read; the buffer is then replayed without what the history already had.
        fanout = self._fanouts.setdefault(key, _Fanout())
        fanout.joining[client] = subscription
        try:
            await self.backend.listen(key, channel)
        except BaseException:
            self._unregister(client, subscription)
            raise
        try:
            read = await self.backend.read(key, channel, spec, since, spec.cache)
        except BaseException:
            await self._drop(client, channel)
            raise
        recovery = plan_recovery(read, since, spec, time.time())
        if since is not None:
            self.metrics.recoveries.labels(recovery.outcome.value).inc()
        self._go_live(client, fanout, subscription, recovery)
        return recovery

    def _go_live(
        self, client: Client, fanout: _Fanout, subscription: Subscription, recovery: Recovery
    ) -> None:
        position = recovery.position
        client.push_subscribed(subscription.channel, recovery)
        for message in recovery.replay:
            client.push(Replayed(message))
        sent = position
        for message in subscription.joining or []:
            if message.epoch != sent.epoch or message.offset > sent.offset:
                client.offer(message)
                sent = message.position
        subscription.joining = None
        del fanout.joining[client]
        fanout.settling[client] = sent

    async def unsubscribe(self, client: Client, channel: str) -> bool:
        """Stop a subscription; False when the client had none on ``channel``."""
        if channel not in client.subscriptions:
            return False
        await self._drop(client, channel)
        return True

    def handle_publishes(self, pattern: str, handler: PublishHandler) -> None:
        """Route clients' publishes on a declared channel to ``handler`` (e.g. an ingest path)
        instead of its subscribers. Server-side ``publish`` is unaffected."""
        if pattern not in {spec.pattern for spec in self.channels.specs()}:
            raise ValueError(f"no channel {pattern!r} is declared")
        self._publish_handlers[pattern] = handler

    async def publish_from(self, client: Client, channel: str, data: Any) -> Position | Handled:
        """A client's publish op: allowed only on channels whose publish scope it holds."""
        spec = self.authorize(client.principal, channel, "publish")
        handler = self._publish_handlers.get(spec.pattern)
        if handler is not None:
            return Handled(await handler(client.principal, channel, data))
        return await self.publish(client.principal.tenant_id, channel, data)

    def _unregister(self, client: Client, subscription: Subscription) -> bool:
        """Remove the subscription from local fan-out; True when it was registered there."""
        if client.subscriptions.get(subscription.channel) is subscription:
            del client.subscriptions[subscription.channel]
        fanout = self._fanouts.get(subscription.key)
        if fanout is None:
            return False
        found = client in fanout.live or client in fanout.joining or client in fanout.settling
        fanout.live.discard(client)
        fanout.joining.pop(client, None)
        fanout.settling.pop(client, None)
        if not fanout:
            del self._fanouts[subscription.key]
        return found

    async def _drop(self, client: Client, channel: str) -> None:
        subscription = client.subscriptions.get(channel)
        if subscription is not None and self._unregister(client, subscription):
            await self.backend.unlisten(subscription.key)

    # -- delivery -----------------------------------------------------------------------------

    def _deliver(self, key: str, message: Message) -> None:
        fanout = self._fanouts.get(key)
        if fanout is None:
            return
        for subscription in fanout.joining.values():
            if subscription.joining is not None:
                subscription.joining.append(message)
        if fanout.settling:
            fanout.settle(message)
        for client in fanout.live:
            try:
                client.offer(message)
            except Exception:  # one broken connection must not cost the others this message
                logger.exception("realtime delivery failed", channel=message.channel)
                client.close(CLOSE_INTERNAL_ERROR)

    async def _janitor_loop(self) -> None:
        """Close clients whose send is stuck, sample queue depths, expire idle histories."""
        interval = min(1.0, self.config.send_timeout_seconds / 4)
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(interval)
            try:
                self._sweep(loop.time())
            except Exception:  # housekeeping must never stop
                logger.exception("realtime janitor failed")

    def _sweep(self, now: float) -> None:
        total = deepest = 0
        limit = self.config.send_timeout_seconds
        for client in list(self._clients):
            depth = len(client.pending)
            total += depth
            deepest = max(deepest, depth)
            if client.send_started and now - client.send_started > limit:
                client.close_slow()
        self.metrics.queue_depth.set(total)
        self.metrics.queue_depth_max.set(deepest)
        self.backend.sweep(time.time())


__all__ = ["Authenticator", "Hub", "HubConfig", "Outcome", "reject_all_credentials", "stream_key"]
