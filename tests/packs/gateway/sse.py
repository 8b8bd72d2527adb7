"""A strict little SSE reader for tests (event name + JSON data)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Event:
    name: str
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


async def events_of(response: httpx.Response) -> AsyncIterator[Event]:
    """Events in arrival order (comments and pings skipped)."""
    name = "message"
    data: list[str] = []
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield Event(name, "\n".join(data))
            name, data = "message", []
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))


async def all_events(response: httpx.Response) -> list[Event]:
    return [event async for event in events_of(response)]
