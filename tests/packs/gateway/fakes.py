"""Fake OpenAI and Anthropic servers speaking the real wire formats, on 127.0.0.1.

Replies are deterministic: ``reply_words`` words (or ``max_tokens`` if fewer), one word per
streamed chunk; usage is ``prompt_tokens = PROMPT_BASE + words in the prompt`` and
``completion_tokens = words sent``, so tests know the exact upstream counts. Scripted failures
(``fail_next``) answer with the provider's own error bodies; ``chunk_delay`` makes slow streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from uvicorn.config import LifespanType

PROMPT_BASE = 7
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]


@dataclass
class Failure:
    status: int
    message: str = "scripted failure"
    retry_after: float | None = None
    mid_stream: bool = False


@dataclass
class FakeBehaviour:
    """What the fake does; tests change it between requests."""

    reply_words: int = 12
    first_delay: float = 0.0
    chunk_delay: float = 0.0
    # Streams pause this long after ``stall_after`` words (an upstream that hangs).
    stall_after: int | None = None
    stall_seconds: float = 0.0
    failures: list[Failure] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    completed_streams: int = 0
    cancelled_streams: int = 0

    def fail_next(self, status: int, count: int = 1, **kwargs: Any) -> None:
        self.failures.extend(Failure(status, **kwargs) for _ in range(count))

    def _next_failure(self) -> Failure | None:
        return self.failures.pop(0) if self.failures else None


async def _pace(behaviour: FakeBehaviour, index: int) -> None:
    if behaviour.chunk_delay:
        await asyncio.sleep(behaviour.chunk_delay)
    if behaviour.stall_after is not None and index == behaviour.stall_after:
        await asyncio.sleep(behaviour.stall_seconds)


def prompt_words(texts: list[str]) -> int:
    return sum(len(text.split()) for text in texts)


def reply_for(behaviour: FakeBehaviour, max_tokens: int | None) -> list[str]:
    count = behaviour.reply_words if max_tokens is None else min(behaviour.reply_words, max_tokens)
    return [("" if i == 0 else " ") + WORDS[i % len(WORDS)] for i in range(count)]


def _texts_openai(body: dict[str, Any]) -> list[str]:
    return [str(m.get("content") or "") for m in body.get("messages", [])]


def _texts_anthropic(body: dict[str, Any]) -> list[str]:
    system = body.get("system")
    texts = [system] if isinstance(system, str) else []
    return texts + [str(m.get("content") or "") for m in body.get("messages", [])]


# --- OpenAI -------------------------------------------------------------------------------


def _openai_error(failure: Failure) -> JSONResponse:
    headers = {"retry-after": str(failure.retry_after)} if failure.retry_after is not None else {}
    kind = "rate_limit_exceeded" if failure.status == 429 else "server_error"
    return JSONResponse(
        {"error": {"message": failure.message, "type": kind, "param": None, "code": kind}},
        status_code=failure.status,
        headers=headers,
    )


def openai_app(behaviour: FakeBehaviour) -> Starlette:
    async def completions(request: Request) -> Response:
        body = await request.json()
        behaviour.requests.append(body)
        failure = behaviour._next_failure()
        if failure is not None and not failure.mid_stream:
            return _openai_error(failure)
        words = reply_for(behaviour, body.get("max_tokens"))
        prompt_tokens = PROMPT_BASE + prompt_words(_texts_openai(body))
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(words),
            "total_tokens": prompt_tokens + len(words),
            "prompt_tokens_details": {"cached_tokens": 0},
        }
        ident, created = f"chatcmpl-{uuid.uuid4().hex[:12]}", int(time.time())
        if not body.get("stream"):
            await asyncio.sleep(behaviour.first_delay)
            return JSONResponse(
                {
                    "id": ident,
                    "object": "chat.completion",
                    "created": created,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "".join(words)},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                }
            )
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        def chunk(choices: list[dict[str, Any]], usage_value: Any = None) -> bytes:
            data: dict[str, Any] = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": body["model"],
                "choices": choices,
            }
            if include_usage:
                data["usage"] = usage_value
            return f"data: {json.dumps(data)}\n\n".encode()

        async def events() -> AsyncIterator[bytes]:
            try:
                await asyncio.sleep(behaviour.first_delay)
                yield chunk(
                    [
                        {
                            "index": 0,
                            "delta": {"role": "assistant", "content": ""},
                            "finish_reason": None,
                        }
                    ]
                )
                for index, word in enumerate(words):
                    await _pace(behaviour, index)
                    if failure is not None and index == len(words) // 2:
                        error = {"error": {"message": failure.message, "type": "server_error"}}
                        yield f"data: {json.dumps(error)}\n\n".encode()
                        return
                    yield chunk([{"index": 0, "delta": {"content": word}, "finish_reason": None}])
                yield chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}])
                if include_usage:
                    yield chunk([], usage)
                yield b"data: [DONE]\n\n"
                behaviour.completed_streams += 1
            except asyncio.CancelledError:
                behaviour.cancelled_streams += 1
                raise

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


# --- Anthropic ----------------------------------------------------------------------------


def _anthropic_error(failure: Failure) -> JSONResponse:
    kind = {429: "rate_limit_error", 529: "overloaded_error", 400: "invalid_request_error"}.get(
        failure.status, "api_error"
    )
    headers = {"retry-after": str(failure.retry_after)} if failure.retry_after is not None else {}
    return JSONResponse(
        {"type": "error", "error": {"type": kind, "message": failure.message}},
        status_code=failure.status,
        headers=headers,
    )


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def anthropic_app(behaviour: FakeBehaviour, cache_read: int = 0) -> Starlette:
    async def messages(request: Request) -> Response:
        body = await request.json()
        behaviour.requests.append(body)
        failure = behaviour._next_failure()
        if failure is not None and not failure.mid_stream:
            return _anthropic_error(failure)
        words = reply_for(behaviour, body.get("max_tokens"))
        input_tokens = PROMPT_BASE + prompt_words(_texts_anthropic(body))
        ident = f"msg_{uuid.uuid4().hex[:12]}"
        if not body.get("stream"):
            await asyncio.sleep(behaviour.first_delay)
            return JSONResponse(
                {
                    "id": ident,
                    "type": "message",
                    "role": "assistant",
                    "model": body["model"],
                    "content": [{"type": "text", "text": "".join(words)}],
                    "stop_reason": "end_turn",
                    "stop_sequence": None,
                    "usage": {
                        "input_tokens": input_tokens,
                        "output_tokens": len(words),
                        "cache_read_input_tokens": cache_read,
                        "cache_creation_input_tokens": 0,
                    },
                }
            )

        async def events() -> AsyncIterator[bytes]:
            try:
                await asyncio.sleep(behaviour.first_delay)
                yield _sse(
                    "message_start",
                    {
                        "type": "message_start",
                        "message": {
                            "id": ident,
                            "type": "message",
                            "role": "assistant",
                            "model": body["model"],
                            "content": [],
                            "stop_reason": None,
                            "stop_sequence": None,
                            "usage": {
                                "input_tokens": input_tokens,
                                "output_tokens": 1,
                                "cache_read_input_tokens": cache_read,
                                "cache_creation_input_tokens": 0,
                            },
                        },
                    },
                )
                yield _sse(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": 0,
                        "content_block": {"type": "text", "text": ""},
                    },
                )
                yield _sse("ping", {"type": "ping"})
                for index, word in enumerate(words):
                    await _pace(behaviour, index)
                    if failure is not None and index == len(words) // 2:
                        yield _sse(
                            "error",
                            {
                                "type": "error",
                                "error": {"type": "overloaded_error", "message": failure.message},
                            },
                        )
                        return
                    yield _sse(
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": 0,
                            "delta": {"type": "text_delta", "text": word},
                        },
                    )
                    if index == len(words) // 2:
                        # A cumulative interim count: summing it with the final one would be wrong.
                        yield _sse(
                            "message_delta",
                            {
                                "type": "message_delta",
                                "delta": {"stop_reason": None, "stop_sequence": None},
                                "usage": {"output_tokens": index + 1},
                            },
                        )
                yield _sse("content_block_stop", {"type": "content_block_stop", "index": 0})
                yield _sse(
                    "message_delta",
                    {
                        "type": "message_delta",
                        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                        "usage": {"output_tokens": len(words)},
                    },
                )
                yield _sse("message_stop", {"type": "message_stop"})
                behaviour.completed_streams += 1
            except asyncio.CancelledError:
                behaviour.cancelled_streams += 1
                raise

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/messages", messages, methods=["POST"])])


# --- running servers in the test's event loop ---------------------------------------------


class _InLoopServer(uvicorn.Server):
    """A uvicorn server that leaves the process's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def main_loop(self) -> None:
        # uvicorn ticks every 0.1 s; a finer tick makes every test's teardown faster.
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def serve(app: Any, *, lifespan: LifespanType = "off") -> AsyncIterator[str]:
    """Serve ``app`` on a free 127.0.0.1 port; yields its base URL."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan=lifespan,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    server = _InLoopServer(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("server stopped during start-up")
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)
