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
from contextlib import suppress

import structlog
from pydantic import BaseModel, ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from vantage.core.auth.principal import Scope
from vantage.core.context import CoreServices, core_of
from vantage.core.errors import VantageError
from vantage.core.realtime.channels import ChannelError
from vantage.packs.trading.runtime import PACK_NAME, TradingRuntime
from vantage.packs.trading.service.metrics_socket import trusted_tenant_id

logger = structlog.get_logger("vantage.trading.metrics_socket")

CLOSE_UNAUTHORIZED = 4001
CLOSE_FORBIDDEN = 4003
CLOSE_SOURCE_UNKNOWN = 4004
CLOSE_UNAVAILABLE = 1013


class _AuthMessage(BaseModel):
    token: str


class _Refused(Exception):
    def __init__(self, code: int, error: str, message: str) -> None:
        super().__init__(message)
        self.code, self.error, self.message = code, error, message


async def _credential(websocket: WebSocket, timeout: float) -> str:
    token = websocket.query_params.get("token")
    if token:
        return token
    try:
        async with asyncio.timeout(timeout):
            text = await websocket.receive_text()
        return _AuthMessage.model_validate_json(text).token
    except (TimeoutError, ValidationError, KeyError, RuntimeError) as error:
        raise _Refused(CLOSE_UNAUTHORIZED, "UNAUTHORIZED", 'send {"token": ...} first') from error


async def _tenant_of(core: CoreServices, websocket: WebSocket, runtime: TradingRuntime) -> int:
    trusted = runtime.settings.compat_metrics_trusted_tenant
    if trusted is not None:
        tenant_id = await trusted_tenant_id(core.database, trusted)
        if tenant_id is None:
            raise _Refused(CLOSE_UNAVAILABLE, "UNAVAILABLE", f"no tenant named {trusted!r}")
        return tenant_id
    credential = await _credential(websocket, core.hub.config.auth_timeout_seconds)
    try:
        principal = await core.hub.authenticator(credential)
    except VantageError as error:
        raise _Refused(CLOSE_UNAUTHORIZED, "UNAUTHORIZED", "the credential was refused") from error
    if not principal.has(Scope.READ):
        raise _Refused(CLOSE_FORBIDDEN, "FORBIDDEN", "the credential lacks the read scope")
    return principal.tenant_id


def _source(core: CoreServices, websocket: WebSocket, runtime: TradingRuntime) -> str:
    source = websocket.query_params.get("source") or runtime.settings.compat_metrics_source
    if core.runtimes.find(source, object) is None:
        raise _Refused(CLOSE_SOURCE_UNKNOWN, "NOT_FOUND", f"the {source!r} pack is not enabled")
    return source


async def _refuse(websocket: WebSocket, refused: _Refused) -> None:
    with suppress(WebSocketDisconnect, RuntimeError):
        await websocket.send_text(
            json.dumps({"type": "error", "code": refused.error, "message": refused.message})
        )
        await websocket.close(refused.code, refused.message[:120])


async def _drain(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends, so a disconnect is noticed."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


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
    if not core.hub.origin_allowed(websocket):
        await websocket.close(CLOSE_FORBIDDEN)
        return
    await websocket.accept()
    try:
        runtime = core.runtimes.get(PACK_NAME, TradingRuntime)
        tenant_id = await _tenant_of(core, websocket, runtime)
        source = _source(core, websocket, runtime)
    except _Refused as refused:
        await _refuse(websocket, refused)
        return
    except VantageError:
        await _refuse(websocket, _Refused(CLOSE_UNAVAILABLE, "UNAVAILABLE", "try again later"))
        return
    drain = asyncio.create_task(_drain(websocket))
    stream = asyncio.create_task(_stream(core, websocket, tenant_id, source))
    try:
        await asyncio.wait([drain, stream], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (drain, stream):
            task.cancel()
        results = await asyncio.gather(drain, stream, return_exceptions=True)
    for result in results:
        if isinstance(result, ChannelError):
            await _refuse(websocket, _Refused(CLOSE_SOURCE_UNKNOWN, "NOT_FOUND", str(result)))
        elif isinstance(result, Exception) and not isinstance(
            result, WebSocketDisconnect | RuntimeError | asyncio.CancelledError
        ):
            logger.error("metrics socket failed", error=repr(result))
