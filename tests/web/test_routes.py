"""The UI's routes without a browser: negotiation of ``/``, pages, static files and headers."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from tests.conftest import ClientFactory
from tests.support.testpack import PACK as TEST_PACK
from vantage.core.http_guard import UI_CSP
from vantage.core.packs import Pack, WebPage
from vantage.web.negotiation import prefers_html

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ASSET_URL = re.compile(r'(?:src|href)="(/ui/static/[^"]+)"')


@pytest.fixture
def pack_with_page(tmp_path: Path) -> Pack:
    directory = tmp_path / "web"
    directory.mkdir()
    (directory / "page.html").write_text('<section id="testpack-page">{{ page.title }}</section>')
    (directory / "page.js").write_text('import { startPage } from "../../kit.js";\n')
    return dataclasses.replace(TEST_PACK, web=WebPage.beside(str(tmp_path / "pack.py"), "Tests"))


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER_ACCEPT, True),
        ("text/html", True),
        (None, False),
        ("*/*", False),
        ("application/json", False),
        ("application/json, text/html;q=0.5", False),
        ("text/html;q=0", False),
    ],
)
def test_only_requests_that_rank_html_first_prefer_it(accept: str | None, html: bool) -> None:
    assert prefers_html(accept) is html


async def test_root_answers_browsers_with_the_ui_and_scripts_with_json(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url) as client:
        page = await client.get("/", headers={"Accept": BROWSER_ACCEPT})
        document = await client.get("/", headers={"Accept": "application/json"})
        bare = await client.get("/")
        api_root = await client.get("/api/v1")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == UI_CSP
    assert "<script>" not in page.text and " style=" not in page.text
    assert document.json() == bare.json() == api_root.json()
    assert document.json()["name"] == "Vantage"
    assert "script-src 'self'" not in document.headers["content-security-policy"]


async def test_a_packs_page_is_its_template_inside_the_shell(
    client_for: ClientFactory, sqlite_url: str, pack_with_page: Pack
) -> None:
    async with client_for(sqlite_url, packs=[pack_with_page]) as client:
        page = await client.get("/ui/packs/testpack")
        missing = await client.get("/ui/packs/nothing")
        script = await client.get(ASSET_URL.findall(page.text)[-1])
    assert page.status_code == 200
    assert '<section id="testpack-page">Tests</section>' in page.text
    assert 'data-pack-pages="testpack"' in page.text
    assert page.headers["content-security-policy"] == UI_CSP
    assert script.text.startswith("import { startPage }")
    assert missing.status_code == 404
    assert missing.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize("path", ["/ui/sign-in", "/ui/admin/users", "/ui/admin/api-keys",
                                  "/ui/admin/jobs"])  # fmt: skip
async def test_every_asset_a_page_names_is_served_for_a_year(
    client_for: ClientFactory, sqlite_url: str, path: str
) -> None:
    async with client_for(sqlite_url) as client:
        page = await client.get(path)
        urls = ASSET_URL.findall(page.text)
        answers = [await client.get(url) for url in urls]
    assert page.status_code == 200
    assert len(urls) >= 4
    for url, answer in zip(urls, answers, strict=True):
        assert answer.status_code == 200, url
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_static_files_are_compressed_revalidated_and_refused_when_unknown(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url) as client:
        page = await client.get("/ui/sign-in")
        url = next(url for url in ASSET_URL.findall(page.text) if url.endswith("app.css"))
        plain = await client.get(url, headers={"Accept-Encoding": "identity"})
        compressed = await client.get(url, headers={"Accept-Encoding": "gzip"})
        again = await client.get(url, headers={"If-None-Match": plain.headers["etag"]})
        older = await client.get(re.sub(r"/ui/static/[^/]+/", "/ui/static/0ld/", url))
        unknown = await client.get(url.replace("app.css", "nothing.css"))
    assert plain.headers["content-type"].startswith("text/css")
    assert "content-encoding" not in plain.headers
    assert compressed.headers["content-encoding"] == "gzip"
    # httpx decodes the body; the bytes on the wire were fewer.
    assert compressed.content == plain.content
    assert compressed.num_bytes_downloaded < len(plain.content)
    assert again.status_code == 304
    assert older.status_code == 200 and "immutable" not in older.headers["cache-control"]
    assert unknown.status_code == 404


async def test_unknown_admin_pages_are_not_found(
    client_for: ClientFactory, sqlite_url: str
) -> None:
    async with client_for(sqlite_url) as client:
        response = await client.get("/ui/admin/nothing")
    assert response.status_code == 404
