"""SIGTERM on a real ``vantage serve``: queued usage rows are drained, streams are accounted."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import func, select

from tests.packs.gateway.conftest import Upstreams, write_config
from tests.support.databases import sqlite_url_for
from tests.support.servers import free_port, wait_until_ready
from vantage.config import Settings
from vantage.core import migrations
from vantage.core.auth import api_key_service
from vantage.core.auth.principal import Scope
from vantage.core.db import Database, utcnow
from vantage.packs.gateway.models import UsageEvent

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


async def test_sigterm_drains_the_usage_writer(tmp_path: Path, upstreams: Upstreams) -> None:
    database_url = sqlite_url_for(tmp_path / "vantage.db")
    await asyncio.to_thread(migrations.upgrade, database_url)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=database_url, data_dir=tmp_path / "data"
    )
    key = await _api_key(settings)
    env = {
        **os.environ,
        "VANTAGE_DATABASE_URL": database_url,
        "VANTAGE_DATA_DIR": str(tmp_path / "data"),
        "VANTAGE_PACKS": "gateway",
        "VANTAGE_LOG_LEVEL": "WARNING",
        "VANTAGE_MIGRATE_ON_START": "false",
        "VANTAGE_GATEWAY_CONFIG": str(write_config(tmp_path / "gateway.yaml", upstreams)),
        "FAKE_OPENAI_KEY": "sk-fake",
        # Nothing reaches the database before the drain: every row is still queued at SIGTERM.
        "VANTAGE_GATEWAY_USAGE_FLUSH_INTERVAL_SECONDS": "60",
        "VANTAGE_GATEWAY_STREAM_SHUTDOWN_GRACE_SECONDS": "10",
    }
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, awaited in a thread below
        [sys.executable, "-m", "vantage", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await asyncio.to_thread(wait_until_ready, base, process, 60)
        headers = {"Authorization": f"Bearer {key}"}
        body = {"model": "oa/gpt-4o-mini", "messages": [{"role": "user", "content": "q"}]}
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
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
            process.send_signal(signal.SIGTERM)
            ids = await asyncio.gather(*tasks, return_exceptions=True)
        code = await asyncio.to_thread(process.wait, 30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    # uvicorn shuts down gracefully, then re-raises the signal it caught: -15 is a clean exit.
    assert code in (0, -signal.SIGTERM), (tmp_path / "server.log").read_text()[-3000:]
    rows = await _stored(settings)
    assert len(rows) == SENT + STREAMS
    stream_ids = {i for i in ids if isinstance(i, str)}
    streamed = [r for r in rows if r.streamed]
    assert len(streamed) == STREAMS and stream_ids <= {r.request_id for r in streamed}
    for row in streamed:
        # Finished inside the grace period, or cut and accounted with estimates.
        assert (row.status, row.estimated) in {("ok", False), ("error", True)}
    assert not list((tmp_path / "data" / "gateway-spool").glob("*.jsonl"))
