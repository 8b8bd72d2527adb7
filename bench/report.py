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
from collections.abc import Callable
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


Rows = Callable[[dict[str, Any]], list[str]]
Chart = Callable[[dict[str, Any], Path], None]

# Each benchmark's JSON file (and the part of it compared, if not all), its rows and its chart,
# in the order of the table.
REPORTS: list[tuple[str, str | None, Rows, Chart]] = [
    ("gateway", None, gateway_rows, gateway_chart),
    ("commerce", None, commerce_rows, commerce_chart),
    ("commerce_scaling", None, scaling_rows, scaling_chart),
    ("trading", "websocket", websocket_rows, websocket_chart),
    ("delivery", None, delivery_rows, delivery_chart),
    ("aidev", None, aidev_rows, aidev_chart),
    ("assist", None, assist_rows, assist_chart),
]


def build(directory: Path) -> str:
    rows: list[str] = []
    for name, part, rows_of, chart in REPORTS:
        line = _load(directory, name)
        if line and part is not None:
            line = line.get(part)
        if not isinstance(line, dict) or (part == "websocket" and "p99_1000_over_100" not in line):
            continue  # not run, or the trading run without its WebSocket part
        rows += rows_of(line)
        chart(line, directory / f"{part or name}.png")
    return "\n".join([HEADER, *rows])


def write_report(directory: Path) -> str:
    """Charts and ``table.md`` into ``directory``; returns the table."""
    table = build(directory)
    (directory / "table.md").write_text(table + "\n")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", default="bench/results")
    args = parser.parse_args()
    print(write_report(Path(args.directory)))


if __name__ == "__main__":
    main()
