"""OpenAI, and any server speaking its chat completions API (vLLM, Ollama, llama.cpp ...)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import httpx2
import openai
from openai import AsyncOpenAI

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
    kind_for_status,
)
from vantage.packs.gateway.providers.errors import retry_after_of, transport_error

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Local servers (Ollama, llama.cpp) want no key, but the SDK insists on one.
NO_KEY = "no-key-required"


def _classify(error: Exception) -> ProviderError:
    if isinstance(error, ProviderError):
        return error
    if isinstance(error, openai.APIStatusError):
        return ProviderError(
            kind_for_status(error.status_code),
            f"{error.status_code}: {error.message}"[:500],
            status=error.status_code,
            retry_after=retry_after_of(error.response.headers),
        )
    if isinstance(error, openai.APITimeoutError):
        return ProviderError("timeout", "the upstream did not answer in time")
    if isinstance(error, openai.APIConnectionError):
        return ProviderError("connection", f"cannot reach the upstream: {error}"[:500])
    if isinstance(error, openai.APIError):
        # An `error` event inside a stream, or a body the SDK could not read.
        return ProviderError("server", f"upstream error: {error.message}"[:500])
    return transport_error(error)


def _usage_of(usage: Any) -> Usage:
    if usage is None:
        return Usage()
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) if details is not None else None
    return Usage(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        cached_tokens=cached or 0,
    )


class OpenAIProvider:
    """Chat completions through the official ``openai`` SDK (its own retries off: ours apply)."""

    def __init__(
        self,
        info: ProviderInfo,
        *,
        api_key: str | None,
        connect_timeout: float,
        read_timeout: float,
        max_retries: int,
        include_usage: bool = True,
    ) -> None:
        self.info = info
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_retries = max_retries
        self._include_usage = include_usage
        self._client = AsyncOpenAI(
            api_key=api_key or NO_KEY,
            base_url=info.base_url or DEFAULT_BASE_URL,
            max_retries=0,
            timeout=httpx2.Timeout(read_timeout, connect=connect_timeout),
        )

    def _params(self, request: ProviderRequest) -> dict[str, Any]:
        messages: list[dict[str, str]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        messages += [{"role": m.role, "content": m.content} for m in request.messages]
        params: dict[str, Any] = {"model": request.model, "messages": messages}
        if request.max_tokens is not None:
            params["max_tokens"] = request.max_tokens
        if request.temperature is not None:
            params["temperature"] = request.temperature
        if request.top_p is not None:
            params["top_p"] = request.top_p
        if request.stop:
            params["stop"] = list(request.stop)
        return params

    async def complete(self, request: ProviderRequest) -> Completion:
        """One non-streamed completion."""
        try:
            result = await self._client.chat.completions.create(**self._params(request))
        except Exception as error:
            raise _classify(error) from error
        choice = result.choices[0] if result.choices else None
        return Completion(
            text=(choice.message.content or "") if choice else "",
            usage=_usage_of(result.usage),
            finish_reason=choice.finish_reason if choice else None,
            upstream_id=result.id,
        )

    async def stream(self, request: ProviderRequest) -> AsyncGenerator[StreamEvent, None]:
        """Streamed deltas; the usage chunk (asked for with ``include_usage``) comes last."""
        params = self._params(request)
        if self._include_usage:
            params["stream_options"] = {"include_usage": True}
        try:
            upstream = await self._client.chat.completions.create(**params, stream=True)
        except Exception as error:
            raise _classify(error) from error
        try:
            async for chunk in upstream:
                for choice in chunk.choices:
                    if choice.delta is not None and choice.delta.content:
                        yield TextDelta(choice.delta.content)
                    if choice.finish_reason:
                        yield Finish(choice.finish_reason)
                if chunk.usage is not None:
                    usage = _usage_of(chunk.usage)
                    yield UsageReport(usage.input_tokens, usage.output_tokens, usage.cached_tokens)
        except Exception as error:
            raise _classify(error) from error
        finally:
            await upstream.close()

    async def aclose(self) -> None:
        await self._client.close()
