"""The official ``openai`` client against ``/v1/chat/completions`` (sync and async, both modes)."""

from __future__ import annotations

import asyncio

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from tests.packs.gateway.conftest import GatewayFactory, Upstreams
from tests.packs.gateway.fakes import PROMPT_BASE
from tests.packs.gateway.identities import api_key
from tests.packs.gateway.support import usage_rows

MESSAGES: list[ChatCompletionMessageParam] = [
    {"role": "system", "content": "Answer in English."},
    {"role": "user", "content": "summarise the quarter"},
]
# analyst's prompt (4 words) + the client's system (3) + user (3)
PROMPT = PROMPT_BASE + 4 + 3 + 3


async def test_async_client_non_stream_and_stream(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with gateway_for(sqlite_url, upstreams) as gateway:
        client = openai.AsyncOpenAI(
            base_url=gateway.url + "/v1", api_key=await api_key(gateway.app), max_retries=0
        )
        completion = await client.chat.completions.create(
            model="specialist:analyst", messages=MESSAGES, user="end-user@example.com"
        )
        assert completion.choices[0].message.content.startswith("alpha bravo")  # type: ignore[union-attr]
        assert completion.usage is not None
        assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (PROMPT, 12)
        assert completion.model == "specialist:analyst"

        stream = await client.chat.completions.create(
            model="oa/gpt-4o-mini", messages=MESSAGES, stream=True
        )
        chunks = [chunk async for chunk in stream]
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text.startswith("alpha bravo")
        # The gateway asked the upstream for usage, and hid that chunk from this client.
        assert upstreams.openai.requests[-1]["stream_options"] == {"include_usage": True}
        assert all(c.choices for c in chunks)
        assert all(c.usage is None for c in chunks)
        assert chunks[-1].choices[0].finish_reason == "stop"
        await client.close()

        await gateway.runtime.writer.flush()
        rows = sorted(await usage_rows(gateway.runtime.database), key=lambda r: r.created_at)
        assert [(r.endpoint, r.streamed) for r in rows] == [("openai", False), ("openai", True)]
        # Completed streams record exactly the upstream's usage.
        assert (rows[1].input_tokens, rows[1].output_tokens, rows[1].estimated) == (
            PROMPT_BASE + 6,
            12,
            False,
        )
        assert rows[0].user_hash == gateway.runtime.hasher.of("end-user@example.com")
        assert rows[0].api_key_id is not None


async def test_stream_usage_chunk_only_when_asked(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with gateway_for(sqlite_url, upstreams) as gateway:
        client = openai.AsyncOpenAI(
            base_url=gateway.url + "/v1", api_key=await api_key(gateway.app), max_retries=0
        )
        stream = await client.chat.completions.create(
            model="specialist:claude",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
        last = chunks[-1]
        assert last.choices == [] and last.usage is not None
        assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (
            PROMPT_BASE + 2 + 3 + 3,
            12,
        )
        assert all(c.usage is None for c in chunks[:-1])
        await client.close()


def _sync_calls(base_url: str, key: str) -> tuple[str, str]:
    client = openai.OpenAI(base_url=base_url, api_key=key, max_retries=0)
    try:
        completion = client.chat.completions.create(model="specialist:analyst", messages=MESSAGES)
        stream = client.chat.completions.create(
            model="specialist:analyst", messages=MESSAGES, stream=True
        )
        streamed = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        return completion.choices[0].message.content or "", streamed
    finally:
        client.close()


async def test_sync_client_non_stream_and_stream(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with gateway_for(sqlite_url, upstreams) as gateway:
        key = await api_key(gateway.app)
        plain, streamed = await asyncio.to_thread(_sync_calls, gateway.url + "/v1", key)
        assert plain == streamed
        assert plain.startswith("alpha bravo")


async def test_errors_reach_the_client_as_openai_errors(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with gateway_for(sqlite_url, upstreams) as gateway:
        client = openai.AsyncOpenAI(
            base_url=gateway.url + "/v1", api_key=await api_key(gateway.app), max_retries=0
        )
        with pytest.raises(openai.NotFoundError, match="does not exist"):
            await client.chat.completions.create(model="specialist:nope", messages=MESSAGES)
        with pytest.raises(openai.UnprocessableEntityError, match="tools"):
            await client.chat.completions.create(
                model="specialist:analyst",
                messages=MESSAGES,
                tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}],
            )
        bad = openai.AsyncOpenAI(base_url=gateway.url + "/v1", api_key="vk_wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            await bad.chat.completions.create(model="specialist:analyst", messages=MESSAGES)
        upstreams.openai.fail_next(500, count=2)
        with pytest.raises(openai.APIStatusError) as caught:
            await client.chat.completions.create(model="oa/gpt-4o-mini", messages=MESSAGES)
        assert caught.value.status_code == 502
        models = await client.models.list()
        assert {m.id for m in models.data} >= {"specialist:analyst", "specialist:claude"}
        await client.close()
        await bad.close()
