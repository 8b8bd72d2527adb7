"""The server the realtime benchmark runs: one ``bench.ticks`` channel and one bench credential.

Loaded by ``uvicorn bench.realtime_app:create_bench_app --factory`` with settings from the
environment (``VANTAGE_REDIS_URL`` selects the Redis backend).
"""

from __future__ import annotations

from fastapi import FastAPI

from vantage.app import create_app
from vantage.config import load_settings
from vantage.core.auth.principal import Principal, Scope
from vantage.core.errors import Unauthorized
from vantage.core.packs import Pack
from vantage.core.realtime import ChannelSpec

BENCH_TOKEN = "bench-client"  # noqa: S105 - a fixed credential of the benchmark server only
BENCH_CHANNEL = "bench.ticks"
# Large messages only the stalled client subscribes to: they fill its socket buffers at once,
# so the server's sends to it block during the measured phase, as a stalled reader's would.
FLOOD_CHANNEL = "bench.flood"
_PRINCIPAL = Principal(
    kind="api_key", subject_id=1, tenant_id=1, scopes=frozenset({Scope.READ, Scope.INGEST})
)

BENCH_PACK = Pack(
    name="bench",
    title="Realtime benchmark",
    version="1.0.0",
    channels=[
        ChannelSpec(BENCH_CHANNEL, publish_scope=Scope.INGEST, history_size=100),
        ChannelSpec(FLOOD_CHANNEL, publish_scope=Scope.INGEST, history_size=1),
    ],
)


async def bench_authenticator(credential: str) -> Principal:
    """Accepts only the benchmark's own credential."""
    if credential != BENCH_TOKEN:
        raise Unauthorized("unknown benchmark credential")
    return _PRINCIPAL


def create_bench_app() -> FastAPI:
    """The application with the benchmark channel and credential."""
    app = create_app(load_settings(), packs=[BENCH_PACK])
    app.state.hub.authenticator = bench_authenticator
    return app
