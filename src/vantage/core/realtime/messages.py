"""Positions in a channel's history and published messages, each serialized once per transport."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any, NamedTuple

from pydantic_core import to_json


def new_epoch() -> str:
    """A random id for one lifetime of a channel's history."""
    return secrets.token_hex(8)


def now_ms() -> int:
    return int(time.time() * 1000)


def serialize_data(data: Any) -> str:
    """Compact JSON for a payload: dicts, lists, scalars, pydantic models, dataclasses, dates."""
    return to_json(data).decode()


class Position(NamedTuple):
    """Where a message sits: ``offset`` counts up by one inside one ``epoch``.

    A tuple, so ``epoch, offset = await hub.publish(...)`` works.
    """

    epoch: str
    offset: int

    def __str__(self) -> str:
        return f"{self.epoch}:{self.offset}"

    @classmethod
    def parse(cls, text: str) -> Position:
        """Read ``<epoch>:<offset>`` (an SSE event id); raises ValueError."""
        epoch, separator, offset = text.strip().rpartition(":")
        if not separator or not epoch or len(epoch) > 64 or not offset.isdigit():
            raise ValueError(f"{text[:80]!r} is not <epoch>:<offset>")
        return cls(epoch, int(offset))


class Message:
    """One published message; its frames are built on first use and shared by every subscriber."""

    __slots__ = (
        "_sse_frame",
        "_ws_frame",
        "channel",
        "data_json",
        "epoch",
        "offset",
        "published_at",
    )

    def __init__(
        self, channel: str, epoch: str, offset: int, published_at: float, data_json: str
    ) -> None:
        self.channel = channel
        self.epoch = epoch
        self.offset = offset
        self.published_at = published_at
        self.data_json = data_json
        self._ws_frame: str | None = None
        self._sse_frame: bytes | None = None

    @property
    def position(self) -> Position:
        return Position(self.epoch, self.offset)

    @property
    def ts_ms(self) -> int:
        return int(self.published_at * 1000)

    @property
    def ws_frame(self) -> str:
        """The ``message`` op as WebSocket text."""
        if self._ws_frame is None:
            self._ws_frame = (
                f'{{"op":"message","channel":{json.dumps(self.channel)},'
                f'"epoch":{json.dumps(self.epoch)},"offset":{self.offset},'
                f'"ts":{self.ts_ms},"data":{self.data_json}}}'
            )
        return self._ws_frame

    @property
    def sse_frame(self) -> bytes:
        """The same object as one SSE event whose id is ``<epoch>:<offset>``."""
        if self._sse_frame is None:
            self._sse_frame = f"id: {self.epoch}:{self.offset}\ndata: {self.ws_frame}\n\n".encode()
        return self._sse_frame

    def data(self) -> Any:
        """The payload, decoded (for server-side readers such as ``hub.latest``)."""
        return json.loads(self.data_json)

    def __repr__(self) -> str:
        return f"Message({self.channel!r}, {self.epoch}:{self.offset})"


def control_frame(op: str, **fields: Any) -> str:
    """A server op other than ``message`` (subscribed, pong, error ...) as compact JSON."""
    return json.dumps({"op": op, **fields}, separators=(",", ":"))


def sse_control_frame(op: str, event_id: str | None = None, **fields: Any) -> bytes:
    """A server op as an SSE event named after the op (with an id when it marks a position)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {op}\ndata: {control_frame(op, **fields)}\n\n".encode()
