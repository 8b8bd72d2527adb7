"""``POST /v1/chat/completions`` and ``GET /v1/models``: the official OpenAI client works as is.

Authenticate with a Vantage API key the way OpenAI clients send theirs
(``Authorization: Bearer vk_...``), with ``base_url`` pointing at ``<vantage>/v1``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.responses import StreamingResponse

from vantage.core.auth.dependencies import ReadPrincipal
from vantage.core.errors import VantageError, problem_response
from vantage.core.ratelimit import rate_limit
from vantage.core.route_limits import anonymous_rate_limit
from vantage.packs.gateway.api.chat import NO_SPECIALIST
from vantage.packs.gateway.api.openai_wire import (
    ChatCompletionRequest,
    ChunkWriter,
    completion_json,
    openai_error,
    to_chat_input,
)
from vantage.packs.gateway.api.rate_limit_groups import READ_GROUP
from vantage.packs.gateway.api.sse import SHUTTING_DOWN, sse_frame, sse_frames, sse_response
from vantage.packs.gateway.providers.base import TextDelta
from vantage.packs.gateway.runtime import GatewayRuntimeDep
from vantage.packs.gateway.service import chat as chat_service
from vantage.packs.gateway.service.chat import problem_for
from vantage.packs.gateway.service.limits import REQUESTS_GROUP, limit_headers
from vantage.packs.gateway.service.routing import SPECIALIST_PREFIX
from vantage.packs.gateway.service.specialists import active_specialist_slugs
from vantage.packs.gateway.service.streams import Interrupted, StreamItem, open_stream


class OpenAICompatibleRoute(APIRoute):
    """Problems from these routes also carry OpenAI's ``error`` member, which its clients show."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as error:
                errors = [
                    {
                        "loc": list(e.get("loc", ())),
                        "message": e.get("msg", ""),
                        "type": e.get("type", ""),
                    }
                    for e in error.errors()
                ]
                message = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['message']}" for e in errors
                )
                return problem_response(
                    request,
                    status=422,
                    detail=message,
                    errors=errors,
                    extra={"error": openai_error(message, "invalid_request_error", None)},
                )
            except VantageError as error:
                error.extra.setdefault(
                    "error",
                    openai_error(error.detail or error.title, error.code.lower(), error.code),
                )
                raise

        return handle


router = APIRouter(
    prefix="/v1", tags=["gateway (OpenAI-compatible)"], route_class=OpenAICompatibleRoute
)
DONE = "[DONE]"


def _render(writer: ChunkWriter, item: StreamItem) -> bytes:
    if isinstance(item, TextDelta):
        return sse_frame(writer.delta(item.text))
    if isinstance(item, Interrupted):
        error = openai_error(SHUTTING_DOWN, "server_shutdown", "UNAVAILABLE")
        return sse_frame(_json({"error": error}))
    if item.error is not None:
        problem = problem_for(item.error)
        error = openai_error(problem.detail or problem.title, "upstream_error", problem.code)
        return sse_frame(_json({"error": error}))
    frames = [sse_frame(writer.finish(item.finish_reason))]
    usage = writer.usage(item.usage)
    if usage is not None:
        frames.append(sse_frame(usage))
    frames.append(sse_frame(DONE))
    return b"".join(frames)


def _json(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"))


@router.post(
    "/chat/completions",
    response_model=None,
    responses=NO_SPECIALIST,
    dependencies=[Depends(anonymous_rate_limit(REQUESTS_GROUP))],  # principals: service.limits
)
async def chat_completions(
    body: ChatCompletionRequest,
    principal: ReadPrincipal,
    runtime: GatewayRuntimeDep,
    request: Request,
    session_id: Annotated[str | None, Header(alias="X-Session-ID", max_length=128)] = None,
) -> JSONResponse | StreamingResponse:
    """Chat completions; ``model`` is ``specialist:<slug>`` or ``<provider>/<model>``."""
    chat = to_chat_input(body, session_id)
    if body.stream:
        run = await open_stream(runtime, runtime.streams, principal, chat, "openai")
        writer = ChunkWriter(run.request_id, body.model, body.include_usage)
        frames = sse_frames(run, partial(_render, writer), opening=sse_frame(writer.role()))
        return sse_response(run, frames)
    result = await chat_service.send(runtime, principal, chat, "openai")
    headers = limit_headers(result.ctx.limits)
    headers["X-Vantage-Usage-Id"] = result.ctx.request_id
    return JSONResponse(
        completion_json(
            result.ctx.request_id,
            body.model,
            result.completion.text,
            result.completion.finish_reason,
            result.usage,
        ),
        headers=headers,
    )


# Chat completions count per principal (gateway.requests / gateway.tokens); listing is a read.
@router.get("/models", dependencies=[Depends(rate_limit(READ_GROUP))])
async def list_models(principal: ReadPrincipal, runtime: GatewayRuntimeDep) -> dict[str, Any]:
    """The models a client may name: the tenant's specialists and allow-listed direct routes."""
    slugs = await active_specialist_slugs(runtime.database, principal.tenant_id)
    data = [
        {"id": f"{SPECIALIST_PREFIX}{slug}", "object": "model", "created": 0, "owned_by": "vantage"}
        for slug in slugs
    ]
    if runtime.settings.direct_routing:
        for name, provider in sorted(runtime.registry.providers.items()):
            data += [
                {"id": f"{name}/{model}", "object": "model", "created": 0, "owned_by": name}
                for model in provider.info.models
            ]
    return {"object": "list", "data": data}
