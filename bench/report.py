"""The table and charts of a benchmark run: Vantage beside its peer, from the JSON files.

    python -m bench.report bench/results

Reads ``gateway.json``, ``commerce.json``, ``commerce_scaling.json``, ``trading.json`` (its
WebSocket part), ``aidev.json``, ``delivery.json`` and ``assist.json`` where present, writes a
PNG chart per comparison next to them and prints the Markdown table that docs/PERFORMANCE.md
shows.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.report_charts import (
    aidev_chart,
    assist_chart,
    commerce_chart,
    delivery_chart,
    gateway_chart,
    scaling_chart,
    websocket_chart,
)
from bench.report_rows import (
    aidev_rows,
    assist_rows,
    commerce_rows,
    delivery_rows,
    gateway_rows,
    scaling_rows,
    websocket_rows,
)

HEADER = (
    "| benchmark | figure | Vantage | compared with | ratio | target | met |\n"
    "|---|---|---|---|---|---|---|"
)


def _load(directory: Path, name: str) -> dict[str, Any] | None:
    path = directory / f"{name}.json"
    if not path.exists():
        return None
    text = path.read_text()
    try:  # as bench.run_all writes it
        return dict(json.loads(text))
    except json.JSONDecodeError:  # a benchmark's own output: its last JSON line
        lines = [line for line in text.splitlines() if line.startswith("{")]
        return dict(json.loads(lines[-1])) if lines else None


def build(directory: Path) -> str:
    rows: list[str] = []
    gateway = _load(directory, "gateway")
    if gateway:
        rows += gateway_rows(gateway)
        gateway_chart(gateway, directory / "gateway.png")
    commerce = _load(directory, "commerce")
    if commerce:
        rows += commerce_rows(commerce)
        commerce_chart(commerce, directory / "commerce.png")
    scaling = _load(directory, "commerce_scaling")
    if scaling:
        rows += scaling_rows(scaling)
        scaling_chart(scaling, directory / "commerce_scaling.png")
    trading = _load(directory, "trading")
    websocket = trading.get("websocket") if trading else None
    if isinstance(websocket, dict) and "p99_1000_over_100" in websocket:
        rows += websocket_rows(websocket)
        websocket_chart(websocket, directory / "websocket.png")
    delivery = _load(directory, "delivery")
    if delivery:
        rows += delivery_rows(delivery)
        delivery_chart(delivery, directory / "delivery.png")
    aidev = _load(directory, "aidev")
    if aidev:
        rows += aidev_rows(aidev)
        aidev_chart(aidev, directory / "aidev.png")
    assist = _load(directory, "assist")
    if assist:
        rows += assist_rows(assist)
        assist_chart(assist, directory / "assist.png")
    return "\n".join([HEADER, *rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", default="bench/results")
    args = parser.parse_args()
    table = build(Path(args.directory))
    (Path(args.directory) / "table.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
