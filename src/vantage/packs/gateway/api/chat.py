"""``POST /api/v1/chat/send`` and ``POST /api/v1/chat/stream`` (SSE)."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.responses import StreamingResponse

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.errors import Unavailable, VantageError, problem_body, request_id_of
from vantage.core.route_limits import anonymous_rate_limit
from vantage.packs.gateway.api.sse import SHUTTING_DOWN, sse_frame, sse_frames, sse_response
from vantage.packs.gateway.providers.base import ChatMessage, TextDelta
from vantage.packs.gateway.runtime import GatewayRuntimeDep
from vantage.packs.gateway.schemas import ChatRequest, ChatResponse
from vantage.packs.gateway.service import chat as chat_service
from vantage.packs.gateway.service.chat import problem_for
from vantage.packs.gateway.service.limits import REQUESTS_GROUP, limit_headers
from vantage.packs.gateway.service.routing import ChatInput
from vantage.packs.gateway.service.streams import (
    Interrupted,
    StreamItem,
    StreamOutcome,
    open_stream,
)

# Principals spend the gateway's own per-user and per-key quotas (``service.limits``).
router = APIRouter(
    prefix="/api/v1/chat",
    tags=["gateway"],
    dependencies=[Depends(anonymous_rate_limit(REQUESTS_GROUP))],
)


def _chat_input(body: ChatRequest) -> ChatInput:
    turns = [ChatMessage(role=m.role, content=m.content) for m in body.history]
    turns.append(ChatMessage(role="user", content=body.message))
    return ChatInput(
        model=body.route,
        messages=tuple(turns),
        temperature=body.temperature,
        max_tokens=body.max_tokens,
        session_id=body.session_id,
    )


NO_SPECIALIST: dict[int | str, dict[str, Any]] = {
    404: {"description": "The named specialist does not exist"}
}


@router.post("/send", response_model=ChatResponse, responses=NO_SPECIALIST)
async def send(
    body: ChatRequest, principal: ReadPrincipal, runtime: GatewayRuntimeDep, response: Response
) -> ChatResponse:
    """Send a message and wait for the whole answer."""
    result = await chat_service.send(runtime, principal, _chat_input(body), "send")
    response.headers.update(limit_headers(result.ctx.limits))
    response.headers["X-Vantage-Usage-Id"] = result.ctx.request_id
    specialist = result.ctx.plan.specialist if result.ctx.plan else None
    return ChatResponse(
        content=result.completion.text,
        specialist_id=specialist.id if specialist else None,
        specialist_slug=specialist.slug if specialist else None,
        specialist_name=specialist.name if specialist else None,
        provider=result.target.provider,
        model=result.target.model,
        input_tokens=result.usage.input_tokens,
        output_tokens=result.usage.output_tokens,
        cached_tokens=result.usage.cached_tokens,
        estimated_cost_usd=result.usage.cost_usd,
        unpriced=result.usage.unpriced,
        estimated=result.usage.estimated,
        latency_ms=result.ctx.elapsed_ms(),
        request_id=result.ctx.request_id,
        finish_reason=result.completion.finish_reason,
    )


def _done(outcome: StreamOutcome) -> str:
    usage = outcome.usage
    return json.dumps(
        {
            "request_id": outcome.request_id,
            "provider": outcome.target.provider,
            "model": outcome.target.model,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cached_tokens": usage.cached_tokens,
            "cost_usd": None if usage.cost_usd is None else str(usage.cost_usd),
            "unpriced": usage.unpriced,
            "estimated": usage.estimated,
            "latency_ms": outcome.latency_ms,
            "ttft_ms": outcome.ttft_ms,
            "finish_reason": outcome.finish_reason,
        },
        separators=(",", ":"),
    )


def _render(request: Request, item: StreamItem) -> bytes:
    if isinstance(item, TextDelta):
        return sse_frame(json.dumps({"delta": item.text}, separators=(",", ":")), "chunk")
    if isinstance(item, Interrupted):
        return _error_event(request, Unavailable(SHUTTING_DOWN), None)
    if item.error is None:
        return sse_frame(_done(item), "done")
    return _error_event(request, problem_for(item.error), item.request_id)


def _error_event(request: Request, problem: VantageError, usage_id: str | None) -> bytes:
    body = problem_body(
        status=problem.status,
        code=problem.code,
        title=problem.title,
        detail=problem.detail,
        instance=request.url.path,
        request_id=request_id_of(request),
        extra={**problem.extra, **({"usage_id": usage_id} if usage_id else {})},
    )
    return sse_frame(json.dumps(body, separators=(",", ":")), "error")


@router.post(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **NO_SPECIALIST},
)
async def stream(
    body: ChatRequest, principal: ReadPrincipal, runtime: GatewayRuntimeDep, request: Request
) -> StreamingResponse:
    """Stream the answer: ``chunk`` events, then ``done`` (tokens, cost, latency) or ``error``."""
    run = await open_stream(runtime, runtime.streams, principal, _chat_input(body), "stream")
    return sse_response(run, sse_frames(run, partial(_render, request)))
