"""``WS /ws/metrics``: the trading dashboard's socket of plain JSON snapshots (docs/COMPAT.md).

The older dashboard opens ``/ws/metrics`` and reads each snapshot as it is, without the
realtime protocol's envelope. Credentials come as the ``token`` query parameter or in the first
message (``{"token": ...}`` or ``{"op": "auth", "token": ...}``), checked by the hub's own
authenticator; ``VANTAGE_TRADING_COMPAT_METRICS_TRUSTED_TENANT`` serves one tenant without them.
Snapshots are the latest value of ``<source>.metrics`` in the hub (so any worker serves them),
sent whenever it changes; a heartbeat goes out every few seconds.
"""

from __future__ import annotations

import asyncio
import json
import time

import structlog
from starlette.websockets import WebSocket, WebSocketDisconnect

from vantage.core.compat_sockets import (
    CLOSE_NOT_FOUND,
    CLOSE_UNAVAILABLE,
    SocketRefused,
    credential_of,
    drain,
    opened,
    reader_of,
    refuse,
)
from vantage.core.context import CoreServices, core_of
from vantage.core.realtime.channels import ChannelError
from vantage.packs.trading.runtime import PACK_NAME, TradingRuntime
from vantage.packs.trading.service.metrics_socket import trusted_tenant_id

logger = structlog.get_logger("vantage.trading.metrics_socket")


async def _tenant_of(core: CoreServices, websocket: WebSocket, runtime: TradingRuntime) -> int:
    trusted = runtime.settings.compat_metrics_trusted_tenant
    if trusted is not None:
        tenant_id = await trusted_tenant_id(core.database, trusted)
        if tenant_id is None:
            raise SocketRefused(CLOSE_UNAVAILABLE, "UNAVAILABLE", f"no tenant named {trusted!r}")
        return tenant_id
    credential = await credential_of(websocket, core.hub.config.auth_timeout_seconds)
    return (await reader_of(core, credential)).tenant_id


def _source(core: CoreServices, websocket: WebSocket, runtime: TradingRuntime) -> str:
    source = websocket.query_params.get("source") or runtime.settings.compat_metrics_source
    if core.runtimes.find(source, object) is None:
        raise SocketRefused(CLOSE_NOT_FOUND, "NOT_FOUND", f"the {source!r} pack is not enabled")
    return source


async def _stream(core: CoreServices, websocket: WebSocket, tenant_id: int, source: str) -> None:
    runtime = core.runtimes.get(PACK_NAME, TradingRuntime)
    # Polled at twice the publish rate: every snapshot is seen once, soon after it is published.
    period = 0.5 / runtime.settings.snapshot_hz
    heartbeat_every = runtime.settings.compat_metrics_heartbeat_seconds
    channel = f"{source}.metrics"
    last_sent: str | None = None
    next_heartbeat = time.monotonic() + heartbeat_every
    while True:
        latest = await core.hub.latest(tenant_id, channel)
        if latest is not None and latest.data_json != last_sent:
            last_sent = latest.data_json
            await websocket.send_text(last_sent)
        if time.monotonic() >= next_heartbeat:
            next_heartbeat += heartbeat_every
            await websocket.send_text(json.dumps({"type": "heartbeat", "ts": time.time()}))
        await asyncio.sleep(period)


async def metrics_socket(websocket: WebSocket) -> None:
    """Serve one ``/ws/metrics`` connection until the client leaves."""
    core = core_of(websocket)

    async def handshake() -> tuple[int, str]:
        runtime = core.runtimes.get(PACK_NAME, TradingRuntime)
        return await _tenant_of(core, websocket, runtime), _source(core, websocket, runtime)

    reader = await opened(websocket, core, handshake)
    if reader is None:
        return
    tenant_id, source = reader
    reading = asyncio.create_task(drain(websocket))
    stream = asyncio.create_task(_stream(core, websocket, tenant_id, source))
    try:
        await asyncio.wait([reading, stream], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (reading, stream):
            task.cancel()
        results = await asyncio.gather(reading, stream, return_exceptions=True)
    for result in results:
        if isinstance(result, ChannelError):
            await refuse(websocket, SocketRefused(CLOSE_NOT_FOUND, "NOT_FOUND", str(result)))
        elif isinstance(result, Exception) and not isinstance(
            result, WebSocketDisconnect | RuntimeError | asyncio.CancelledError
        ):
            logger.error("metrics socket failed", error=repr(result))
