"""``GET /ws``: first-message auth, then subscribe / unsubscribe / publish / ping ops.

Each connection runs a reader (client ops) and a writer (the outbound queue); a close from the
server (slow consumer, forbidden channel, shutdown) runs in a task of its own so it never waits
behind a send that a stalled client blocks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import structlog
from fastapi import APIRouter, WebSocket
from pydantic import ValidationError
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect

from vantage.core.auth.principal import Principal
from vantage.core.context import core_of
from vantage.core.errors import Forbidden, Unauthorized, VantageError, problem_response
from vantage.core.realtime import eager
from vantage.core.realtime.channels import InvalidChannelError, UnknownChannelError
from vantage.core.realtime.clients import (
    CLOSE_FORBIDDEN,
    CLOSE_GOING_AWAY,
    CLOSE_INTERNAL_ERROR,
    CLOSE_MESSAGE_TOO_BIG,
    CLOSE_POLICY_VIOLATION,
    CLOSE_REASONS,
    CLOSE_TRY_AGAIN_LATER,
    CLOSE_UNAUTHORIZED,
    Client,
    Replayed,
)
from vantage.core.realtime.hub import Handled, Hub
from vantage.core.realtime.message_rate import MessageRate
from vantage.core.realtime.messages import Message, control_frame, now_ms
from vantage.core.realtime.protocol import (
    AuthOp,
    ClientOp,
    PingOp,
    PublishOp,
    SubscribeOp,
    UnsubscribeOp,
    describe,
    parse_op,
)
from vantage.core.realtime.recheck import current_principal, keep_checking

logger = structlog.get_logger("vantage.realtime")
router = APIRouter()


class WebSocketClient(Client):
    """A WebSocket connection after authentication."""

    transport = "ws"

    def __init__(
        self, hub: Hub, websocket: WebSocket, send: Send, principal: Principal, credential: str
    ) -> None:
        super().__init__(principal, hub.config.queue_size, hub.metrics)
        self.hub = hub
        self.credential = credential
        self.websocket = websocket
        # The server's own ASGI send: frames skip the per-message checks of WebSocket.send.
        self._send = send
        self._finished = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._closer: asyncio.Task[None] | None = None
        self._clock = asyncio.get_running_loop().time
        self._rate = MessageRate(hub.config.max_messages_per_second, self._clock)
        # The writer waits for work; an idle writer lets fan-out send directly (see eager.py).
        self._writer_idle = False
        # A direct send that suspended (the connection was not writable), left for the writer.
        self._unfinished: tuple[Awaitable[None], Any, Message] | None = None

    def render_control(self, op: str, fields: dict[str, Any]) -> str:
        return control_frame(op, **fields)

    def offer(self, message: Message) -> None:
        idle = self._writer_idle and self._unfinished is None and self.closing is None
        if idle and not self.pending:
            self._send_now(message)
        else:
            super().offer(message)

    def _send_now(self, message: Message) -> None:
        """Send from the publisher's own task; only a send that has to wait involves the writer."""
        sending = self._send({"type": "websocket.send", "text": message.ws_frame})
        try:
            pending = eager.start(sending)
        except (WebSocketDisconnect, OSError, RuntimeError):
            self._connection_lost()
            return
        if pending is eager.COMPLETED:
            self.observe(message)
            return
        self.send_started = self._clock()
        self._unfinished = (sending, pending, message)
        self._wakeup.set()

    def _connection_lost(self) -> None:
        Client.close(self, CLOSE_GOING_AWAY)
        self._finished.set()

    def close(self, code: int) -> None:
        if self.closing is not None:
            return
        super().close(code)
        if self._unfinished is not None:
            eager.abandon(self._unfinished[0])
            self._unfinished = None
        if self._writer is not None:
            # A writer stuck in a send to a stalled client would hold the close back forever.
            self._writer.cancel()
        self._closer = asyncio.create_task(self._send_close(code))

    async def _send_close(self, code: int) -> None:
        try:
            async with asyncio.timeout(self.hub.config.close_timeout_seconds):
                await self.websocket.close(code, CLOSE_REASONS.get(code, ""))
        except Exception as error:  # the peer is gone or never read again: nothing left to do
            logger.debug("realtime close not delivered", code=code, error=repr(error))
        finally:
            self._finished.set()

    async def run(self) -> None:
        """Serve the connection until either side closes it."""
        self._writer = asyncio.create_task(self._write_loop())
        reader = asyncio.create_task(self._read_loop())
        for task in (self._writer, reader):
            task.add_done_callback(lambda _: self._finished.set())
        checker = asyncio.create_task(
            keep_checking(
                self.hub, self, lambda: self.credential, lambda: self.close(CLOSE_UNAUTHORIZED)
            )
        )
        try:
            await self._finished.wait()
        finally:
            reader.cancel()
            self._writer.cancel()
            checker.cancel()
            await asyncio.gather(reader, self._writer, checker, return_exceptions=True)
            if self._closer is not None:
                await asyncio.gather(self._closer, return_exceptions=True)

    async def _write_loop(self) -> None:
        send = self._send
        try:
            while self.closing is None:
                if self._unfinished is not None:
                    sending, pending, message = self._unfinished
                    await eager.finish(sending, pending)
                    self._unfinished = None
                    self.send_started = 0.0
                    self.observe(message)
                elif not self.pending:
                    self._wakeup.clear()
                    self._writer_idle = True
                    try:
                        await self._wakeup.wait()
                    finally:
                        self._writer_idle = False
                else:
                    item = self.pop()
                    if type(item) is Message:
                        self.observe(item)
                        frame: Any = item.ws_frame
                    elif type(item) is Replayed:
                        frame = item.message.ws_frame
                    else:
                        frame = item
                    self.send_started = self._clock()
                    await send({"type": "websocket.send", "text": frame})
                    self.send_started = 0.0
        except (WebSocketDisconnect, OSError, RuntimeError):
            return  # the connection is gone; the reader sees the disconnect too

    async def _read_loop(self) -> None:
        limit = self.hub.config.max_inbound_bytes
        while self.closing is None:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            payload = message.get("text") or message.get("bytes") or b""
            if len(payload) > limit:
                self.close(CLOSE_MESSAGE_TOO_BIG)
                return
            if not self._rate.admit():
                if self._rate.persistent:
                    self.close(CLOSE_POLICY_VIOLATION)
                    return
                self.push_control("error", code="RATE_LIMITED", detail="too many messages")
                continue
            try:
                await self._dispatch(parse_op(payload))
            except ValidationError as error:
                self.push_control("error", code="VALIDATION_ERROR", detail=describe(error))
            except Exception:
                logger.exception("realtime op failed")
                self.close(CLOSE_INTERNAL_ERROR)

    async def _dispatch(self, op: ClientOp) -> None:
        if isinstance(op, PingOp):
            self.push_control("pong", ts=now_ms())
            return
        if isinstance(op, AuthOp):
            await self._reauthenticate(op.token)
            return
        try:
            await self._channel_op(op)
        except Forbidden:
            self.close(CLOSE_FORBIDDEN)
        except InvalidChannelError as error:
            self._error("VALIDATION_ERROR", str(error), op.channel)
        except UnknownChannelError as error:
            self._error("NOT_FOUND", str(error), op.channel)
        except VantageError as error:
            self._error(error.code, error.detail or error.title, op.channel)

    async def _channel_op(self, op: SubscribeOp | UnsubscribeOp | PublishOp) -> None:
        if isinstance(op, SubscribeOp):
            since = op.since.position() if op.since else None
            await self.hub.subscribe(self, op.channel, since)
        elif isinstance(op, UnsubscribeOp):
            if await self.hub.unsubscribe(self, op.channel):
                self.push_control("unsubscribed", channel=op.channel)
            else:
                self._error("NOT_FOUND", f"not subscribed to {op.channel!r}", op.channel)
        else:
            outcome = await self.hub.publish_from(self, op.channel, op.data)
            if isinstance(outcome, Handled):
                self.push_control("published", channel=op.channel, result=outcome.result)
            else:
                self.push_control(
                    "published", channel=op.channel, epoch=outcome.epoch, offset=outcome.offset
                )

    async def _reauthenticate(self, token: str) -> None:
        # A fresh credential of the same user or key extends the session, subscriptions kept.
        refreshed = await current_principal(self.hub, self, token)
        if refreshed is None:
            self.push_control("error", code="UNAUTHORIZED", detail="credential refused")
            return
        self.principal, self.credential = refreshed, token
        self.push_control("authenticated")

    def _error(self, code: str, detail: str, channel: str) -> None:
        self.push_control("error", code=code, detail=detail, channel=channel)


async def _deny(websocket: WebSocket, status: int, detail: str) -> None:
    """Refuse the handshake with an HTTP problem (or a plain 403 where the server cannot)."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(
            problem_response(websocket, status=status, detail=detail)
        )
    else:
        await websocket.close()


async def _authenticate(hub: Hub, websocket: WebSocket) -> tuple[Principal, str] | None:
    """The first message must be ``{"op":"auth","token":...}`` within the auth timeout."""
    code = CLOSE_UNAUTHORIZED
    try:
        async with asyncio.timeout(hub.config.auth_timeout_seconds):
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return None
            op = AuthOp.model_validate_json(message.get("text") or message.get("bytes") or b"")
            return await hub.authenticator(op.token), op.token
    except (TimeoutError, ValidationError, Unauthorized):
        pass
    except VantageError:
        code = CLOSE_TRY_AGAIN_LATER  # e.g. the credential store is unavailable
    except Exception:
        logger.exception("realtime authentication failed")
        code = CLOSE_INTERNAL_ERROR
    with hub.suppressed_errors.passing_over("realtime.ws.close_unauthenticated", logger=logger):
        await websocket.close(code, CLOSE_REASONS[code])
    return None


async def serve_socket(hub: Hub, websocket: WebSocket, send: Send) -> None:
    """One connection: origin check, handshake, first-message auth, then the protocol."""
    if not hub.accepting:
        await _deny(websocket, 503, "the server is shutting down")
        return
    if not hub.origin_allowed(websocket):
        await _deny(websocket, 403, "this origin may not open a WebSocket here")
        return
    await websocket.accept()
    authenticated = await _authenticate(hub, websocket)
    if authenticated is None:
        return
    client = WebSocketClient(hub, websocket, send, *authenticated)
    hub.attach(client)
    try:
        await client.run()
    finally:
        await hub.detach(client)


class RealtimeSocket:
    """``GET /ws`` as a plain ASGI app, so the connection's ``send`` reaches fan-out unwrapped."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await serve_socket(core_of(websocket).hub, websocket, send)


router.add_websocket_route("/ws", RealtimeSocket(), name="realtime_socket")  # type: ignore[arg-type]
