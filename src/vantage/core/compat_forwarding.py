"""Forwarding one compatibility request to its ``/api/v1`` route inside the process.

The alias's scope is copied with the target's path, the adapted query string and body, and
handed to the application's router: the target route runs its own dependencies (credentials,
scope, rate limit, conditional read) and exception handlers exactly as for a direct call. Its
answer is reshaped on the way out: a JSON body through the answer adapter, a problem document
through the error adapter, a server-sent event stream event by event as it is produced.

The alias's representation differs from the target's, so its ``ETag`` gets a suffix (and the
suffix is taken off an ``If-None-Match`` before it reaches the target): a cache never mixes the
two, and revalidating an alias is as cheap as revalidating the route.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

ETAG_SUFFIX = ".compat"
_JSON_TYPES = ("application/json", "application/problem+json")


def _compat_etag(etag: str) -> str:
    return f'{etag[:-1]}{ETAG_SUFFIX}"' if etag.endswith('"') else etag


def _route_etags(header: str) -> str:
    return header.replace(f'{ETAG_SUFFIX}"', '"')


def _encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


class EventReframer:
    """Splits a server-sent event stream into events and writes each one adapted."""

    def __init__(self, adapt: Callable[[str, Any], tuple[str, Any] | None]) -> None:
        self._adapt = adapt
        self._pending = b""

    def feed(self, chunk: bytes) -> bytes:
        """The adapted events completed by ``chunk``."""
        self._pending += chunk.replace(b"\r\n", b"\n")
        *events, self._pending = self._pending.split(b"\n\n")
        return b"".join(self._event(raw) for raw in events)

    def _event(self, raw: bytes) -> bytes:
        name, data, kept = "message", [], []
        for line in raw.decode().split("\n"):
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
            else:
                kept.append(line)  # comments (keep-alive pings) and ids pass unchanged
        if not data:
            return raw + b"\n\n"
        text = "\n".join(data)
        try:
            parsed: Any = json.loads(text)
        except ValueError:
            parsed = text
        adapted = self._adapt(name, parsed)
        if adapted is None:
            return b""
        event, payload = adapted
        body = payload if isinstance(payload, str) else _encode(payload).decode()
        lines = [*[line for line in kept if line], f"event: {event}", f"data: {body}"]
        return ("\n".join(lines) + "\n\n").encode()


@dataclass(frozen=True)
class Reshaping:
    """How an answer of the target route is reshaped for the alias."""

    answer: Callable[[Any], Any]
    events: Callable[[str, Any], tuple[str, Any] | None]
    error: Callable[[Any], Any]


class ForwardedCall(Response):
    """An answer produced by running the target route and reshaping what it sends."""

    def __init__(
        self,
        *,
        target: str,
        query: list[tuple[str, str]],
        body: bytes,
        body_adapter: Callable[[Any], Any],
        reshaping: Reshaping,
    ) -> None:
        super().__init__()
        self._target = target
        self._query = query
        self._body = _adapted_body(body, body_adapter)
        self._reshaping = reshaping

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        inner = self._inner_scope(scope)
        await scope["app"].router(
            inner, self._receive(receive), _Reshaper(self._reshaping, send).send
        )

    def _inner_scope(self, scope: Scope) -> Scope:
        headers = MutableHeaders(raw=list(scope["headers"]))
        headers["content-length"] = str(len(self._body))
        if "if-none-match" in headers:
            headers["if-none-match"] = _route_etags(headers["if-none-match"])
        inner = {k: v for k, v in scope.items() if k not in ("route", "endpoint", "path_params")}
        inner.update(
            path=self._target,
            raw_path=quote(self._target).encode(),
            query_string=urlencode(self._query).encode(),
            headers=headers.raw,
        )
        return inner

    def _receive(self, receive: Receive) -> Receive:
        sent = False

        async def forwarded() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": self._body, "more_body": False}
            return await receive()

        return forwarded


def _adapted_body(body: bytes, adapter: Callable[[Any], Any]) -> bytes:
    if not body:
        return body
    try:
        parsed = json.loads(body)
    except ValueError:
        return body  # the target route answers a malformed body with its own 422
    return _encode(adapter(parsed))


class _Reshaper:
    """The ``send`` handed to the target route: adapts its answer before it leaves."""

    def __init__(self, reshaping: Reshaping, send: Send) -> None:
        self._reshaping = reshaping
        self._send = send
        self._start: Message | None = None
        self._mode = "pass"
        self._buffer = b""
        self._reframer = EventReframer(reshaping.events)

    async def send(self, message: Message) -> None:
        """Take one ASGI message of the target route's answer."""
        if message["type"] == "http.response.start":
            await self._begin(message)
        elif message["type"] == "http.response.body":
            await self._body(message)
        else:
            await self._send(message)

    async def _begin(self, message: Message) -> None:
        headers = MutableHeaders(raw=list(message.get("headers", [])))
        if "etag" in headers:
            headers["etag"] = _compat_etag(headers["etag"])
        kind = headers.get("content-type", "").split(";")[0].strip()
        status = message["status"]
        if kind == "text/event-stream":
            self._mode = "events"
        elif kind in _JSON_TYPES and status != 304:
            self._mode = "error" if status >= 400 else "answer"
        if self._mode != "pass" and "content-length" in headers:
            del headers["content-length"]
        if kind == "application/problem+json":
            headers["content-type"] = "application/json"
        self._start = {**message, "headers": headers.raw}
        if self._mode in ("pass", "events"):
            await self._send(self._start)

    async def _body(self, message: Message) -> None:
        chunk: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        if self._mode == "pass":
            await self._send(message)
        elif self._mode == "events":
            await self._send(
                {
                    "type": "http.response.body",
                    "body": self._reframer.feed(chunk),
                    "more_body": more,
                }
            )
        else:
            self._buffer += chunk
            if not more:
                await self._finish()

    async def _finish(self) -> None:
        assert self._start is not None
        adapt = self._reshaping.error if self._mode == "error" else self._reshaping.answer
        body = _encode(adapt(json.loads(self._buffer))) if self._buffer else b""
        headers = MutableHeaders(raw=list(self._start["headers"]))
        headers["content-length"] = str(len(body))
        await self._send({**self._start, "headers": headers.raw})
        await self._send({"type": "http.response.body", "body": body, "more_body": False})
