"""Pauses of the machine itself, to read a latency benchmark against.

    python -m bench.pauses --seconds 4

Sleeps 1 ms at a time and records every wake-up that came more than ``--threshold-ms`` late,
then prints one JSON object: how many, the longest and their sum. It runs in its own process,
so its lateness is the operating system's or the hypervisor's, not any event loop's; a latency
spike that coincides with these pauses was the machine's.
"""

from __future__ import annotations

import argparse
import json
import time

TICK_SECONDS = 0.001


def measure(seconds: float, threshold_ms: float) -> dict[str, float]:
    late_ms: list[float] = []
    stop_at = time.monotonic() + seconds
    while (before := time.monotonic()) < stop_at:
        time.sleep(TICK_SECONDS)
        late = (time.monotonic() - before - TICK_SECONDS) * 1000
        if late > threshold_ms:
            late_ms.append(late)
    return {
        "threshold_ms": threshold_ms,
        "count": len(late_ms),
        "max_ms": round(max(late_ms, default=0.0), 1),
        "total_ms": round(sum(late_ms), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--threshold-ms", type=float, default=5.0)
    args = parser.parse_args()
    print(json.dumps(measure(args.seconds, args.threshold_ms)), flush=True)


if __name__ == "__main__":
    main()
