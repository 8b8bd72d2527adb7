"""HTTP hardening: request body limits, security and rate-limit headers, WebSocket origins."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vantage.config import Settings
from vantage.core.errors import PROBLEM_MEDIA_TYPE, problem_response
from vantage.core.ratelimit import STATE_DECISIONS, decision_headers

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Swagger UI and ReDoc load their bundles and styles from this server (``core.docs``) and start
# from an inline script, allowed by its hash (computed from the page actually served), not by
# 'unsafe-inline'. Both set inline styles; ReDoc builds its search index in a blob: worker.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' {script_hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; worker-src blob:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
# The web UI's pages (``/`` for browsers, ``/ui/...``): scripts, styles and connections only from
# this origin, nothing inline.
UI_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
STATIC_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
HSTS = "max-age=63072000; includeSubDomains"
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.DOTALL | re.I)
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


class BodyLimits:
    """Largest accepted request body: a default, with overrides for path prefixes."""

    def __init__(self, default: int, by_prefix: Mapping[str, int] | None = None) -> None:
        self.default = default
        self._by_prefix: dict[str, int] = {}
        for prefix, size in (by_prefix or {}).items():
            self.set_prefix(prefix, size)

    def set_prefix(self, prefix: str, max_bytes: int) -> None:
        """Give every path under ``prefix`` its own limit (packs call this from their lifespan)."""
        if not prefix.startswith("/") or max_bytes < 1:
            raise ValueError("a body limit needs a path prefix starting with / and bytes >= 1")
        self._by_prefix[prefix.rstrip("/") or "/"] = max_bytes

    def for_path(self, path: str) -> int:
        """The limit of the longest prefix that contains ``path`` (whole segments only)."""
        best, best_length = self.default, -1
        for prefix, size in self._by_prefix.items():
            inside = prefix == "/" or path == prefix or path.startswith(prefix + "/")
            if inside and len(prefix) > best_length:
                best, best_length = size, len(prefix)
        return best


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a streamed body passes its limit; rendered as a 413 problem."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413, f"The request body exceeds the limit of {limit} bytes.", {"Connection": "close"}
        )


def _declared_length(scope: Scope) -> int | None:
    """The Content-Length; None when the body's length is not declared (chunked); 0 when the
    request has no body at all (neither header, RFC 9112 section 6.3)."""
    length: int | None = 0
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server rejects malformed lengths itself
        if name == b"transfer-encoding":
            length = None
    return length


class BodyLimitMiddleware:
    """Refuses bodies over the limit: by Content-Length before reading, else while streaming.

    Nothing is buffered here; chunks pass through as they arrive and only their sizes are added.
    """

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_path(scope["path"])
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, BodyTooLarge(limit))
            return
        if declared is not None:
            # The server itself never passes on more than the declared length.
            await self.app(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge as error:
            # Normally the exception handlers render it; this catches code that let it escape.
            if started:
                raise
            await self._refuse(scope, receive, send, error)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, error: BodyTooLarge) -> None:
        response = problem_response(
            Request(scope), status=413, detail=error.detail, headers=error.headers
        )
        await response(scope, receive, send)


def _script_hashes(html: bytes) -> str:
    digests = (hashlib.sha256(body).digest() for body in _INLINE_SCRIPT.findall(html))
    return " ".join(f"'sha256-{base64.b64encode(digest).decode()}'" for digest in digests)


class ResponseHeadersMiddleware:
    """Adds security headers to every response, rate-limit headers to limited routes' responses,
    and ``Cache-Control: no-store`` to problem responses."""

    def __init__(self, app: ASGIApp, *, production: bool, docs_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.static = dict(STATIC_SECURITY_HEADERS)
        if production:
            self.static["Strict-Transport-Security"] = HSTS
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})

        ui_path = scope["path"] == "/" or scope["path"].startswith("/ui/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._add_headers(message, state, ui_path)
            await send(message)

        if self._is_docs_page(scope):
            await self.app(scope, receive, _DocsPageSender(send_with_headers).send)
        else:
            await self.app(scope, receive, send_with_headers)

    def _is_docs_page(self, scope: Scope) -> bool:
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        return path in self.docs_paths

    def _add_headers(self, message: Message, state: Mapping[str, object], ui_path: bool) -> None:
        message.setdefault("headers", [])
        headers = MutableHeaders(scope=message)
        for name, value in self.static.items():
            headers.setdefault(name, value)
        ui_page = ui_path and headers.get("content-type", "").startswith("text/html")
        headers.setdefault("Content-Security-Policy", UI_CSP if ui_page else API_CSP)
        if headers.get("content-type", "").startswith(PROBLEM_MEDIA_TYPE):
            headers.setdefault("Cache-Control", "no-store")
        decisions = state.get(STATE_DECISIONS)
        if isinstance(decisions, list):
            for name, value in decision_headers(decisions).items():
                headers.setdefault(name, value)


class _DocsPageSender:
    """Holds a docs page (a few kilobytes of HTML) until complete to allow its inline scripts."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._start: Message | None = None
        self._chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._start = message
            return
        if message["type"] != "http.response.body" or self._start is None:
            await self._send(message)
            return
        self._chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(self._chunks)
        headers = MutableHeaders(scope=self._start)
        if headers.get("content-type", "").startswith("text/html"):
            headers["Content-Security-Policy"] = DOCS_CSP.format(script_hashes=_script_hashes(body))
        await self._send(self._start)
        await self._send({"type": "http.response.body", "body": body, "more_body": False})


def _origin_key(scheme: str, host: str | None, port: int | None) -> tuple[str, int] | None:
    if not host or scheme not in DEFAULT_PORTS:
        return None
    return host.lower(), port or DEFAULT_PORTS[scheme]


def origin_allowed(source: HTTPConnection | Mapping[str, str], settings: Settings) -> bool:
    """Whether a WebSocket handshake's Origin may connect: same origin or in CORS_ORIGINS.

    No Origin header means a non-browser client, which cross-site requests cannot forge.
    """
    headers = source.headers if isinstance(source, HTTPConnection) else Headers(dict(source))
    origin = headers.get("origin")
    if origin is None:
        return True
    allowed = {entry.rstrip("/").lower() for entry in settings.cors_origins}
    if "*" in allowed or origin.rstrip("/").lower() in allowed:
        return True
    try:
        parts = urlsplit(origin.strip())
        host = urlsplit(f"//{headers.get('host', '')}")
        origin_key = _origin_key(parts.scheme.lower(), parts.hostname, parts.port)
        host_key = _origin_key(parts.scheme.lower(), host.hostname, host.port)
    except ValueError:  # a malformed port or bracket
        return False
    return origin_key is not None and origin_key == host_key
