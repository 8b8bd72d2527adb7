"""Rows of the performance table, one function per benchmark's JSON line."""

from __future__ import annotations

import math
from typing import Any

MISSING = "—"


def _fmt(value: Any, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and 0 < abs(value) < 0.01:
        value = f"{value:.2g}"  # a ratio such as 0.0097 keeps its digits
    elif isinstance(value, float):
        value = f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.0f}"
    elif isinstance(value, int):
        value = f"{value:,}"
    return f"{value}{unit}"


def _row(bench: str, figure: str, ours: str, theirs: str, share: Any, target: str, met: Any) -> str:
    return f"| {bench} | {figure} | {ours} | {theirs} | {_fmt(share)} | {target} | {_fmt(met)} |"


def gateway_rows(line: dict[str, Any]) -> list[str]:
    peer = line.get("peer")
    if not isinstance(peer, dict):
        return [_row("gateway", "LiteLLM", MISSING, line.get("peer_error", MISSING), None,
                     MISSING, None)]  # fmt: skip
    found = peer["ratios"]["vantage_over_litellm"]
    rows = []
    for mode in ("send", "stream"):
        for phase in ("c1", "c32"):
            ours, theirs, share = line[mode][phase], peer[mode][phase], found[f"{mode}_{phase}"]
            for stat in ("p50", "p99"):
                key = f"added_{stat}"
                rows.append(_row(
                    "gateway", f"added {stat}, {mode}, concurrency {phase[1:]}",
                    _fmt(ours[f"{key}_ms"], " ms"), _fmt(theirs[f"{key}_ms"], " ms"),
                    share[key], "≤ 0.15", share[key] is not None and share[key] <= 0.15,
                ))  # fmt: skip
    for mode, key in (("send", "saturation_rps"), ("stream", "stream_saturation_rps")):
        share = found["rps_per_worker"][mode]
        rows.append(_row(
            "gateway", f"requests/s per worker, {mode}, 64 clients",
            _fmt(line[key]), _fmt(peer["saturation"][mode]["rps"]), share, "≥ 3",
            share is not None and share >= 3,
        ))  # fmt: skip
    return rows


def commerce_rows(line: dict[str, Any]) -> list[str]:
    rows = []
    orders = _fmt(line["orders"])
    for name in ("dashboard", "revenue_365d", "customers_top"):
        read = line["reads"][name]
        duck = read.get("duckdb", {})
        share = read.get("p50_over_duckdb")
        rows.append(_row(
            "commerce", f"{name} p50, {orders} orders", _fmt(read["p50_ms"], " ms"),
            _fmt(duck.get("p50_ms"), " ms"), share, "≤ 0.1", share is not None and share <= 0.1,
        ))  # fmt: skip
    file_import = line.get("ingest_file") or {}
    floor = file_import.get("facts_only_floor", {})
    share = line["ratios"].get("import_over_facts_floor")
    rows.append(_row(
        "commerce", "file import vs facts-only write floor (orders/s)",
        _fmt(file_import.get("orders_per_s")), _fmt(floor.get("write_facts_orders_per_s")),
        share, "≥ 0.7", share is not None and share >= 0.7,
    ))  # fmt: skip
    peer = line.get("peer") or {}
    rows.append(_row(
        "commerce", "file load, seconds (DuckDB: read_csv, no rollups)",
        _fmt(file_import.get("seconds")), _fmt(peer.get("load_seconds")),
        line["ratios"].get("import_seconds_over_duckdb_load"), MISSING, None,
    ))  # fmt: skip
    return rows


def scaling_rows(line: dict[str, Any]) -> list[str]:
    size = f"{_fmt(line['large_orders'])} / {_fmt(line['small_orders'])} orders"
    return [
        _row("commerce", f"{name} p50, {size}", _fmt(read["large_p50_ms"], " ms"),
             _fmt(read["small_p50_ms"], " ms"), read["large_over_small"], "≤ 1.3",
             read["large_over_small"] is not None and read["large_over_small"] <= 1.3)
        for name, read in line["reads"].items()
    ]  # fmt: skip


def websocket_rows(line: dict[str, Any]) -> list[str]:
    """``trading.metrics`` to 1,000 clients against 100 in the same run."""
    large, small = line["1000"], line["100"]
    return [_row(
        "trading WebSocket", "e2e p99, 1,000 clients / 100 clients", _fmt(large["p99_ms"], " ms"),
        _fmt(small["p99_ms"], " ms"), line["p99_1000_over_100"], "≤ 2",
        line["p99_1000_over_100_met"],
    )]  # fmt: skip


def assist_rows(line: dict[str, Any]) -> list[str]:
    """SQL validation against sqlglot's bare parse; search at 100k items against 10k."""
    check = line["validation"]
    rows = [
        _row("assist", f"SQL validation {stat}, {_fmt(check['queries'])} queries",
             _fmt(check[f"{stat}_us"], " µs"), _fmt(check[f"parse_{stat}_us"], " µs"),
             check[f"ratio_{stat}"], "≤ 3" if stat == "p99" else MISSING,
             check["ratio_p99"] <= 3 if stat == "p99" else None)
        for stat in ("p50", "p99")
    ]  # fmt: skip
    for backend, sizes in line["search"].items():
        rows.append(_row(
            "assist", f"search p95, 100,000 / 10,000 items, {backend}",
            _fmt(sizes["100k"]["p95_ms"], " ms"), _fmt(sizes["10k"]["p95_ms"], " ms"),
            sizes["ratio_p95_100k_to_10k"], MISSING, None,
        ))  # fmt: skip
    return rows


def aidev_rows(line: dict[str, Any]) -> list[str]:
    """Trace ingest against a raw insert of the same rows; reads at the large size / small."""
    rows = [
        _row("aidev", f"{label} (spans/s)", _fmt(line[ours]["spans_per_s"]),
             _fmt(line[peer]["spans_per_s"]), line[share], "≥ 0.5", line[share] >= 0.5)
        for label, ours, peer, share in (
            ("file import vs raw insert", "file_import", "raw_insert", "import_vs_raw"),
            ("OTLP /v1/traces vs raw insert", "otlp_http", "otlp_raw_insert", "otlp_vs_raw"),
        )
    ]  # fmt: skip
    small, large = sorted(line["reads"], key=lambda size: int(size.split("_")[0]))
    sizes = f"{_fmt(int(large.split('_')[0]))} / {_fmt(int(small.split('_')[0]))} spans"
    for read in ("metrics", "insights"):
        share = line["p95_ratio"][read]
        rows.append(_row(
            "aidev", f"/aidev/{read} p95, {sizes}",
            _fmt(line["reads"][large][read]["p95_ms"], " ms"),
            _fmt(line["reads"][small][read]["p95_ms"], " ms"), share, "≤ 1.5", share <= 1.5,
        ))  # fmt: skip
    return rows


def delivery_rows(line: dict[str, Any]) -> list[str]:
    """Incremental update against a full re-link; DORA reads at 10x / 1x; intake against live."""
    incremental, full = line["incremental_p95_ms"], line["full_recompute_s"]
    reads, intake = line["dora_read_p95_ratio_10x_to_1x"], line["intake_to_live_ratio"]
    return [
        _row("delivery", f"one deployment to updated /dora p95 / full re-link, "
             f"{_fmt(line['deployments_1x'])} deployments", _fmt(incremental, " ms"),
             _fmt(full * 1000, " ms"), line["incremental_to_full_ratio"], "≤ 0.01",
             line["incremental_to_full_ratio"] <= 0.01),
        _row("delivery", "/dora p95, 10x / 1x data", _fmt(line["dora_read_10x"]["p95_ms"], " ms"),
             _fmt(line["dora_read_1x"]["p95_ms"], " ms"), reads, "≤ 1.3", reads <= 1.3),
        _row("delivery", f"webhook intake vs /health/live (requests/s, {line['rate_senders']} "
             f"senders, {line['intake_mode']})",
             _fmt(line["webhook_intake_per_second"]), _fmt(line["health_live_per_second"]),
             intake, "≥ 0.5", intake >= 0.5),
    ]  # fmt: skip
