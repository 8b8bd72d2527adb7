"""Anthropic's Messages API through the official ``anthropic`` SDK.

Usage arrives in two places in a stream: ``message_start`` carries the input tokens, and each
``message_delta`` carries the *cumulative* output tokens (and, on newer servers, cumulative input
and cache counts). Every report therefore replaces the previous one; summing would double-count.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import anthropic
import httpx2
from anthropic import AsyncAnthropic

from vantage.packs.gateway.providers.base import (
    Completion,
    Finish,
    ProviderError,
    ProviderInfo,
    ProviderRequest,
    StreamEvent,
    TextDelta,
    Usage,
    UsageReport,
)
from vantage.packs.gateway.providers.errors import fast_http_client, sdk_error

DEFAULT_BASE_URL = "https://api.anthropic.com"


def _classify(error: Exception) -> ProviderError:
    # 529 "overloaded" is Anthropic's way of saying "retry later".
    return sdk_error(error, anthropic, retry_later=frozenset({529}))


def _input_total(usage: Any) -> int | None:
    """All prompt tokens: Anthropic reports cache reads and writes apart from ``input_tokens``."""
    base = getattr(usage, "input_tokens", None)
    if base is None:
        return None
    reads = getattr(usage, "cache_read_input_tokens", None) or 0
    writes = getattr(usage, "cache_creation_input_tokens", None) or 0
    return int(base) + int(reads) + int(writes)


def _cached(usage: Any) -> int | None:
    value = getattr(usage, "cache_read_input_tokens", None)
    return int(value) if value is not None else None


class AnthropicProvider:
    """Messages through the official SDK (its own retries off: ours apply)."""

    def __init__(
        self,
        info: ProviderInfo,
        *,
        api_key: str | None,
        connect_timeout: float,
        read_timeout: float,
        max_retries: int,
        default_max_tokens: int,
    ) -> None:
        self.info = info
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_retries = max_retries
        self._default_max_tokens = default_max_tokens
        timeout = httpx2.Timeout(read_timeout, connect=connect_timeout)
        self._client = AsyncAnthropic(
            api_key=api_key or "no-key-required",
            base_url=info.base_url or DEFAULT_BASE_URL,
            max_retries=0,
            timeout=timeout,
            http_client=fast_http_client(anthropic.DefaultAioHttpClient, timeout),
        )

    def _params(self, request: ProviderRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens or self._default_max_tokens,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        }
        if request.system:
            params["system"] = request.system
        sampling: dict[str, float] = {}
        if request.temperature is not None:
            # Anthropic accepts 0..1; OpenAI-style values up to 2 are capped.
            sampling["temperature"] = min(request.temperature, 1.0)
        if request.top_p is not None:
            sampling["top_p"] = request.top_p
        if sampling:
            # Recent SDK releases no longer declare these parameters; the API still takes them.
            params["extra_body"] = sampling
        if request.stop:
            params["stop_sequences"] = list(request.stop)
        return params

    async def complete(self, request: ProviderRequest) -> Completion:
        """One non-streamed message."""
        try:
            message = await self._client.messages.create(**self._params(request))
        except Exception as error:
            raise _classify(error) from error
        text = "".join(
            block.text for block in message.content if getattr(block, "type", "") == "text"
        )
        return Completion(
            text=text,
            usage=Usage(
                input_tokens=_input_total(message.usage),
                output_tokens=message.usage.output_tokens,
                cached_tokens=_cached(message.usage) or 0,
            ),
            finish_reason=message.stop_reason,
            upstream_id=message.id,
        )

    async def stream(self, request: ProviderRequest) -> AsyncGenerator[StreamEvent, None]:
        """Text deltas and usage reports from the server-sent message events."""
        try:
            upstream = await self._client.messages.create(**self._params(request), stream=True)
        except Exception as error:
            raise _classify(error) from error
        try:
            async for event in upstream:
                kind = event.type
                if kind == "content_block_delta":
                    delta = event.delta
                    if getattr(delta, "type", "") == "text_delta" and delta.text:
                        yield TextDelta(delta.text)
                elif kind == "message_start":
                    usage = event.message.usage
                    yield UsageReport(_input_total(usage), usage.output_tokens, _cached(usage))
                elif kind == "message_delta":
                    usage = event.usage
                    yield UsageReport(_input_total(usage), usage.output_tokens, _cached(usage))
                    if event.delta.stop_reason:
                        yield Finish(event.delta.stop_reason)
        except Exception as error:
            raise _classify(error) from error
        finally:
            await upstream.close()

    async def aclose(self) -> None:
        await self._client.close()
