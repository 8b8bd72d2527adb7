"""SIGTERM on a real ``vantage serve``: queued usage rows are drained, streams are accounted."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.packs.gateway.conftest import Upstreams, write_config
from tests.packs.gateway.sse import Event, events_of
from tests.support.databases import sqlite_url_for
from tests.support.servers import free_port, wait_until_ready
from vantage.config import Settings
from vantage.core import migrations
from vantage.core.auth.principal import Scope
from vantage.core.auth.service import api_keys as api_key_service
from vantage.core.db import Database, utcnow
from vantage.packs.gateway.models import UsageEvent

pytestmark = pytest.mark.serial

SENT = 8
STREAMS = 6


async def _api_key(settings: Settings) -> str:
    database = Database(settings)
    async with database.transaction() as session:
        created = await api_key_service.create_api_key(
            session,
            tenant_id=1,
            name="shutdown",
            scopes=[Scope.READ],
            expires_at=None,
            created_by_id=None,
            now=utcnow(),
        )
    await database.dispose()
    return created.key


async def _stored(settings: Settings) -> list[UsageEvent]:
    database = Database(settings)
    async with database.reader() as session:
        rows = list((await session.scalars(select(UsageEvent))).all())
        assert await session.scalar(select(func.count()).select_from(UsageEvent)) == len(rows)
    await database.dispose()
    return rows


@dataclass
class Server:
    base: str
    key: str
    settings: Settings
    process: subprocess.Popen[bytes]
    log: Path

    async def stop(self) -> int:
        """SIGTERM, then the exit code (uvicorn re-raises the signal it caught: -15 is clean)."""
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.to_thread(self.process.wait, 30)


@contextlib.asynccontextmanager
async def _server(tmp_path: Path, upstreams: Upstreams, **env: str) -> AsyncIterator[Server]:
    """A real ``vantage serve`` (gateway pack) in front of the fake upstreams."""
    database_url = sqlite_url_for(tmp_path / "vantage.db")
    await asyncio.to_thread(migrations.upgrade, database_url)
    settings = Settings(_env_file=None, database_url=database_url, data_dir=tmp_path / "data")
    key = await _api_key(settings)
    environment = {
        **os.environ,
        "VANTAGE_DATABASE_URL": database_url,
        "VANTAGE_DATA_DIR": str(tmp_path / "data"),
        "VANTAGE_PACKS": "gateway",
        "VANTAGE_LOG_LEVEL": "WARNING",
        "VANTAGE_MIGRATE_ON_START": "false",
        "VANTAGE_GATEWAY_CONFIG": str(write_config(tmp_path / "gateway.yaml", upstreams)),
        "FAKE_OPENAI_KEY": "sk-fake",
        "FAKE_ANTHROPIC_KEY": "sk-ant-fake",
        **env,
    }
    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: ASYNC220 - started once, awaited in a thread below
            [sys.executable, "-m", "vantage", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            await asyncio.to_thread(wait_until_ready, base, process, 60)
            yield Server(base, key, settings, process, log_path)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


async def test_sigterm_drains_the_usage_writer(tmp_path: Path, upstreams: Upstreams) -> None:
    async with _server(
        tmp_path,
        upstreams,
        # Nothing reaches the database before the drain: every row is still queued at SIGTERM.
        VANTAGE_GATEWAY_USAGE_FLUSH_INTERVAL_SECONDS="60",
        VANTAGE_GATEWAY_STREAM_SHUTDOWN_GRACE_SECONDS="10",
    ) as server:
        headers = {"Authorization": f"Bearer {server.key}"}
        body = {"model": "oa/gpt-4o-mini", "messages": [{"role": "user", "content": "q"}]}
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as http:
            for _ in range(SENT):
                assert (
                    await http.post("/v1/chat/completions", json=body, headers=headers)
                ).is_success
            upstreams.openai.chunk_delay = 0.08  # ~1 s a stream
            opened = asyncio.Event()
            count = 0

            async def stream() -> str:
                nonlocal count
                async with http.stream(
                    "POST", "/v1/chat/completions", json={**body, "stream": True}, headers=headers
                ) as response:
                    count += 1
                    if count == STREAMS:
                        opened.set()
                    async for _ in response.aiter_bytes():
                        pass
                return response.headers["X-Vantage-Usage-Id"]

            tasks = [asyncio.create_task(stream()) for _ in range(STREAMS)]
            await asyncio.wait_for(opened.wait(), 10)
            code = await server.stop()
            ids = await asyncio.gather(*tasks, return_exceptions=True)
    assert code in (0, -signal.SIGTERM), server.log.read_text()[-3000:]
    rows = await _stored(server.settings)
    assert len(rows) == SENT + STREAMS
    stream_ids = {i for i in ids if isinstance(i, str)}
    streamed = [r for r in rows if r.streamed]
    assert len(streamed) == STREAMS and stream_ids <= {r.request_id for r in streamed}
    for row in streamed:
        # Finished inside the grace period, or cut and accounted with estimates.
        assert (row.status, row.estimated) in {("ok", False), ("error", True)}
    assert not list((tmp_path / "data" / "gateway-spool").glob("*.jsonl"))


async def test_sigterm_interrupts_a_stream_that_outlasts_the_grace(
    tmp_path: Path, upstreams: Upstreams
) -> None:
    upstreams.anthropic.stall_after, upstreams.anthropic.stall_seconds = 2, 60
    async with _server(
        tmp_path,
        upstreams,
        VANTAGE_GATEWAY_STREAM_SHUTDOWN_GRACE_SECONDS="0.5",
        VANTAGE_GATEWAY_DISCONNECT_DRAIN_SECONDS="0.5",
    ) as server:
        body = {
            "model": "an/claude-haiku-4-5",
            "messages": [{"role": "user", "content": "q"}],
            "stream": True,
        }
        events: list[Event] = []
        stop: asyncio.Task[int] | None = None
        async with (
            httpx.AsyncClient(base_url=server.base, timeout=30) as http,
            http.stream(
                "POST",
                "/v1/chat/completions",
                json=body,
                headers={"Authorization": f"Bearer {server.key}"},
            ) as response,
        ):
            async for event in events_of(response):
                events.append(event)
                if stop is None:
                    stop = asyncio.create_task(server.stop())
        assert stop is not None
        code = await stop
    assert code in (0, -signal.SIGTERM), server.log.read_text()[-3000:]
    assert json.loads(events[-1].data)["error"]["type"] == "server_shutdown"
    (row,) = await _stored(server.settings)
    assert (row.status, row.error_code, row.request_id) == (
        "error",
        "shutdown",
        response.headers["X-Vantage-Usage-Id"],
    )
