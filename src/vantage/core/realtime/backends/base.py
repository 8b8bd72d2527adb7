"""The interface between the hub and where channel history and cross-process fan-out live."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from vantage.core.realtime.channels import ChannelSpec
from vantage.core.realtime.messages import Message, Position

Deliver = Callable[[str, Message], None]
"""Called once per message for each key this process listens to: ``deliver(key, message)``."""


@dataclass(frozen=True)
class HistoryRead:
    """A channel's current position, the messages after a requested offset, and its latest one.

    ``missed`` holds what the history still has after ``since.offset`` when ``since.epoch`` is
    the current epoch (possibly with a hole at the start, when older entries were trimmed).
    """

    position: Position
    missed: list[Message] = field(default_factory=list)
    latest: Message | None = None


class Backend(Protocol):
    """History with (epoch, offset) positions, plus delivery of every publish to listeners."""

    async def start(self, deliver: Deliver) -> None:
        """Begin delivering published messages of listened keys to ``deliver``."""

    async def stop(self) -> None:
        """Stop delivering and release connections."""

    async def publish(
        self, key: str, channel: str, spec: ChannelSpec, data_json: str, published_at: float
    ) -> Message:
        """Append to the key's history and fan out to every listening process."""

    async def listen(self, key: str, channel: str) -> None:
        """Make sure this process receives the key's messages from now on (reference counted)."""

    async def unlisten(self, key: str) -> None:
        """Drop one reference taken by ``listen``."""

    async def read(
        self, key: str, channel: str, spec: ChannelSpec, since: Position | None, latest: bool
    ) -> HistoryRead:
        """The position (creating an epoch if there is none), missed and latest messages."""

    def sweep(self, now: float) -> None:
        """Periodic housekeeping (expiry of idle in-process histories)."""
