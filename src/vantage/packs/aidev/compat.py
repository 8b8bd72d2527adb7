"""ProdLens's URLs (``/api/metrics``, ``/api/sessions`` ...) answered by the aidev routes.

ProdLens's answer bodies are not documented, so each alias answers the ``/api/v1/aidev``
route's JSON as it is; only ProdLens's query parameters are renamed (``since`` -> ``from``,
``lag_days`` -> ``max_lag_days``). ``WS /ws/sessions`` streams ``aidev.sessions``.
docs/COMPAT.md lists each alias.
"""

from __future__ import annotations

from collections.abc import Mapping

from vantage.core.compat import CompatRoute, CompatSocket, CompatSurface
from vantage.packs.aidev.api.sessions_socket import sessions_socket

SYSTEM = "ProdLens"
_V1 = "/api/v1/aidev"


_SINCE = {"since": "from"}
_INSIGHTS = {"since": "from", "lag_days": "max_lag_days"}


def _alias(path: str, target: str, renames: Mapping[str, str] = _SINCE) -> CompatRoute:
    return CompatRoute(path, f"{_V1}{target}", renames=renames)


COMPAT = CompatSurface(
    system=SYSTEM,
    routes=(
        _alias("/api/metrics", "/metrics"),
        _alias("/api/metrics/raw", "/metrics/raw"),
        _alias("/api/sessions", "/sessions"),
        _alias("/api/sessions/{session_id}", "/sessions/{session_id}"),
        _alias("/api/profile", "/profile"),
        _alias("/api/insights", "/insights", _INSIGHTS),
    ),
    sockets=(CompatSocket("/ws/sessions", sessions_socket, name="compat_sessions_socket"),),
)
