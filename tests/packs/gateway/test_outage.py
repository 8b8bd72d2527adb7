"""The database goes down during traffic: rows are spooled, replayed after recovery, never doubled.

Streams admitted before the outage finish during it; their rows cannot be stored, so they go
to the spool and are replayed once the database is back. A client whose key the worker has
checked recently keeps being served during the outage (its rows spooled too); a key the worker
has never seen cannot be checked and is refused with a clear 503, leaving no row.
"""

from __future__ import annotations

import asyncio

from tests.packs.gateway.conftest import Gateway, GatewayFactory, Upstreams
from tests.packs.gateway.identities import api_key, bearer
from tests.packs.gateway.outage import outage_for
from tests.packs.gateway.sse import all_events
from tests.packs.gateway.support import rollup_requests, usage_rows
from vantage.packs.gateway.models import UsageEvent

BEFORE = 15
IN_FLIGHT = 25


async def _poll_rows(gateway: Gateway, expected: int) -> list[UsageEvent]:
    for _ in range(200):
        try:
            rows = await usage_rows(gateway.runtime.database)
        except Exception:
            rows = []
        if len(rows) >= expected:
            return rows
        await asyncio.sleep(0.1)
    return await usage_rows(gateway.runtime.database)


async def test_rows_survive_a_database_outage(
    database_url: str, upstreams: Upstreams, gateway_for: GatewayFactory
) -> None:
    async with (
        outage_for(database_url) as outage,
        gateway_for(outage.url, upstreams, settings={"db_connect_timeout_seconds": 1}) as gateway,
        gateway.client() as http,
    ):
        key = bearer(await api_key(gateway.app))
        body = {"model": "oa/gpt-4o-mini", "messages": [{"role": "user", "content": "q"}]}
        for _ in range(BEFORE):
            response = await http.post("/v1/chat/completions", json=body, headers=key)
            assert response.status_code == 200

        upstreams.openai.chunk_delay = 0.1  # ~1.2 s a stream
        started = asyncio.Event()
        opened = 0

        async def stream() -> str:
            nonlocal opened
            async with http.stream(
                "POST", "/v1/chat/completions", json={**body, "stream": True}, headers=key
            ) as response:
                assert response.status_code == 200
                opened += 1
                if opened == IN_FLIGHT:
                    started.set()
                events = await all_events(response)
            assert events[-1].data == "[DONE]"
            return response.headers["X-Vantage-Usage-Id"]

        streams = [asyncio.create_task(stream()) for _ in range(IN_FLIGHT)]
        await asyncio.wait_for(started.wait(), 10)
        await outage.cut()
        ids = await asyncio.gather(*streams)  # they finish while the database is down
        served = await http.post("/v1/chat/completions", json=body, headers=key)
        assert served.status_code == 200
        ids.append(served.headers["X-Vantage-Usage-Id"])
        unknown_key = bearer("vk_abcdefgh_" + "x" * 32)
        refused = await http.post("/v1/chat/completions", json=body, headers=unknown_key)
        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/problem+json"
        await gateway.runtime.writer.flush()
        assert not gateway.runtime.writer.database_ok
        spool_files = list(gateway.runtime.settings.usage_spool_dir.glob("*.jsonl"))  # type: ignore[union-attr]
        assert spool_files

        await outage.restore()
        rows = await _poll_rows(gateway, BEFORE + IN_FLIGHT + 1)
        await asyncio.sleep(0.5)  # a second replay must not add anything
        rows = await usage_rows(gateway.runtime.database)
        assert len(rows) == BEFORE + IN_FLIGHT + 1
        assert len({r.request_id for r in rows}) == len(rows)
        assert set(ids) <= {r.request_id for r in rows}
        assert await rollup_requests(gateway.runtime.database) == BEFORE + IN_FLIGHT + 1
        streamed = [r for r in rows if r.request_id in set(ids[:IN_FLIGHT])]
        assert all((r.status, r.output_tokens, r.estimated) == ("ok", 12, False) for r in streamed)
