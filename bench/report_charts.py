"""Charts of a benchmark run (PNG, matplotlib): Vantage beside its peer, side by side bars."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

VANTAGE_COLOR = "#2b6cb0"
PEER_COLOR = "#a0aec0"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def _bars(
    axis: Any,
    labels: list[str],
    ours: list[float],
    theirs: list[float],
    peer: str,
    unit: str,
    subject: str = "Vantage",
) -> None:
    positions = range(len(labels))
    width = 0.4
    axis.bar([p - width / 2 for p in positions], ours, width, label=subject, color=VANTAGE_COLOR)
    axis.bar([p + width / 2 for p in positions], theirs, width, label=peer, color=PEER_COLOR)
    axis.set_xticks(list(positions), labels, rotation=20, ha="right", fontsize=8)
    axis.set_ylabel(unit)
    axis.legend(fontsize=8)


def gateway_chart(line: dict[str, Any], path: Path) -> None:
    peer = line.get("peer")
    if not isinstance(peer, dict):
        return
    plt = _pyplot()
    figure, (latency, throughput) = plt.subplots(1, 2, figsize=(11, 4))
    labels, ours, theirs = [], [], []
    for mode in ("send", "stream"):
        for phase in ("c1", "c32"):
            for stat in ("p50", "p99"):
                labels.append(f"{mode} {phase} {stat}")
                ours.append(line[mode][phase][f"added_{stat}_ms"])
                theirs.append(peer[mode][phase][f"added_{stat}_ms"])
    _bars(latency, labels, ours, theirs, "LiteLLM", "added latency (ms, log scale)")
    latency.set_yscale("log")  # concurrency 1 and 32 differ by orders of magnitude
    latency.set_title("Latency added over the upstream")
    modes = ["send", "stream"]
    ours_rps = [line["saturation_rps"], line["stream_saturation_rps"]]
    theirs_rps = [peer["saturation"][mode]["rps"] for mode in modes]
    _bars(throughput, modes, ours_rps, theirs_rps, "LiteLLM", "requests/s, one worker")
    throughput.set_title("Requests/s per worker, 64 clients")
    _save(plt, figure, path)


def commerce_chart(line: dict[str, Any], path: Path) -> None:
    reads = line["reads"]
    names = [
        name for name in ("dashboard", "revenue_365d", "customers_top") if "duckdb" in reads[name]
    ]
    if not names:
        return
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(7, 4))
    ours = [reads[name]["p50_ms"] for name in names]
    theirs = [reads[name]["duckdb"]["p50_ms"] for name in names]
    _bars(axis, names, ours, theirs, "DuckDB", "p50 (ms, log scale)")
    axis.set_yscale("log")
    axis.set_title(f"Commerce reads at {line['orders']:,} orders")
    _save(plt, figure, path)


def websocket_chart(line: dict[str, Any], path: Path) -> None:
    plt = _pyplot()
    counts = [key for key in ("100", "500", "1000") if key in line]
    figure, axis = plt.subplots(figsize=(6, 4))
    axis.plot(counts, [line[c]["p50_ms"] for c in counts], marker="o", label="p50")
    axis.plot(counts, [line[c]["p99_ms"] for c in counts], marker="o", label="p99")
    axis.set_xlabel("clients")
    axis.set_ylabel("end-to-end latency (ms)")
    axis.set_title("trading.metrics over WebSocket, one worker")
    axis.legend(fontsize=8)
    _save(plt, figure, path)


@dataclass(frozen=True)
class Panel:
    """One side-by-side bar chart: ``subject`` against ``peer`` for each label."""

    title: str
    labels: list[str]
    ours: list[float]
    theirs: list[float]
    peer: str
    unit: str
    subject: str = "Vantage"


def panels_chart(panels: list[Panel], path: Path) -> None:
    """The panels side by side in one PNG."""
    plt = _pyplot()
    figure, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    for axis, panel in zip(axes[0], panels, strict=True):
        _bars(axis, panel.labels, panel.ours, panel.theirs, panel.peer, panel.unit, panel.subject)
        axis.set_title(panel.title, fontsize=10)
    _save(plt, figure, path)


def scaling_chart(line: dict[str, Any], path: Path) -> None:
    names = list(line["reads"])
    panels_chart([Panel(
        f"Commerce reads, {line['large_orders']:,} and {line['small_orders']:,} orders", names,
        [line["reads"][n]["large_p50_ms"] for n in names],
        [line["reads"][n]["small_p50_ms"] for n in names],
        f"{line['small_orders']:,} orders", "p50 (ms)", f"{line['large_orders']:,} orders",
    )], path)  # fmt: skip


def delivery_chart(line: dict[str, Any], path: Path) -> None:
    panels_chart([
        Panel("/dora over the whole history", ["p50", "p95"],
              [line["dora_read_10x"]["p50_ms"], line["dora_read_10x"]["p95_ms"]],
              [line["dora_read_1x"]["p50_ms"], line["dora_read_1x"]["p95_ms"]],
              "1x data", "ms", "10x data"),
        Panel(f"Requests/s, one worker, {line['rate_senders']} senders", ["requests/s"],
              [line["webhook_intake_per_second"]],
              [line["health_live_per_second"]], "GET /health/live", "requests/s",
              "signed webhook intake"),
    ], path)  # fmt: skip


def aidev_chart(line: dict[str, Any], path: Path) -> None:
    small, large = sorted(line["reads"], key=lambda size: int(size.split("_")[0]))
    named = {size: f"{int(size.split('_')[0]):,} spans" for size in (small, large)}
    reads = ["metrics", "insights"]
    panels_chart([
        Panel("Trace ingest", ["file import", "OTLP"],
              [line["file_import"]["spans_per_s"], line["otlp_http"]["spans_per_s"]],
              [line["raw_insert"]["spans_per_s"], line["otlp_raw_insert"]["spans_per_s"]],
              "raw insert of the same rows", "spans/s"),
        Panel("Reads", reads, [line["reads"][large][r]["p95_ms"] for r in reads],
              [line["reads"][small][r]["p95_ms"] for r in reads], named[small], "p95 (ms)",
              named[large]),
    ], path)  # fmt: skip


def assist_chart(line: dict[str, Any], path: Path) -> None:
    check, search = line["validation"], line["search"]
    backends = list(search)
    panels_chart([
        Panel("SQL validation per query", ["p50", "p99"], [check["p50_us"], check["p99_us"]],
              [check["parse_p50_us"], check["parse_p99_us"]], "sqlglot's bare parse", "µs"),
        Panel("Vector search", backends, [search[b]["100k"]["p95_ms"] for b in backends],
              [search[b]["10k"]["p95_ms"] for b in backends], "10,000 items", "p95 (ms)",
              "100,000 items"),
    ], path)  # fmt: skip


def _save(plt: Any, figure: Any, path: Path) -> None:
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
