"""The trading dashboard's URL ``WS /ws/metrics``, served next to ``/ws`` (docs/COMPAT.md)."""

from __future__ import annotations

from vantage.core.compat import CompatSocket, CompatSurface
from vantage.packs.trading.api.metrics_socket import metrics_socket

COMPAT = CompatSurface(
    system="Trading dashboard",
    sockets=(CompatSocket("/ws/metrics", metrics_socket, name="compat_metrics_socket"),),
)
