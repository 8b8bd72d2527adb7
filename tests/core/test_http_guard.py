"""Body limits, security headers, CORS, docs and WebSocket origins."""

from __future__ import annotations

import base64
import hashlib
import re
import time
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.requests import HTTPConnection

from tests.conftest import ClientFactory
from vantage.config import Settings
from vantage.core.http_guard import BodyLimits, origin_allowed

MIB = 1024 * 1024
CHUNK = 64 * 1024
BODY_ROUTE = "/api/v1/testpack/body-size"
PAYLOAD_ROUTE = "/api/v1/testpack/payload"
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


class ChunkedBody:
    """A streamed request body (no Content-Length) that counts how much was pulled from it."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.sent = 0
        self._chunk = b"x" * CHUNK

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.total:
            self.sent += CHUNK
            yield self._chunk


def _assert_too_large(response: Any) -> None:
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert response.headers["Connection"] == "close"


async def test_declared_large_body_is_refused_before_it_is_read(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    body = b"x" * (10 * MIB)
    async with client_for(sqlite_url, signed_in=True) as client:
        began = time.perf_counter()
        response = await client.post(BODY_ROUTE, content=body)
        elapsed = time.perf_counter() - began
    _assert_too_large(response)
    assert "1048576 bytes" in response.json()["detail"]
    assert elapsed < 2.0  # refused from the header; a generous bound for a loaded machine


@pytest.mark.parametrize("route", [BODY_ROUTE, PAYLOAD_ROUTE])
async def test_streamed_large_body_is_cut_off_with_flat_memory(
    client_for: ClientFactory, sqlite_url: str, route: str
) -> None:
    body = ChunkedBody(10 * MIB)
    async with client_for(sqlite_url, signed_in=True) as client:
        tracemalloc.start()
        try:
            began = time.perf_counter()
            response = await client.post(
                route, content=body, headers={"Content-Type": "application/json"}
            )
            elapsed = time.perf_counter() - began
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    _assert_too_large(response)
    # Reading stopped just past the 1 MiB limit, and nothing like the body was held in memory.
    assert body.sent <= MIB + 2 * CHUNK
    assert peak < 3 * MIB
    assert elapsed < 5.0


async def test_bodies_within_the_limit_pass(client_for: ClientFactory, sqlite_url: str) -> None:
    async with client_for(sqlite_url, signed_in=True) as client:
        declared = await client.post(BODY_ROUTE, content=b"y" * (MIB - 10))
        streamed = await client.post(BODY_ROUTE, content=ChunkedBody(MIB - CHUNK))
        json_body = await client.post(PAYLOAD_ROUTE, json={"text": "hello"})
    assert declared.json() == {"bytes": MIB - 10}
    assert streamed.json() == {"bytes": MIB - CHUNK}
    assert json_body.json() == {"bytes": 5}


async def test_path_prefixes_can_have_their_own_limit(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    settings = {"max_body_bytes": 1000, "max_body_bytes_by_path": {BODY_ROUTE: 5000}}
    async with client_for(sqlite_url, signed_in=True, **settings) as client:
        larger_allowed = await client.post(BODY_ROUTE, content=b"z" * 3000)
        over_override = await client.post(BODY_ROUTE, content=b"z" * 6000)
        default_elsewhere = await client.post(PAYLOAD_ROUTE, content=b"z" * 3000)
        client.app.state.body_limits.set_prefix(PAYLOAD_ROUTE, 10_000)  # type: ignore[attr-defined]
        raised_at_runtime = await client.post(PAYLOAD_ROUTE, json={"text": "z" * 3000})
    assert larger_allowed.json() == {"bytes": 3000}
    _assert_too_large(over_override)
    _assert_too_large(default_elsewhere)
    assert raised_at_runtime.json() == {"bytes": 3000}


def test_body_limit_prefixes_match_whole_segments() -> None:
    limits = BodyLimits(100, {"/api/v1/upload": 1000, "/api/v1/upload/big": 5000, "/x/": 7})
    assert limits.for_path("/api/v1/upload") == 1000
    assert limits.for_path("/api/v1/upload/file") == 1000
    assert limits.for_path("/api/v1/upload/big/1") == 5000
    assert limits.for_path("/api/v1/uploads") == 100
    assert limits.for_path("/x/y") == 7
    with pytest.raises(ValueError):
        limits.set_prefix("api", 10)


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


async def test_security_headers_on_every_kind_of_response(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url, signed_in=True) as client:
        ok = await client.get("/health/live")
        missing = await client.get("/no/such/route")
        crashed = await client.post(
            "/api/v1/testpack/tenants", params={"slug": "boom", "fail_after_write": "true"}
        )
    for response in (ok, missing, crashed):
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert "Strict-Transport-Security" not in response.headers
    assert missing.status_code == 404 and crashed.status_code == 500
    assert missing.headers["Cache-Control"] == "no-store"
    assert crashed.headers["Cache-Control"] == "no-store"
    assert "Cache-Control" not in ok.headers


async def test_production_adds_hsts_and_hides_docs(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url, signed_in=True, env="production") as client:
        live = await client.get("/health/live")
        hidden = [await client.get(path) for path in ("/docs", "/redoc", "/openapi.json")]
        root = (await client.get("/")).json()
    assert live.headers["Strict-Transport-Security"].startswith("max-age=")
    assert [response.status_code for response in hidden] == [404, 404, 404]
    assert "docs" not in root["links"] and "openapi" not in root["links"]


async def test_docs_can_be_enabled_in_production(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(
        sqlite_url, signed_in=True, env="production", docs_enabled=True
    ) as client:
        assert (await client.get("/docs")).status_code == 200


async def test_docs_pages_get_a_policy_that_lets_them_render(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url, signed_in=True) as client:
        swagger = await client.get("/docs")
        redoc = await client.get("/redoc")
        schema = await client.get("/openapi.json")
    swagger_policy = swagger.headers["Content-Security-Policy"]
    script_src = next(p for p in swagger_policy.split(";") if p.strip().startswith("script-src"))
    for script in INLINE_SCRIPT.findall(swagger.text):
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_src
    assert "'self'" in script_src
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    redoc_policy = redoc.headers["Content-Security-Policy"]
    assert "worker-src blob:" in redoc_policy
    # Every script, style and image of both pages comes from this server.
    assert "http" not in swagger_policy and "http" not in redoc_policy
    assert schema.headers["Content-Security-Policy"].startswith("default-src 'none'")


async def test_docs_pages_load_their_assets_from_this_server(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url) as client:
        pages = [(await client.get(path)).text for path in ("/docs", "/redoc")]
        referenced = sorted(
            {url for page in pages for url in re.findall(r'(?:src|href)="([^"]+)"', page)}
        )
        assets = {url: await client.get(url) for url in referenced}
        unknown = await client.get("/docs/assets/..%2F..%2Fconfig.py")
        other = await client.get("/docs/assets/core.py")
    assert referenced == [
        "/docs/assets/favicon.png",
        "/docs/assets/redoc.standalone.js",
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css",
    ]
    assert all(answer.status_code == 200 for answer in assets.values())
    assert (
        assets["/docs/assets/swagger-ui-bundle.js"]
        .headers["content-type"]
        .startswith("text/javascript")
    )
    assert len(assets["/docs/assets/redoc.standalone.js"].content) > 100_000
    assert unknown.status_code == 404 and other.status_code == 404
    assert other.headers["content-type"].startswith("application/problem+json")


ALLOWED = "https://app.example"
EVIL = "https://evil.example"


async def test_cors_answers_only_allowed_origins(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    preflight = {"Access-Control-Request-Method": "GET"}
    async with client_for(sqlite_url, signed_in=True, cors_origins=[ALLOWED]) as client:
        evil_preflight = await client.options(
            "/api/v1/packs", headers={"Origin": EVIL, **preflight}
        )
        good_preflight = await client.options(
            "/api/v1/packs", headers={"Origin": ALLOWED, **preflight}
        )
        evil_simple = await client.get("/api/v1/packs", headers={"Origin": EVIL})
        good_simple = await client.get("/api/v1/packs", headers={"Origin": ALLOWED})
    assert "Access-Control-Allow-Origin" not in evil_preflight.headers
    assert "Access-Control-Allow-Origin" not in evil_simple.headers
    assert good_preflight.status_code == 200
    assert good_preflight.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert good_simple.headers["Access-Control-Allow-Origin"] == ALLOWED
    exposed = good_simple.headers["Access-Control-Expose-Headers"].lower()
    assert "ratelimit" in exposed and "retry-after" in exposed


def _settings(**overrides: Any) -> Settings:
    return Settings(_env_file=None, **overrides)


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({}, True),  # no Origin: not a browser
        ({"Origin": ALLOWED, "Host": "api.example"}, True),
        ({"Origin": "HTTPS://APP.EXAMPLE", "Host": "api.example"}, True),
        ({"Origin": "https://api.example", "Host": "api.example"}, True),  # same origin
        ({"Origin": "https://api.example", "Host": "api.example:443"}, True),
        ({"Origin": "http://localhost:8000", "Host": "localhost:8000"}, True),
        ({"Origin": "http://[::1]:8000", "Host": "[::1]:8000"}, True),
        ({"Origin": EVIL, "Host": "api.example"}, False),
        ({"Origin": "https://api.example:8443", "Host": "api.example"}, False),
        ({"Origin": "http://api.example.evil.example", "Host": "api.example"}, False),
        ({"Origin": "null", "Host": "api.example"}, False),
        ({"Origin": "https://api.example:99999", "Host": "api.example"}, False),
        ({"Origin": EVIL}, False),
    ],
)
def test_websocket_origin_check(headers: dict[str, str], allowed: bool) -> None:
    settings = _settings(cors_origins=[ALLOWED])
    assert origin_allowed(headers, settings) is allowed
    scope = {
        "type": "websocket",
        "path": "/ws",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    assert origin_allowed(HTTPConnection(scope), settings) is allowed


def test_wildcard_origins_allow_any_websocket_origin() -> None:
    settings = _settings(cors_origins=["*"], cors_allow_credentials=False)
    assert origin_allowed({"Origin": EVIL, "Host": "api.example"}, settings)
