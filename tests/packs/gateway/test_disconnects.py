"""200 streamed requests whose clients disconnect at a random chunk: 200 usage rows, none lost.

Half go to a fast OpenAI-style upstream (the gateway keeps reading after the disconnect and
records the real usage), half to a slow Anthropic-style one that cannot finish within the drain
budget (the gateway closes it and records tokenizer estimates, flagged ``estimated``).
"""

from __future__ import annotations

import asyncio
import random

from tests.packs.gateway.conftest import GatewayFactory, Upstreams
from tests.packs.gateway.fakes import PROMPT_BASE
from tests.packs.gateway.identities import api_key, bearer
from tests.packs.gateway.sse import events_of
from tests.packs.gateway.support import usage_rows

REQUESTS = 200
CONCURRENCY = 50
WORDS = 16


async def _one(
    http, index: int, headers: dict[str, str], rng: random.Random
) -> tuple[str, int, bool]:  # type: ignore[no-untyped-def]
    fast = index % 2 == 0
    body = {
        "model": "oa/gpt-4o-mini" if fast else "an/claude-haiku-4-5",
        "messages": [{"role": "user", "content": f"question number {index}"}],
        "stream": True,
    }
    stop_after = rng.randint(0, WORDS + 3)  # past the end: this client reads everything
    seen = 0
    async with http.stream("POST", "/v1/chat/completions", json=body, headers=headers) as response:
        assert response.status_code == 200
        usage_id = response.headers["X-Vantage-Usage-Id"]
        async for event in events_of(response):
            if event.data == "[DONE]":
                return usage_id, seen, True
            seen += 1
            if seen > stop_after:
                break  # leaving the block closes the connection mid-stream
    return usage_id, seen, False


async def test_every_disconnected_stream_leaves_one_usage_row(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    upstreams.openai.reply_words = upstreams.anthropic.reply_words = WORDS
    upstreams.openai.chunk_delay = 0.002
    upstreams.anthropic.chunk_delay = 0.03  # ~0.5 s a stream: longer than the drain budget
    async with gateway_for(sqlite_url, upstreams, disconnect_drain_seconds=0.1) as gateway:
        headers = bearer(await api_key(gateway.app))
        rng = random.Random(7)
        gate = asyncio.Semaphore(CONCURRENCY)

        async def run(index: int) -> tuple[str, int, bool]:
            async with gate, gateway.client() as http:
                return await _one(http, index, headers, rng)

        results = await asyncio.gather(*(run(i) for i in range(REQUESTS)))
        await asyncio.sleep(0.3)  # drains end within 0.1 s
        await gateway.runtime.wait_for_streams(5)
        await gateway.runtime.writer.flush()
        rows = {row.request_id: row for row in await usage_rows(gateway.runtime.database)}

    assert len(results) == REQUESTS
    assert len({usage_id for usage_id, _, _ in results}) == REQUESTS
    assert set(rows) == {usage_id for usage_id, _, _ in results}  # none lost, none extra
    disconnected = 0
    for index, (usage_id, _, completed) in enumerate(results):
        row = rows[usage_id]
        fast = index % 2 == 0
        prompt = PROMPT_BASE + 3
        if completed:
            assert (row.status, row.estimated) == ("ok", False)
            assert (row.input_tokens, row.output_tokens) == (prompt, WORDS)
            continue
        disconnected += 1
        assert row.status == "client_disconnect"
        if fast:
            # Drained to the end: the upstream's own numbers, not an estimate.
            assert (row.input_tokens, row.output_tokens, row.estimated) == (prompt, WORDS, False)
        else:
            # Anthropic told the input tokens in message_start; the output is estimated.
            assert row.estimated is True
            assert row.input_tokens == prompt
            assert 0 <= row.output_tokens < WORDS * 2
    assert disconnected > REQUESTS // 2
    assert upstreams.anthropic.cancelled_streams > 0
