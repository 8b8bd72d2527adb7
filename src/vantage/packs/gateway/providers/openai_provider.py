"""OpenAI, and any server speaking its chat completions API (vLLM, Ollama, llama.cpp ...)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import httpx2
import openai
from openai import AsyncOpenAI, AsyncStream

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

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Local servers (Ollama, llama.cpp) want no key, but the SDK insists on one.
NO_KEY = "no-key-required"


def _classify(error: Exception) -> ProviderError:
    return sdk_error(error, openai)


def _usage_of(usage: Any) -> Usage:
    """Counts from an OpenAI ``usage`` object (a decoded JSON mapping)."""
    if not usage:
        return Usage()
    details = usage.get("prompt_tokens_details") or {}
    return Usage(
        input_tokens=usage.get("prompt_tokens"),
        output_tokens=usage.get("completion_tokens"),
        cached_tokens=details.get("cached_tokens") or 0,
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
        timeout = httpx2.Timeout(read_timeout, connect=connect_timeout)
        self._client = AsyncOpenAI(
            api_key=api_key or NO_KEY,
            base_url=info.base_url or DEFAULT_BASE_URL,
            max_retries=0,
            timeout=timeout,
            http_client=fast_http_client(openai.DefaultAioHttpClient, timeout),
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
            # The SDK's generic request path: its HTTP client, auth, error mapping and
            # response decoding, without re-validating parameters we built ourselves.
            result: Any = await self._client.post(
                "/chat/completions", cast_to=object, body=self._params(request)
            )
        except Exception as error:
            raise _classify(error) from error
        choices = result.get("choices") or [{}]
        choice = choices[0]
        message = choice.get("message") or {}
        return Completion(
            text=message.get("content") or "",
            usage=_usage_of(result.get("usage")),
            finish_reason=choice.get("finish_reason"),
            upstream_id=result.get("id"),
        )

    async def stream(self, request: ProviderRequest) -> AsyncGenerator[StreamEvent, None]:
        """Streamed deltas; the usage chunk (asked for with ``include_usage``) comes last."""
        params = self._params(request)
        params["stream"] = True
        if self._include_usage:
            params["stream_options"] = {"include_usage": True}
        try:
            upstream: AsyncStream[Any] = await self._client.post(
                "/chat/completions",
                cast_to=object,
                body=params,
                stream=True,
                stream_cls=AsyncStream[object],
            )
        except Exception as error:
            raise _classify(error) from error
        try:
            async for chunk in upstream:
                for choice in chunk.get("choices") or ():
                    content = (choice.get("delta") or {}).get("content")
                    if content:
                        yield TextDelta(content)
                    if choice.get("finish_reason"):
                        yield Finish(choice["finish_reason"])
                usage = chunk.get("usage")
                if usage:
                    counts = _usage_of(usage)
                    yield UsageReport(
                        counts.input_tokens, counts.output_tokens, counts.cached_tokens
                    )
        except Exception as error:
            raise _classify(error) from error
        finally:
            await upstream.close()

    async def aclose(self) -> None:
        await self._client.close()
