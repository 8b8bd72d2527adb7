"""Every benchmark at one size, one JSON file each, then the table and charts (``make bench``).

    python -m bench.run_all [--size documented|quick] [--out bench/results]

``documented`` is the size the targets name (commerce at 1M orders, and 10M for the 10M / 1M
read ratio; delivery at 10,000 deployments): two to three hours on a 2-vCPU machine, most of it
importing 10M orders and recording the delivery history;
``quick`` runs everything small in a few minutes, to check that it all works. With
``VANTAGE_BENCH_BROKER_URL`` (a Redis URL) the delivery benchmark's API process only queues
webhook deliveries, as in production; without it its in-process job runner processes them too.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from bench.report import write_report

SIZES = {
    "documented": {
        "gateway": ["--seconds", "4", "--rounds", "2"],
        "commerce": ["--orders", "1000000"],
        "commerce_large": ["--orders", "10000000", "--no-peer", "--requests", "20"],
        "commerce_scaling": ["--small", "1000000", "--large", "10000000", "--requests", "200"],
        "trading": ["--events", "200000"],
        "delivery": [],
        "aidev": ["--small", "100000", "--large", "1000000"],
        "assist": [],
    },
    "quick": {
        "gateway": ["--seconds", "1.5", "--rounds", "2"],
        "commerce": ["--orders", "20000", "--requests", "50", "--api-batches", "1",
                     "--revalidate-seconds", "1"],
        "commerce_large": ["--orders", "100000", "--no-peer", "--requests", "5",
                           "--api-batches", "1", "--revalidate-seconds", "1"],
        "commerce_scaling": ["--small", "20000", "--large", "100000", "--requests", "50"],
        "trading": ["--events", "20000"],
        "delivery": ["--quick"],
        "aidev": ["--quick"],
        "assist": [],
    },
}  # fmt: skip
MODULES = {"commerce_large": "commerce"}


def _run(name: str, arguments: list[str], out: Path) -> None:
    """One benchmark; its JSON line goes to ``NAME.json``, everything else to ``NAME.log``."""
    module = f"bench.{MODULES.get(name, name)}"
    print(f"{module} {' '.join(arguments)}", file=sys.stderr, flush=True)
    began = time.monotonic()
    with (out / f"{name}.log").open("w") as log:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", module, *arguments],
            stdout=subprocess.PIPE, stderr=log, text=True, check=False,
        )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{module} failed ({done.returncode}); see {out / f'{name}.log'}")
    line = json.loads(lines[-1])
    line["command"] = f"python -m {module} {' '.join(arguments)}".strip()
    (out / f"{name}.json").write_text(json.dumps(line, indent=1) + "\n")
    print(f"  {time.monotonic() - began:.0f} s", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="documented")
    parser.add_argument("--out", default="bench/results")
    parser.add_argument("--only", nargs="*", help="run only these benchmarks")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, arguments in SIZES[args.size].items():
        if not args.only or name in args.only:
            _run(name, arguments, out)
    print(write_report(out))


if __name__ == "__main__":
    main()
