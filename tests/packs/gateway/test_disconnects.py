"""200 streamed requests whose clients disconnect at a random chunk: 200 usage rows, none lost.

Half go to a fast OpenAI-style upstream (the gateway keeps reading after the disconnect and
records the real usage), half to an Anthropic-style one that hangs after a few words, longer
than the drain budget (the gateway closes it and records estimates, flagged ``estimated``).
"""

from __future__ import annotations

import asyncio
import random

import httpx

from tests.packs.gateway.conftest import GatewayFactory, Upstreams
from tests.packs.gateway.fakes import PROMPT_BASE
from tests.packs.gateway.identities import api_key, bearer
from tests.packs.gateway.sse import events_of
from tests.packs.gateway.support import usage_rows

REQUESTS = 200
CONCURRENCY = 50
WORDS = 16
STALL_AFTER = 4


async def _one(
    http: httpx.AsyncClient, index: int, headers: dict[str, str], rng: random.Random
) -> tuple[str, int, bool]:
    fast = index % 2 == 0
    body = {
        "model": "oa/gpt-4o-mini" if fast else "an/claude-haiku-4-5",
        "messages": [{"role": "user", "content": f"question number {index}"}],
        "stream": True,
    }
    # Past the end: this client reads everything. The hanging upstream sends the role chunk
    # and STALL_AFTER words before it hangs: its clients leave before that.
    stop_after = rng.randint(0, WORDS + 3) if fast else rng.randint(0, STALL_AFTER)
    seen, answered = 0, False
    async with http.stream("POST", "/v1/chat/completions", json=body, headers=headers) as response:
        assert response.status_code == 200
        usage_id = response.headers["X-Vantage-Usage-Id"]
        async for event in events_of(response):
            if event.data == "[DONE]":
                break
            # The finish chunk is sent once the upstream finished: the answer is complete.
            answered = answered or event.json()["choices"][0]["finish_reason"] is not None
            seen += 1
            if seen > stop_after:
                break  # leaving the block closes the connection mid-stream
    return usage_id, seen, answered


async def test_every_disconnected_stream_leaves_one_usage_row(
    sqlite_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    upstreams.openai.reply_words = upstreams.anthropic.reply_words = WORDS
    upstreams.openai.chunk_delay = 0.002
    upstreams.anthropic.stall_after, upstreams.anthropic.stall_seconds = STALL_AFTER, 60
    # The drain budget is ample for the fast upstream's 16 short chunks however loaded the
    # machine, and far shorter than the hanging upstream's stall.
    async with gateway_for(sqlite_url, upstreams, disconnect_drain_seconds=10) as gateway:
        headers = bearer(await api_key(gateway.app))
        async with gateway.client() as http:  # first use of the key records its last use
            assert (await http.get("/api/v1/providers", headers=headers)).status_code == 200
        rng = random.Random(7)
        gate = asyncio.Semaphore(CONCURRENCY)

        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        async with gateway.client(limits=limits) as http:

            async def run(index: int) -> tuple[str, int, bool]:
                async with gate:
                    return await _one(http, index, headers, rng)

            results = await asyncio.gather(*(run(i) for i in range(REQUESTS)))
        await gateway.runtime.streams.wait_for_streams(40)  # drains end within 10 s
        await gateway.runtime.writer.flush()
        rows = {row.request_id: row for row in await usage_rows(gateway.runtime.database)}

    assert len(results) == REQUESTS
    assert len({usage_id for usage_id, _, _ in results}) == REQUESTS
    assert set(rows) == {usage_id for usage_id, _, _ in results}  # none lost, none extra
    disconnected = 0
    for index, (usage_id, _, answered) in enumerate(results):
        row = rows[usage_id]
        prompt = PROMPT_BASE + 3
        if index % 2 == 0:
            # Fast upstream, drained to its end after any disconnect: its own numbers, exact.
            # (A client may leave after the gateway wrote the last bytes into the socket: the
            # gateway could not tell, and the row then says ok.)
            assert row.status in ("ok", "client_disconnect")
            assert (row.input_tokens, row.output_tokens, row.estimated) == (prompt, WORDS, False)
            if answered:
                assert row.status == "ok"
        else:
            # Hanging upstream: cut after the drain budget, the output is an estimate.
            assert (row.status, row.estimated) == ("client_disconnect", True), index
            assert row.input_tokens == prompt  # message_start told the input tokens
            assert 0 <= row.output_tokens <= STALL_AFTER * 2
        disconnected += row.status == "client_disconnect"
    assert disconnected >= REQUESTS // 2
    assert upstreams.anthropic.cancelled_streams == REQUESTS // 2
    assert upstreams.openai.completed_streams == REQUESTS // 2
