"""Answers given before routing, for the few requests that dashboards repeat many times a second.

Routing and dependency solving cost a FastAPI route several times what a cheap answer itself
costs. Two kinds of GET are answered here instead, with the same authentication, scope check,
rate limit and response as their route would give:

- a revalidation (``If-None-Match``) whose validator the route remembered and that is still
  current (``vantage.core.revalidation``): 304;
- a *hot read* a pack registered: an answer kept in memory, such as the trading pack's latest
  metrics snapshot, for a URL without a query string.

Whenever this path cannot answer exactly as the route would (no or a bad credential, a missing
scope, a spent rate limit, nothing current to answer with), the request goes on to the route
untouched, and the route answers. The middleware sits inside the request-id, security-header and
metrics middlewares, so what they add applies to these answers too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from vantage.core.auth.dependencies import authenticate_credential, presented_credential
from vantage.core.auth.principal import Principal
from vantage.core.auth.principal import Scope as AuthScope
from vantage.core.cache import etag_matches
from vantage.core.context import CoreServices
from vantage.core.errors import VantageError
from vantage.core.ratelimit import STATE_DECISIONS, principal_identity
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


class EarlyAnswers:
    """What the middleware answers from: remembered validators and registered hot reads."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.validators = Validators()
        self.hot_reads: dict[str, HotRead] = {}
        self.answered = Counter(
            "vantage_early_answers",
            "Requests answered before routing, by kind (revalidation, hot_read)",
            ["kind"],
            registry=registry,
        )
        self.revalidations_answered = self.answered.labels("revalidation")
        self.hot_reads_answered = self.answered.labels("hot_read")

    def register(self, read: HotRead) -> None:
        self.hot_reads[read.path] = read


class EarlyAnswerMiddleware:
    """Answers a request from the core's ``early_answers`` or passes it on untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and await _answered(scope, send):
            return
        await self.app(scope, receive, send)


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


async def _admitted(scope: Scope, principal: Principal, group: str | None) -> bool:
    """Spend one request of the route's rate-limit group; a refusal is left to the route.

    A refused check is not counted, so the route's own check refuses too and answers 429.
    """
    core: CoreServices = scope["app"].state.core
    if group is None or not core.settings.rate_limit_enabled:
        return True
    decision = await core.rate_limiter.check(group, principal_identity(principal))
    if not decision.allowed:
        return False
    scope.setdefault("state", {}).setdefault(STATE_DECISIONS, []).append(decision)
    return True
