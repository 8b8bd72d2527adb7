"""Which browser origins may open a WebSocket: the same origin, or one listed in CORS_ORIGINS."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

OriginCheck = Callable[[HTTPConnection], bool]


def _normalized(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def origin_allowed(origin: str | None, host: str | None, allowed: Sequence[str]) -> bool:
    """No Origin header (a non-browser client), the page's own host, or a listed origin."""
    if origin is None:
        return True
    wanted = _normalized(origin)
    if "*" in allowed or wanted in {_normalized(item) for item in allowed}:
        return True
    netloc = urlsplit(wanted).netloc
    return bool(host) and netloc == _normalized(host or "")


def origin_check_for(allowed: Sequence[str]) -> OriginCheck:
    """A check of a connection's Origin against these listed origins."""
    listed = tuple(allowed)

    def check(connection: HTTPConnection) -> bool:
        return origin_allowed(
            connection.headers.get("origin"), connection.headers.get("host"), listed
        )

    return check
