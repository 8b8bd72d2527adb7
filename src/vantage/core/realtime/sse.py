"""``GET /api/v1/stream/{channel}``: a channel as Server-Sent Events, resumable by Last-Event-ID."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from sse_starlette.sse import SendTimeoutError
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from vantage.core.context import core_of
from vantage.core.errors import NotFound, Unauthorized, Unavailable, ValidationFailed
from vantage.core.openapi_schema import Documented
from vantage.core.realtime.channels import (
    CHANNEL_PATTERN,
    MAX_CHANNEL_LENGTH,
    InvalidChannelError,
    UnknownChannelError,
)
from vantage.core.realtime.clients import CLOSE_UNAUTHORIZED, Client, Replayed
from vantage.core.realtime.hub import Hub
from vantage.core.realtime.messages import Message, Position, sse_control_frame
from vantage.core.realtime.recheck import keep_checking
from vantage.core.realtime.recovery import Recovery

router = APIRouter(tags=["realtime"])


class SseClient(Client):
    """An SSE response: the outbound queue feeds the event stream."""

    transport = "sse"

    def render_control(self, op: str, fields: dict[str, Any]) -> bytes:
        return sse_control_frame(op, None, **fields)

    def push_subscribed(self, channel: str, recovery: Recovery) -> None:
        # The event's id is where the client stands once it has this event: after a recovery,
        # the position it resumed from (the replay follows); otherwise the channel's current
        # one. A reconnecting EventSource then resumes from there even if nothing else arrived.
        position = recovery.position
        stands_at = recovery.resumed_from if recovery.resumed_from is not None else position
        fields = {
            "channel": channel,
            "recovered": recovery.recovered,
            "epoch": position.epoch,
            "offset": position.offset,
        }
        self.push(sse_control_frame("subscribed", str(stands_at), **fields))

    async def events(self) -> AsyncIterator[bytes]:
        """Pre-encoded events; a message's bytes are shared by every SSE subscriber."""
        while (item := await self.next_item()) is not None:
            if type(item) is Message:
                self.observe(item)
                yield item.sse_frame
            elif type(item) is Replayed:
                yield item.message.sse_frame
            else:
                yield item  # type: ignore[misc]
        if self.closing == CLOSE_UNAUTHORIZED:
            yield sse_control_frame("error", None, code="UNAUTHORIZED", detail="credential refused")


def _ping() -> ServerSentEvent:
    return ServerSentEvent(comment="ping")


class _HubEventStream(EventSourceResponse):
    """An event stream that always detaches its client, however the response ends."""

    def __init__(self, hub: Hub, client: SseClient, credential: str) -> None:
        super().__init__(
            client.events(),
            ping=hub.config.sse_ping_seconds,
            ping_message_factory=_ping,
            send_timeout=hub.config.send_timeout_seconds,
            sep="\n",
        )
        self._hub = hub
        self._client = client
        self._credential = credential

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = self._client
        checker = asyncio.create_task(
            keep_checking(
                self._hub,
                client,
                lambda: self._credential,
                lambda: client.close(CLOSE_UNAUTHORIZED),
            )
        )
        try:
            await super().__call__(scope, receive, send)
        except SendTimeoutError:
            client.close_slow()
        finally:
            checker.cancel()
            await self._hub.detach(client)


def _credential(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    api_key = request.headers.get("x-api-key", "").strip()
    if api_key:
        return api_key
    raise Unauthorized(
        "send Authorization: Bearer <token> or X-API-Key: <key>",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _resume_from(request: Request) -> Position | None:
    value = request.headers.get("last-event-id")
    if not value:
        return None
    try:
        return Position.parse(value)
    except ValueError as error:
        raise ValidationFailed.field(["header", "Last-Event-ID"], str(error)) from error


@router.get(
    "/api/v1/stream/{channel}",
    summary="Stream one channel as Server-Sent Events",
    response_class=Response,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "An event stream"},
        401: {"description": "Missing or refused credentials"},
        403: {"description": "The credentials may not subscribe to this channel"},
    },
)
async def stream_channel(
    channel: Annotated[str, Documented(pattern=CHANNEL_PATTERN, maxLength=MAX_CHANNEL_LENGTH)],
    request: Request,
) -> Response:
    """Events have ``id: <epoch>:<offset>``; reconnect with ``Last-Event-ID`` to resume."""
    hub = core_of(request).hub
    if not hub.accepting:
        raise Unavailable("the server is shutting down")
    credential = _credential(request)
    try:
        principal = await hub.authenticator(credential)
    except Unauthorized as error:
        error.headers.setdefault("WWW-Authenticate", "Bearer")
        raise
    since = _resume_from(request)
    client = SseClient(principal, hub.config.queue_size, hub.metrics)
    hub.attach(client)
    try:
        await hub.subscribe(client, channel, since)
    except InvalidChannelError as error:
        await hub.detach(client)
        raise ValidationFailed.field(["path", "channel"], str(error)) from error
    except UnknownChannelError as error:
        await hub.detach(client)
        raise NotFound(str(error)) from error
    except BaseException:
        await hub.detach(client)
        raise
    return _HubEventStream(hub, client, credential)
