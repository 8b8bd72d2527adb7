"""Two uvicorn processes sharing Redis: a publish on one reaches a client of the other."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.support.realtime import bound_socket, open_socket, receive, receive_messages, subscribe

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.redis, pytest.mark.serial]


@pytest.fixture
def workers(tmp_path: Path, redis_url: str | None, redis_prefix: str) -> Iterator[list[int]]:
    """Ports of two independent server processes (``uvicorn --factory``) on one Redis."""
    if not redis_url:
        pytest.skip("VANTAGE_TEST_REDIS_URL is not set")
    env = {
        **os.environ,
        "VANTAGE_REDIS_URL": redis_url,
        "VANTAGE_REALTIME_REDIS_PREFIX": redis_prefix,
        "VANTAGE_DATA_DIR": str(tmp_path),
        "VANTAGE_JWT_SECRET": TEST_SECRET,
        "VANTAGE_LOG_LEVEL": "WARNING",
    }
    sockets = [bound_socket() for _ in range(2)]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "tests.support.realtime:create_app_from_env",
                "--factory",
                "--fd",
                str(sock.fileno()),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            pass_fds=[sock.fileno()],
        )
        for sock in sockets
    ]
    try:
        yield [sock.getsockname()[1] for sock in sockets]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)
        for sock in sockets:
            sock.close()


async def _until_live(port: int) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http, asyncio.timeout(20):
        while True:
            try:
                if (await http.get("/health/live")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)


async def test_a_publish_on_worker_a_reaches_a_client_on_worker_b(workers: list[int]) -> None:
    port_a, port_b = workers
    await asyncio.gather(_until_live(port_a), _until_live(port_b))
    on_b = await open_socket(f"ws://127.0.0.1:{port_b}/ws")
    await subscribe(on_b, "rtt.feed:cross")
    other_tenant_on_b = await open_socket(f"ws://127.0.0.1:{port_b}/ws", as_user="t2-reader")
    await subscribe(other_tenant_on_b, "rtt.feed:cross")

    publisher_on_a = await open_socket(f"ws://127.0.0.1:{port_a}/ws", as_user="t1-ingest")
    acks = []
    for n in range(20):
        op = {"op": "publish", "channel": "rtt.feed:cross", "data": {"n": n}}
        await publisher_on_a.send(json.dumps(op))
        acks.append(await receive(publisher_on_a))
    assert [ack["offset"] for ack in acks] == list(range(1, 21))

    received = await receive_messages(on_b, 20)
    assert [m["data"] for m in received] == [{"n": n} for n in range(20)]
    assert [(m["epoch"], m["offset"]) for m in received] == [
        (a["epoch"], a["offset"]) for a in acks
    ]

    # The history is shared too: a client resuming on worker A recovers what B delivered.
    resumed_on_a = await open_socket(f"ws://127.0.0.1:{port_a}/ws")
    answer = await subscribe(
        resumed_on_a, "rtt.feed:cross", {"epoch": acks[0]["epoch"], "offset": 15}
    )
    assert answer["recovered"] is True
    assert [m["data"]["n"] for m in await receive_messages(resumed_on_a, 5)] == [15, 16, 17, 18, 19]

    # Tenant 2 on the same channel name saw none of it.
    await other_tenant_on_b.send(json.dumps({"op": "ping"}))
    assert (await receive(other_tenant_on_b))["op"] == "pong"
    for ws in (on_b, other_tenant_on_b, publisher_on_a, resumed_on_a):
        await ws.close()
