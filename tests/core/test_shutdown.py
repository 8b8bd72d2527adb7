"""SIGTERM on a real server: in-flight requests finish, sockets hear 1001, streams end."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.support.packsite import write_testpack_site
from tests.support.realtime import close_code, receive
from tests.support.servers import running_vantage

pytestmark = pytest.mark.serial

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


def _environment(tmp_path: Path) -> dict[str, str]:
    site = write_testpack_site(tmp_path)
    return {
        "VANTAGE_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": os.pathsep.join([str(site), str(REPO)]),
        "VANTAGE_SHUTDOWN_TIMEOUT_SECONDS": "10",
    }


def _vantage(env: dict[str, str], *args: str, stdin: str = "") -> None:
    subprocess.run(
        [sys.executable, "-m", "vantage", *args],
        env={**os.environ, **env},
        cwd=REPO,
        input=stdin.encode(),
        check=True,
        capture_output=True,
    )


async def _sse_until_closed(base: str, token: str) -> int:
    """Read an SSE stream until the server ends it; the number of lines read."""
    lines = 0
    async with (
        httpx.AsyncClient(base_url=base, timeout=30) as http,
        http.stream(
            "GET", "/api/v1/stream/core.jobs:x", headers={"Authorization": f"Bearer {token}"}
        ) as stream,
    ):
        assert stream.status_code == 200
        async for _ in stream.aiter_lines():
            lines += 1
    return lines


async def test_sigterm_lets_requests_finish_and_closes_streams_politely(tmp_path: Path) -> None:
    env = _environment(tmp_path)
    _vantage(env, "migrate")
    _vantage(
        env,
        "users",
        "create",
        "ops@example.com",
        "--role",
        "admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    with running_vantage(["serve"], env, REPO, tmp_path / "server.log") as (base, process, _):
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            signed_in = await http.post(
                "/api/v1/auth/token", json={"email": "ops@example.com", "password": PASSWORD}
            )
            token = signed_in.json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}

            ws = await connect(base.replace("http", "ws") + "/ws", open_timeout=5)
            await ws.send(json.dumps({"op": "auth", "token": token}))
            await ws.send(json.dumps({"op": "subscribe", "channel": "core.jobs:x"}))
            assert (await receive(ws))["op"] == "subscribed"
            sse = asyncio.create_task(_sse_until_closed(base, token))
            in_flight = asyncio.create_task(
                http.get("/api/v1/testpack/slow", params={"seconds": 2}, headers=auth)
            )
            await asyncio.sleep(0.5)

            process.send_signal(signal.SIGTERM)
            assert await close_code(ws) == 1001
            async with asyncio.timeout(10):
                assert await sse >= 1  # the stream ended instead of hanging
            finished = await in_flight
            assert finished.status_code == 200 and finished.json() == {"seconds": 2.0}
        returncode = await asyncio.to_thread(process.wait, 15)
        assert returncode in (0, -signal.SIGTERM)
