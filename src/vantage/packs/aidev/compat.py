"""ProdLens's URLs (``/api/metrics``, ``/api/sessions`` ...) answered by the aidev routes.

ProdLens's answer bodies are not documented, so each alias answers the ``/api/v1/aidev``
route's JSON as it is; only ProdLens's query parameters are renamed (``since`` -> ``from``,
``lag_days`` -> ``max_lag_days``). ``WS /ws/sessions`` streams ``aidev.sessions``.
docs/COMPAT.md lists each alias.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import QueryParams

from vantage.core.compat import CompatRoute, CompatSocket, CompatSurface, QueryAdapter
from vantage.core.errors import ValidationFailed
from vantage.packs.aidev.api.sessions_socket import sessions_socket

SYSTEM = "ProdLens"
_V1 = "/api/v1/aidev"


def renamed(names: Mapping[str, str]) -> QueryAdapter:
    """Forward the query with ProdLens's parameter names turned into Vantage's."""

    def adapt(query: QueryParams) -> list[tuple[str, str]]:
        for old, new in names.items():
            if old in query and new in query:
                raise ValidationFailed.field(("query", old), f"use either {old} or {new}")
        return [(names.get(key, key), value) for key, value in query.multi_items()]

    return adapt


_SINCE = renamed({"since": "from"})
_INSIGHTS = renamed({"since": "from", "lag_days": "max_lag_days"})


def _alias(path: str, target: str, query: QueryAdapter = _SINCE) -> CompatRoute:
    return CompatRoute(path, f"{_V1}{target}", query=query)


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
