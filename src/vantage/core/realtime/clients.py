"""What every connected client has: a principal, subscriptions and one bounded outbound queue."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from vantage.core.auth.principal import Principal
from vantage.core.realtime.messages import Message
from vantage.core.realtime.metrics import HubMetrics
from vantage.core.realtime.recovery import Recovery

Transport = Literal["ws", "sse"]

CLOSE_GOING_AWAY = 1001
CLOSE_INTERNAL_ERROR = 1011
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_MESSAGE_TOO_BIG = 1009
CLOSE_POLICY_VIOLATION = 1008
CLOSE_UNAUTHORIZED = 4001
CLOSE_FORBIDDEN = 4003
CLOSE_SLOW_CONSUMER = 4008

CLOSE_REASONS = {
    CLOSE_GOING_AWAY: "server going away",
    CLOSE_INTERNAL_ERROR: "internal error",
    CLOSE_TRY_AGAIN_LATER: "try again later",
    CLOSE_MESSAGE_TOO_BIG: "message too big",
    CLOSE_POLICY_VIOLATION: "too many messages",
    CLOSE_UNAUTHORIZED: "unauthorized",
    CLOSE_FORBIDDEN: "forbidden channel",
    CLOSE_SLOW_CONSUMER: "slow consumer",
}


@dataclass(frozen=True, slots=True)
class Replayed:
    """A message sent from history: it does not count against the queue bound nor the latency."""

    message: Message


Outbound = Message | Replayed | str | bytes


@dataclass(eq=False)
class Subscription:
    """One client on one channel; ``joining`` buffers live messages while history is read."""

    client: Client
    key: str
    channel: str
    joining: list[Message] | None = field(default_factory=list)


class Client:
    """A connection's outbound side. ``offer`` never blocks: a full queue closes the client."""

    transport: ClassVar[Transport]

    def __init__(self, principal: Principal, capacity: int, metrics: HubMetrics) -> None:
        self.principal = principal
        self.capacity = capacity
        self.subscriptions: dict[str, Subscription] = {}
        self.pending: deque[Outbound] = deque()
        self._exempt = 0  # replayed messages and control frames in ``pending``
        self.closing: int | None = None
        # Loop time at which the send in progress began (0 while idle): the hub's janitor
        # closes a client whose send has been stuck for longer than the send timeout.
        self.send_started = 0.0
        self._wakeup = asyncio.Event()
        self._metrics = metrics
        self._latency = metrics.latency_by[self.transport]

    def offer(self, message: Message) -> None:
        """Queue a live message; a client already ``capacity`` frames behind is closed instead."""
        if self.closing is not None:
            return
        pending = self.pending
        pending.append(message)
        if len(pending) - self._exempt > self.capacity:
            self.close_slow()
            return
        self._wakeup.set()

    def push(self, item: Outbound) -> None:
        """Queue a control frame or a replayed message (bounded by the history, not the queue)."""
        if self.closing is None:
            self.pending.append(item)
            self._exempt += 1
            self._wakeup.set()

    def push_control(self, op: str, **fields: Any) -> None:
        self.push(self.render_control(op, fields))

    def push_subscribed(self, channel: str, recovery: Recovery) -> None:
        """The ``subscribed`` answer: the channel's current position and whether the client
        gets everything it missed."""
        position = recovery.position
        self.push_control(
            "subscribed",
            channel=channel,
            recovered=recovery.recovered,
            epoch=position.epoch,
            offset=position.offset,
        )

    def render_control(self, op: str, fields: dict[str, Any]) -> str | bytes:
        raise NotImplementedError

    def close_slow(self) -> None:
        """Drop a client that fell behind (4008 on a WebSocket; the stream ends on SSE)."""
        if self.closing is None:
            self._metrics.slow_by[self.transport].inc()
            self.close(CLOSE_SLOW_CONSUMER)

    def close(self, code: int) -> None:
        """Stop sending queued frames and close the connection with ``code``; never blocks."""
        if self.closing is None:
            self.closing = code
            self.pending.clear()
            self._exempt = 0
            self._wakeup.set()

    async def next_item(self) -> Outbound | None:
        """The next frame to send, waiting for one; None once the client is closing."""
        while not self.pending:
            if self.closing is not None:
                return None
            self._wakeup.clear()
            await self._wakeup.wait()
        if self.closing is not None:
            return None
        return self.pop()

    def pop(self) -> Outbound:
        """Take the oldest queued frame (the queue must not be empty)."""
        item = self.pending.popleft()
        if type(item) is not Message:
            self._exempt -= 1
        return item

    def observe(self, message: Message) -> None:
        """Record how long a live message took from publish to this client's connection."""
        self._latency.observe(time.time() - message.published_at)
