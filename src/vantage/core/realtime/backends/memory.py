"""The embedded backend: histories in this process's memory, fan-out by a direct call.

A restart starts every channel in a new epoch, so resuming clients are told ``recovered:false``.
"""

from __future__ import annotations

import time
from collections import deque
from itertools import islice

from vantage.core.realtime.backends.base import Deliver, HistoryRead
from vantage.core.realtime.channels import ChannelSpec
from vantage.core.realtime.messages import Message, Position, new_epoch


class _History:
    __slots__ = ("entries", "epoch", "offset", "touched", "ttl")

    def __init__(self, spec: ChannelSpec, now: float) -> None:
        self.epoch = new_epoch()
        self.offset = 0
        self.entries: deque[Message] = deque(maxlen=spec.history_size)
        self.ttl = spec.history_ttl_seconds
        self.touched = now

    def prune(self, now: float) -> None:
        horizon = now - self.ttl
        while self.entries and self.entries[0].published_at < horizon:
            self.entries.popleft()

    def after(self, offset: int) -> list[Message]:
        if not self.entries or offset >= self.offset:
            return []
        start = max(0, offset + 1 - self.entries[0].offset)
        return list(islice(self.entries, start, None))


class MemoryBackend:
    """Single-process history and fan-out; nothing is shared with other processes."""

    def __init__(self) -> None:
        self._histories: dict[str, _History] = {}
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def stop(self) -> None:
        self._deliver = None

    def _history(self, key: str, spec: ChannelSpec, now: float) -> _History:
        history = self._histories.get(key)
        if history is None or now - history.touched > history.ttl:
            history = self._histories[key] = _History(spec, now)
        return history

    async def publish(
        self, key: str, channel: str, spec: ChannelSpec, data_json: str, published_at: float
    ) -> Message:
        history = self._history(key, spec, published_at)
        history.offset += 1
        history.touched = published_at
        message = Message(channel, history.epoch, history.offset, published_at, data_json)
        history.entries.append(message)
        if self._deliver is not None:
            self._deliver(key, message)
        return message

    async def listen(self, key: str, channel: str) -> None:
        """Nothing to do: every publish in this process is delivered."""

    async def unlisten(self, key: str) -> None:
        """Nothing to do."""

    async def read(
        self, key: str, channel: str, spec: ChannelSpec, since: Position | None, latest: bool
    ) -> HistoryRead:
        now = time.time()
        history = self._history(key, spec, now)
        history.prune(now)
        missed = []
        if since is not None and since.epoch == history.epoch:
            missed = history.after(since.offset)
        newest = history.entries[-1] if latest and history.entries else None
        return HistoryRead(Position(history.epoch, history.offset), missed, newest)

    def sweep(self, now: float) -> None:
        for key, history in list(self._histories.items()):
            if now - history.touched > history.ttl:
                del self._histories[key]
