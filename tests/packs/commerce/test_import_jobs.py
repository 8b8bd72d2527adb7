"""``POST /api/v1/commerce/imports``: an uploaded file imported by a background job."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from tests.packs.commerce.conftest import API, Shop, make_shop
from tests.support.auth import create_tenant
from vantage.cli import build_cli
from vantage.core.db import utcnow
from vantage.core.jobs.models import Job
from vantage.packs.commerce import PACK
from vantage.packs.commerce.jobs import UPLOAD_GRACE_SECONDS
from vantage.packs.commerce.service.import_jobs import IMPORT_JOB, remove_abandoned_uploads

IMPORTS = f"{API}/imports"
HEADER = ["order_id", "customer_id", "placed_at", "status", "product_id", "product_name",
          "quantity", "unit_price"]  # fmt: skip
ROWS = [
    ["A1", "c1", "2025-03-01T10:00:00Z", "completed", "p1", "Mug", "2", "9.99"],
    ["A1", "c1", "2025-03-01T10:00:00Z", "completed", "p2", "Lamp", "1", "5"],
    ["A2", "c2", "2025-03-02 11:00:00", "pending", "p1", "Mug", "1", "9.99"],
    ["A3", "", "2025-03-02T15:00:00+02:00", "", "p3", "", "4", "2.50"],
    ["A4", "c1", "2025-03-05T09:00:00Z", "completed", "p2", "Lamp", "-1", "5"],
]
BAD_ROW = ["A5", "c3", "2025-03-06T10:00:00Z", "completed", "p1", "", "two", "1"]
MARCH = {"from": "2025-03-01", "to": "2025-04-01"}
FINISHED = ("succeeded", "failed", "cancelled")


def _csv(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


async def _upload(
    shop: Shop, body: bytes, media_type: str = "text/csv", **params: Any
) -> httpx.Response:
    return await shop.client.post(
        IMPORTS, content=body, params=params,
        headers={**shop.headers, "Content-Type": media_type},
    )  # fmt: skip


async def _import_jobs(shop: Shop) -> int:
    """How many import jobs the shop's tenant has (the hourly upload sweep is another kind)."""
    jobs = await shop.client.get(
        "/api/v1/jobs", params={"kind": IMPORT_JOB}, headers=shop.reader_headers
    )
    total: int = jobs.json()["pagination"]["total"]
    return total


async def _job(shop: Shop, job_id: str) -> httpx.Response:
    return await shop.client.get(f"/api/v1/jobs/{job_id}", headers=shop.reader_headers)


async def _finished(shop: Shop, job_id: str) -> dict[str, Any]:
    for _ in range(2000):
        job: dict[str, Any] = (await _job(shop, job_id)).json()
        if job["status"] in FINISHED:
            return job
        await asyncio.sleep(0.01)
    raise AssertionError(f"the import never finished: {job}")


async def _imported(shop: Shop, body: bytes, **params: Any) -> dict[str, Any]:
    response = await _upload(shop, body, **params)
    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["status_url"] == f"/api/v1/jobs/{answer['job_id']}"
    assert answer["job"]["kind"] == "commerce.import_orders"
    return await _finished(shop, answer["job_id"])


async def _figures(shop: Shop) -> dict[str, Any]:
    dashboard = await shop.client.get(f"{API}/dashboard", params=MARCH, headers=shop.reader_headers)
    customers = await shop.client.get(f"{API}/customers", headers=shop.reader_headers)
    products = await shop.client.get(f"{API}/products", params=MARCH, headers=shop.reader_headers)
    figures = {"dashboard": dashboard.json(), "customers": customers.json()["data"],
               "products": products.json()["data"]}  # fmt: skip
    figures["dashboard"].pop("data_as_of")
    return figures


def _uploads_left(shop: Shop) -> list[Path]:
    directory = shop.client.app.state.settings.data_dir / "commerce-imports"  # type: ignore[attr-defined]
    return sorted(directory.iterdir()) if directory.exists() else []


async def test_an_upload_is_imported_as_the_cli_imports_the_same_file(
    shop: Shop, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = _csv(ROWS)
    job = await _imported(shop, body, batch_size=2)
    assert job["status"] == "succeeded", job
    assert job["result"] == {"orders": 4, "created": 4, "updated": 0, "lines": 5, "batches": 2,
                             "skipped": 0}  # fmt: skip
    assert job["progress"] == {"done": 4, "total": 4, "percent": 100.0}
    assert _uploads_left(shop) == []

    app = shop.client.app  # type: ignore[attr-defined]
    tenant = await create_tenant(app)
    (tmp_path / "orders.csv").write_bytes(body)
    monkeypatch.setenv("VANTAGE_DATABASE_URL", database_url)
    monkeypatch.setenv("VANTAGE_DATA_DIR", str(tmp_path / "cli-data"))
    command = ["import", "orders", str(tmp_path / "orders.csv"), "--tenant", tenant.slug]
    # The command runs its own event loop: in a thread, beside this test's.
    ran = await asyncio.to_thread(CliRunner().invoke, build_cli({"commerce": PACK}), command)
    assert ran.exit_code == 0, ran.output
    by_cli = await make_shop(shop.client, tenant.id)
    uploaded = await _figures(shop)
    assert uploaded["dashboard"]["transactions"] == 4
    assert uploaded == await _figures(by_cli)


async def test_a_bad_line_fails_the_job_and_writes_nothing(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    # One order per transaction: the importer alone would have kept the four before the bad line.
    with caplog.at_level(logging.INFO):
        job = await _imported(shop, _csv([*ROWS, BAD_ROW]), batch_size=1)
    assert job["status"] == "failed"
    assert job["error"].startswith("line 7, quantity: ")  # for the uploader: no class names
    # The file's fault is no server error: logged without a traceback, below error level.
    refused = [r for r in caplog.records if "job refused its input" in r.getMessage()]
    assert refused and all(r.levelno < logging.ERROR and not r.exc_info for r in refused)
    assert not [r for r in caplog.records if "job failed" in r.getMessage()]
    figures = await _figures(shop)
    assert figures["dashboard"]["transactions"] == 0 and figures["customers"] == []
    assert _uploads_left(shop) == []


async def test_options_tab_separated_files_and_json_lines(shop: Shop) -> None:
    renamed = ["Order", "Client", "When", "State", "Sku", "Title", "Qty", "Price"]
    mapped = [f"{field}={column}" for field, column in zip(HEADER, renamed, strict=True)]
    tsv = "\n".join("\t".join(row) for row in [renamed, *ROWS]).encode()
    job = await _imported(shop, tsv, media_type="text/tab-separated-values", map=mapped)
    assert job["status"] == "succeeded" and job["result"]["orders"] == 4, job
    latin = _csv([["B1", "c9", "2025-03-07 10:00:00", "", "p9", "Crème", "1", "3"]])
    latin = latin.decode().encode("latin-1")
    as_utf8 = await _imported(shop, latin)
    assert as_utf8["status"] == "failed" and "line 2" in as_utf8["error"], as_utf8
    job = await _imported(shop, latin, encoding="latin-1", timezone="Europe/Paris",
                          status="pending")  # fmt: skip
    assert job["status"] == "succeeded", job
    figures = await _figures(shop)
    assert figures["dashboard"]["orders_by_status"]["pending"] == 2
    line = b'{"order_id": "J1", "placed_at": "2025-03-08T10:00:00Z", "product_id": "p1", '
    line += b'"quantity": 1, "unit_price": "2"}\n'
    job = await _imported(shop, line, media_type="application/x-ndjson")
    assert job["status"] == "succeeded" and job["result"]["orders"] == 1, job


@pytest.mark.parametrize(
    ("params", "media_type", "body", "status", "where"),
    [
        ({"timezone": "Mars/Olympus"}, "text/csv", None, 422, ["query", "timezone"]),
        ({"map": "oops"}, "text/csv", None, 422, ["query", "map"]),
        ({"map": "colour=Colour"}, "text/csv", None, 422, ["query", "map"]),
        ({"preset": "nope"}, "text/csv", None, 422, ["query", "preset"]),
        ({"encoding": "klingon"}, "text/csv", None, 422, ["query", "encoding"]),
        ({"status": "shipped"}, "text/csv", None, 422, ["query", "status"]),
        ({"batch_size": 0}, "text/csv", None, 422, ["query", "batch_size"]),
        ({}, "text/csv", b"", 422, ["body"]),
        ({}, "application/json", None, 415, None),
    ],
)
async def test_bad_requests_are_refused_and_leave_nothing_behind(
    shop: Shop,
    params: dict[str, Any],
    media_type: str,
    body: bytes | None,
    status: int,
    where: list[str] | None,
) -> None:
    response = await _upload(shop, _csv(ROWS) if body is None else body, media_type, **params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if where is not None:
        assert [error["loc"] for error in response.json()["errors"]] == [where]
    assert await _import_jobs(shop) == 0
    assert _uploads_left(shop) == []


async def test_a_file_over_the_limit_is_413_streamed_or_not(
    client_for: Any, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VANTAGE_COMMERCE_MAX_IMPORT_BYTES", "2048")
    big = _csv([ROWS[0]] * 100)
    assert len(big) > 2048

    async def streamed() -> Any:
        for start in range(0, len(big), 512):
            yield big[start : start + 512]

    async with client_for(database_url, packs=[PACK], rate_limit_enabled=False) as client:
        shop = await make_shop(client, 1)
        declared = await _upload(shop, big)
        chunked = await client.post(
            IMPORTS, content=streamed(), headers={**shop.headers, "Content-Type": "text/csv"}
        )
        assert (declared.status_code, chunked.status_code) == (413, 413), chunked.text
        assert chunked.json()["code"] == "PAYLOAD_TOO_LARGE"
        assert (await _upload(shop, _csv(ROWS))).status_code == 202
        assert await _import_jobs(shop) == 1
        leftovers = [path for path in _uploads_left(shop) if path.suffix == ".part"]
        assert leftovers == []


async def test_reading_is_not_enough_to_import(shop: Shop) -> None:
    refused = await shop.client.post(
        IMPORTS, content=_csv(ROWS),
        headers={**shop.reader_headers, "Content-Type": "text/csv"},
    )  # fmt: skip
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    assert _uploads_left(shop) == []


async def test_another_tenant_sees_neither_the_job_nor_the_orders(
    shop: Shop, other_shop: Shop
) -> None:
    response = await _upload(shop, _csv(ROWS))
    job_id = response.json()["job_id"]
    assert (await _finished(shop, job_id))["status"] == "succeeded"
    assert (await _job(other_shop, job_id)).status_code == 404
    cancel = await other_shop.client.post(
        f"/api/v1/jobs/{job_id}/cancel", headers=other_shop.headers
    )
    assert cancel.status_code == 404
    listed = await other_shop.client.get("/api/v1/jobs", headers=other_shop.reader_headers)
    assert listed.json()["data"] == []
    assert (await _figures(other_shop))["dashboard"]["transactions"] == 0
    assert (await _figures(shop))["dashboard"]["transactions"] == 4


async def test_an_idempotency_key_names_one_upload(shop: Shop) -> None:
    body, key = _csv(ROWS), {"Idempotency-Key": "import-1"}
    headers = {**shop.headers, "Content-Type": "text/csv", **key}
    first = await shop.client.post(IMPORTS, content=body, headers=headers)
    again = await shop.client.post(IMPORTS, content=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["job_id"] == first.json()["job_id"]
    other_options = await shop.client.post(
        IMPORTS, content=body, params={"status": "pending"}, headers=headers
    )
    assert other_options.status_code == 422
    await _finished(shop, first.json()["job_id"])
    assert await _import_jobs(shop) == 1
    assert _uploads_left(shop) == []


async def test_a_cancelled_import_stops_and_removes_its_upload(
    client_for: Any, database_url: str
) -> None:
    rows = [[f"C{n}", f"c{n % 50}", "2025-03-01T10:00:00Z", "completed", "p1", "", "1", "1"]
            for n in range(20_000)]  # fmt: skip
    async with client_for(
        database_url, packs=[PACK], rate_limit_enabled=False,
        job_heartbeat_seconds=0.05, job_stale_seconds=5,
    ) as client:  # fmt: skip
        shop = await make_shop(client, 1)
        response = await _upload(shop, _csv(rows), batch_size=20)
        job_id = response.json()["job_id"]
        for _ in range(2000):
            job = (await _job(shop, job_id)).json()
            if job["progress"]["done"] > 0 or job["status"] in FINISHED:
                break
            await asyncio.sleep(0.01)
        assert job["status"] == "running", job
        cancel = await client.post(f"/api/v1/jobs/{job_id}/cancel", headers=shop.headers)
        assert cancel.status_code == 200 and cancel.json()["cancel_requested"] is True
        job = await _finished(shop, job_id)
        assert job["status"] == "cancelled", job
        assert job["progress"]["done"] < 20_000
        assert _uploads_left(shop) == []
        board = await client.get(f"{API}/dashboard", params=MARCH, headers=shop.reader_headers)
        assert board.json()["transactions"] < 20_000


def _job_row(status: str) -> Job:
    now = utcnow()
    return Job(
        id=str(uuid.uuid4()), tenant_id=1, kind=IMPORT_JOB, params={}, status=status,
        progress_done=0, log_tail=[], attempts=1, max_attempts=1, cancel_requested=False,
        queued_at=now, created_at=now, updated_at=now,
    )  # fmt: skip


async def test_uploads_no_job_will_read_are_swept_and_the_others_kept(shop: Shop) -> None:
    accepted = await _upload(shop, _csv(ROWS))
    assert (await _finished(shop, accepted.json()["job_id"]))["status"] == "succeeded"
    core = shop.client.app.state.core  # type: ignore[attr-defined]
    directory = core.settings.data_dir / "commerce-imports"
    waiting, ended = _job_row("queued"), _job_row("failed")  # stored, never sent to a worker
    async with core.database.transaction() as session:
        session.add_all([waiting, ended])
    files = {
        "partial": directory / "incoming-0f.part",
        "unknown job": directory / "1-no-such-job.csv",
        "ended job": directory / f"1-{ended.id}.csv",
        "queued job": directory / f"1-{waiting.id}.csv",
        "just uploaded": directory / "1-not-committed-yet.csv",
    }
    for name, path in files.items():
        path.write_text("order_id\n")
        if name != "just uploaded":
            os.utime(path, (time.time() - 2 * UPLOAD_GRACE_SECONDS,) * 2)
    removed = await remove_abandoned_uploads(
        core.database, core.jobs.service, directory, UPLOAD_GRACE_SECONDS
    )
    assert removed == 3
    assert _uploads_left(shop) == sorted([files["queued job"], files["just uploaded"]])
