"""Work that must happen the moment a termination signal arrives, before the server's own.

uvicorn reacts to SIGTERM by closing open WebSockets with 1012 ("restart") and only then runs
the application's shutdown. Clients should instead hear 1001 ("going away") and SSE streams
should end cleanly while in-flight requests still finish, so those steps are chained in front
of the server's signal handler for as long as the application runs.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

TERMINATION_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def before_termination(callback: Callable[[], None]) -> Iterator[None]:
    """On SIGTERM/SIGINT run ``callback`` on the event loop, then the previous handler."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread (e.g. in-process tests)
        return
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {sig: signal.getsignal(sig) for sig in TERMINATION_SIGNALS}

    def handler(signum: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(callback)
        earlier = previous[signum]
        if callable(earlier):
            earlier(signum, frame)
        elif earlier == signal.SIG_DFL:  # nobody else handles it: die the default way
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)

    for sig in TERMINATION_SIGNALS:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for signum, earlier in previous.items():
            signal.signal(signum, earlier)
