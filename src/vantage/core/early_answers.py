"""Answers given before routing, for the few requests that dashboards repeat many times a second.

Routing and dependency solving cost a FastAPI route several times what a cheap answer itself
costs. Two kinds of GET are answered here instead, with the same authentication, scope check,
rate limit and response as their route would give:

- a revalidation (``If-None-Match``) whose validator the route remembered and that is still
  current (``vantage.core.revalidation``): 304;
- a *hot read* a pack registered: an answer kept in memory, such as the trading pack's latest
  metrics snapshot, for a URL without a query string.

One kind of POST is answered here too: an *early post* a pack registered, an intake that senders
call at a high rate without credentials, such as the delivery pack's GitHub webhook receiver.
The core spends the route's rate limit for the sender's address, reads the body, and renders
the pack's errors as the route's exception handlers would.

Whenever this path cannot answer exactly as the route would (no or a bad credential, a missing
scope, a spent rate limit, nothing current to answer with, a credential on an early post, a
query string the pack leaves to the route), the request goes on to the route untouched, and
the route answers. The middleware sits inside the request-id, security-header and
metrics middlewares, so what they add applies to these answers too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from vantage.core.auth.dependencies import authenticate_credential, presented_credential
from vantage.core.auth.principal import Principal
from vantage.core.auth.principal import Scope as AuthScope
from vantage.core.cache import etag_matches
from vantage.core.context import CoreServices
from vantage.core.errors import VantageError
from vantage.core.problems import error_response
from vantage.core.ratelimit import STATE_DECISIONS, identity_of, principal_identity
from vantage.core.revalidation import Validators

RawHeaders = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class RouteLabel:
    """Stands for the route in ``scope["route"]``, which the request metrics are labelled by."""

    path: str


@dataclass(frozen=True)
class HotRead:
    """A GET a pack answers from memory: ``answer`` gives the body, or None to let the route."""

    path: str
    scope: AuthScope
    rate_limit_group: str | None
    answer: Callable[[Principal], Awaitable[bytes | None]]
    media_type: str = "application/json"
    cache_control: str = "no-store"
    route: RouteLabel = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "route", RouteLabel(self.path))


@dataclass(frozen=True)
class EarlyPost:
    """A POST a pack answers before routing, for senders without credentials.

    ``accepts`` looks at the request before its body is read: False leaves it to the route.
    ``answer`` gets the request and its body and gives the response, or raises what the route
    would raise.
    """

    path: str
    rate_limit_group: str
    accepts: Callable[[Request], bool]
    answer: Callable[[Request, bytes], Awaitable[Response]]
    route: RouteLabel = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "route", RouteLabel(self.path))


class EarlyAnswers:
    """What the middleware answers from: remembered validators and registered hot reads."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.validators = Validators()
        self.hot_reads: dict[str, HotRead] = {}
        self.posts: dict[str, EarlyPost] = {}
        self.answered = Counter(
            "vantage_early_answers",
            "Requests answered before routing, by kind (revalidation, hot_read, post)",
            ["kind"],
            registry=registry,
        )
        self.revalidations_answered = self.answered.labels("revalidation")
        self.hot_reads_answered = self.answered.labels("hot_read")
        self.posts_answered = self.answered.labels("post")

    def register(self, read: HotRead) -> None:
        self.hot_reads[read.path] = read

    def register_post(self, post: EarlyPost) -> None:
        self.posts[post.path] = post


class EarlyAnswerMiddleware:
    """Answers a request from the core's ``early_answers`` or passes it on untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            method = scope["method"]
            if method == "GET" and await _answered(scope, send):
                return
            if method == "POST" and await _posted(scope, receive, send):
                return
        await self.app(scope, receive, send)


async def _posted(scope: Scope, receive: Receive, send: Send) -> bool:
    answers: EarlyAnswers = scope["app"].state.core.early_answers
    post = answers.posts.get(scope["path"])
    if post is None:
        return False
    request = Request(scope, receive)
    try:
        credential = presented_credential(request.headers)
    except VantageError:
        return False
    if credential is not None or not post.accepts(request):
        return False
    if not await _admitted(scope, None, post.rate_limit_group):
        return False
    try:
        response = await post.answer(request, await request.body())
    except Exception as error:
        rendered = error_response(request, error)
        if rendered is None:
            raise
        response = rendered
    scope["route"] = post.route
    answers.posts_answered.inc()
    await response(scope, receive, send)
    return True


async def _answered(scope: Scope, send: Send) -> bool:
    core: CoreServices = scope["app"].state.core
    answers = core.early_answers
    hot = answers.hot_reads.get(scope["path"]) if not scope["query_string"] else None
    if hot is None and not len(answers.validators):
        return False
    headers = Headers(scope=scope)
    if_none_match = headers.get("if-none-match")
    if hot is None and if_none_match is None:
        return False
    principal = await _principal(scope, headers)
    if principal is None:
        return False
    if hot is not None:
        return await _hot_read(scope, send, answers, hot, principal)
    assert if_none_match is not None
    validator = answers.validators.current(principal.tenant_id, scope, core.database.watermarks)
    if (
        validator is None
        or not principal.has(validator.scope)
        or not etag_matches(if_none_match, validator.etag)
        or not await _admitted(scope, principal, validator.rate_limit_group)
    ):
        return False
    scope["route"] = RouteLabel(validator.route_path or "")
    answers.revalidations_answered.inc()
    etag, control = validator.etag.encode(), validator.cache_control.encode()
    await _respond(send, 304, [(b"etag", etag), (b"cache-control", control)])
    return True


async def _hot_read(
    scope: Scope, send: Send, answers: EarlyAnswers, hot: HotRead, principal: Principal
) -> bool:
    if not principal.has(hot.scope):
        return False
    body = await hot.answer(principal)
    if body is None or not await _admitted(scope, principal, hot.rate_limit_group):
        return False
    scope["route"] = hot.route
    answers.hot_reads_answered.inc()
    headers = [
        (b"content-length", str(len(body)).encode()),
        (b"content-type", hot.media_type.encode()),
        (b"cache-control", hot.cache_control.encode()),
    ]
    await _respond(send, 200, headers, body)
    return True


async def _respond(send: Send, status: int, headers: RawHeaders, body: bytes = b"") -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _principal(scope: Scope, headers: Headers) -> Principal | None:
    """The caller, kept in the request state for the route when this path does not answer."""
    try:
        credential = presented_credential(headers)
        if credential is None:
            return None
        principal = await authenticate_credential(scope["app"], credential)
    except VantageError:
        return None  # the route answers it: the one 401 of bad credentials, or a 503
    scope.setdefault("state", {})["principal"] = principal
    return principal


async def _admitted(scope: Scope, principal: Principal | None, group: str | None) -> bool:
    """Spend one request of the route's rate-limit group for the principal, or the client's
    address without one; a refusal is left to the route.

    A refused check is not counted, so the route's own check refuses too and answers 429.
    """
    core: CoreServices = scope["app"].state.core
    if group is None or not core.settings.rate_limit_enabled:
        return True
    identity = principal_identity(principal) if principal else identity_of(HTTPConnection(scope))
    decision = await core.rate_limiter.check(group, identity)
    if not decision.allowed:
        return False
    scope.setdefault("state", {}).setdefault(STATE_DECISIONS, []).append(decision)
    return True
