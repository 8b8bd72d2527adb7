"""Running a send in the caller until it first suspends, and finishing it later if it does.

A send on a writable connection completes without ever suspending, so fan-out can send to an
idle client directly: no task, no wake-up, no context switch per subscriber. A send that does
suspend (the client's buffers are full) is handed to the client's writer task to finish.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine
from typing import Any

Pending = Any  # what a suspended asyncio coroutine yields: a future, or None for a bare yield


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


COMPLETED = _Marker("COMPLETED")  # it ran to its end without suspending
NOT_STARTED = _Marker("NOT_STARTED")  # not a coroutine: only awaiting it can run it


def start(awaitable: Awaitable[Any]) -> Pending:
    """Run a coroutine until it suspends (returning what it waits on) or ends (COMPLETED).

    Exceptions it raises propagate to the caller.
    """
    if not isinstance(awaitable, Coroutine):
        return NOT_STARTED
    try:
        return awaitable.send(None)
    except StopIteration:
        return COMPLETED


async def finish(awaitable: Awaitable[Any], pending: Pending) -> None:
    """Drive what ``start`` left suspended on ``pending`` to its end, the way a task would:
    wait for what it waits on, then resume it with the outcome (cancellation included)."""
    if pending is NOT_STARTED or not isinstance(awaitable, Coroutine):
        await awaitable
        return
    while True:
        try:
            if pending is None:
                await asyncio.sleep(0)
            else:
                # The coroutine marked the future as awaited by a task when it yielded it (a
                # task clears that on receipt); clear it so that this await may wait on it.
                pending._asyncio_future_blocking = False
                await pending
        except BaseException as error:
            try:
                pending = awaitable.throw(error)
            except StopIteration:
                return
            continue
        try:
            pending = awaitable.send(None)
        except StopIteration:
            return


def abandon(awaitable: Awaitable[Any]) -> None:
    """Give up on a started send that will never be finished."""
    if isinstance(awaitable, Coroutine):
        awaitable.close()
