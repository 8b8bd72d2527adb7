"""A fake OpenAI upstream for the gateway benchmark: every answer after a fixed delay.

Run ``python -m bench.gateway_upstream --delay-ms 20``; it prints its port, then serves
``POST /v1/chat/completions`` (JSON, or SSE with the usage chunk when ``include_usage`` is asked)
on 127.0.0.1 until stdin closes. It is a bare asyncio protocol so that it costs little CPU
and the benchmark measures the gateway, not the fake.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

WORDS = ["alpha", " bravo", " charlie", " delta", " echo", " foxtrot", " golf", " hotel"]
USAGE = {"prompt_tokens": 12, "completion_tokens": len(WORDS), "total_tokens": 12 + len(WORDS)}


def _json_body() -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "".join(WORDS)},
                    "finish_reason": "stop",
                }
            ],
            "usage": USAGE,
        }
    ).encode()


def _sse_body(include_usage: bool) -> bytes:
    def chunk(choices: list[object], usage: object = None) -> bytes:
        data: dict[str, object] = {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "gpt-4o-mini",
            "choices": choices,
        }
        if include_usage:
            data["usage"] = usage
        return b"data: " + json.dumps(data).encode() + b"\n\n"

    parts = [chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}}])]
    parts += [chunk([{"index": 0, "delta": {"content": w}, "finish_reason": None}]) for w in WORDS]
    parts.append(chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]))
    if include_usage:
        parts.append(chunk([], USAGE))
    parts.append(b"data: [DONE]\n\n")
    return b"".join(parts)


def _response(body: bytes, content_type: bytes) -> bytes:
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: "
        + content_type
        + b"\r\ncontent-length: "
        + str(len(body)).encode()
        + b"\r\nconnection: keep-alive\r\n\r\n"
    )
    return head + body


RESPONSES = {
    "json": _response(_json_body(), b"application/json"),
    "sse": _response(_sse_body(False), b"text/event-stream"),
    "sse_usage": _response(_sse_body(True), b"text/event-stream"),
}


class UpstreamProtocol(asyncio.Protocol):
    """Parses keep-alive HTTP/1.1 requests with a Content-Length body."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.buffer = b""
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # uvloop's transports do not subclass asyncio's

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1").lower()
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name == "content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            asyncio.get_running_loop().call_later(self.delay, self._answer, _kind(body))

    def _answer(self, kind: str) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(RESPONSES[kind])


def _kind(body: bytes) -> str:
    if b'"stream":true' not in body.replace(b" ", b""):
        return "json"
    return "sse_usage" if b'"include_usage":true' in body.replace(b" ", b"") else "sse"


async def serve(delay: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: UpstreamProtocol(delay), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    # Serve until the parent closes our stdin.
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay-ms", type=float, default=20.0)
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(args.delay_ms / 1000))
    else:
        uvloop.run(serve(args.delay_ms / 1000))


if __name__ == "__main__":
    main()
