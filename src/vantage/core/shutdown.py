"""Work that must happen the moment a termination signal arrives, before the server's own.

uvicorn reacts to SIGTERM by closing open WebSockets with 1012 ("restart") and only then runs
the application's shutdown. Clients should instead hear 1001 ("going away") and SSE streams
should end cleanly while in-flight requests still finish, so that step runs first and the
server's own handler is called once it is done.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import structlog

TERMINATION_SIGNALS = (signal.SIGTERM, signal.SIGINT)
logger = structlog.get_logger("vantage.shutdown")


def _pass_on(earlier: Any, signum: int, frame: FrameType | None) -> None:
    if callable(earlier):
        earlier(signum, frame)
    elif earlier == signal.SIG_DFL:  # nobody else handles it: end the default way
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)


@contextmanager
def before_termination(step: Callable[[], Awaitable[None]]) -> Iterator[None]:
    """On SIGTERM/SIGINT run ``step`` on the event loop, then the previous handler."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread (e.g. in-process tests)
        return
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {sig: signal.getsignal(sig) for sig in TERMINATION_SIGNALS}
    pending: set[asyncio.Task[None]] = set()

    async def run_then_pass_on(signum: int, frame: FrameType | None) -> None:
        try:
            await step()
        except Exception:  # the server must still stop
            logger.exception("termination step failed")
        _pass_on(previous[signum], signum, frame)

    def handler(signum: int, frame: FrameType | None) -> None:
        def start() -> None:
            task = loop.create_task(run_then_pass_on(signum, frame))
            pending.add(task)
            task.add_done_callback(pending.discard)

        loop.call_soon_threadsafe(start)

    for sig in TERMINATION_SIGNALS:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for signum, earlier in previous.items():
            signal.signal(signum, earlier)
