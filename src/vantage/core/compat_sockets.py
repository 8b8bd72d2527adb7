"""The handshake of the older systems' WebSocket URLs (``/ws/metrics``, ``/ws/sessions``).

Their clients read plain JSON messages, without the realtime protocol of ``/ws``. They present
a credential as the ``token`` query parameter or in a first message ``{"token": ...}`` (or
``{"op": "auth", "token": ...}``), checked by the hub's own authenticator; a refusal is a
message ``{"type": "error", "code", "message"}`` and then a close code.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from vantage.core.auth.principal import Principal, Scope
from vantage.core.context import CoreServices
from vantage.core.errors import VantageError

CLOSE_UNAUTHORIZED = 4001
CLOSE_FORBIDDEN = 4003
CLOSE_NOT_FOUND = 4004
CLOSE_UNAVAILABLE = 1013

T = TypeVar("T")


class _AuthMessage(BaseModel):
    token: str


class SocketRefused(Exception):
    """Why a plain socket is closed: its close code, the error code and a message."""

    def __init__(self, code: int, error: str, message: str) -> None:
        super().__init__(message)
        self.code, self.error, self.message = code, error, message


async def credential_of(websocket: WebSocket, timeout: float) -> str:
    """The ``token`` query parameter, else the token of the first message."""
    token = websocket.query_params.get("token")
    if token:
        return token
    try:
        async with asyncio.timeout(timeout):
            text = await websocket.receive_text()
        return _AuthMessage.model_validate_json(text).token
    except (TimeoutError, ValidationError, KeyError, RuntimeError) as error:
        message = 'send {"token": ...} first'
        raise SocketRefused(CLOSE_UNAUTHORIZED, "UNAUTHORIZED", message) from error


async def reader_of(core: CoreServices, credential: str) -> Principal:
    """The principal of ``credential``, which must hold the read scope."""
    try:
        principal = await core.hub.authenticator(credential)
    except VantageError as error:
        if error.status >= 500:
            raise SocketRefused(CLOSE_UNAVAILABLE, "UNAVAILABLE", "try again later") from error
        message = "the credential was refused"
        raise SocketRefused(CLOSE_UNAUTHORIZED, "UNAUTHORIZED", message) from error
    if not principal.has(Scope.READ):
        raise SocketRefused(CLOSE_FORBIDDEN, "FORBIDDEN", "the credential lacks the read scope")
    return principal


async def refuse(websocket: WebSocket, refused: SocketRefused) -> None:
    """Send the error message and close with the refusal's code (the peer may be gone)."""
    with suppress(WebSocketDisconnect, RuntimeError):
        await websocket.send_text(
            json.dumps({"type": "error", "code": refused.error, "message": refused.message})
        )
        await websocket.close(refused.code, refused.message[:120])


async def drain(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends, so that a disconnect is noticed."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


async def opened(
    websocket: WebSocket, core: CoreServices, handshake: Callable[[], Awaitable[T]]
) -> T | None:
    """Accept ``websocket`` and run its ``handshake``; None once a refusal has closed it."""
    if not core.hub.origin_allowed(websocket):
        await websocket.close(CLOSE_FORBIDDEN)
        return None
    await websocket.accept()
    try:
        return await handshake()
    except SocketRefused as refused:
        await refuse(websocket, refused)
    except VantageError:
        await refuse(websocket, SocketRefused(CLOSE_UNAVAILABLE, "UNAVAILABLE", "try again later"))
    return None
