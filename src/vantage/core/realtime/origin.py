"""Which browser origins may open a WebSocket (the HTTP guard's rule: same origin or listed)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import HTTPConnection

from vantage.config import Settings
from vantage.core.http_guard import origin_allowed

OriginCheck = Callable[[HTTPConnection], bool]


def origin_check_for(settings: Settings) -> OriginCheck:
    """A check of a connection's Origin against the settings' CORS origins."""

    def check(connection: HTTPConnection) -> bool:
        return origin_allowed(connection, settings)

    return check
