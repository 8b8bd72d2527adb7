"""Stopping loops that retry on errors."""

from __future__ import annotations

import asyncio


def raise_if_cancelling() -> None:
    """Re-raise a cancellation that a library turned into another error.

    A cancel that races a client's own timeout can surface as TimeoutError; a loop that
    retries on errors would then never stop.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
