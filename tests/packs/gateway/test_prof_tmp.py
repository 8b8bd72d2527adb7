import time, asyncio, cProfile, pstats
from tests.packs.gateway.identities import api_key, bearer


async def test_prof(sqlite_url, upstreams, gateway_for):
    async with gateway_for(sqlite_url, upstreams) as gateway, gateway.client() as http:
        headers = bearer(await api_key(gateway.app))
        body = {"model": "oa/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
        for i in range(20):
            await http.post("/v1/chat/completions", json=body, headers=headers)
        pr = cProfile.Profile()
        pr.enable()
        t = time.perf_counter()
        for i in range(300):
            r = await http.post("/v1/chat/completions", json=body, headers=headers)
        print((time.perf_counter() - t) / 300 * 1000, "ms")
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(35)
