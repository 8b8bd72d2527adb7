"""Parsing a large request body off the event loop.

Validating a batch of thousands of items takes hundreds of milliseconds of CPU, and on the
event loop that is a stall for every request and stream the worker serves, health checks
included. In a worker thread the interpreter switches between the two every few milliseconds,
so the loop keeps answering while the batch is read. Small bodies are parsed in place: a
thread hop costs more than they take.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

OFF_LOOP_BYTES = 256 * 1024

Parsed = TypeVar("Parsed")


async def parse_off_loop(parse: Callable[[bytes], Parsed], body: bytes) -> Parsed:
    """``parse(body)``, in a worker thread when ``body`` is at least ``OFF_LOOP_BYTES``."""
    if len(body) < OFF_LOOP_BYTES:
        return parse(body)
    return await asyncio.to_thread(parse, body)
