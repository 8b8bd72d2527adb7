"""The gateway benchmark runs end to end against a real server. Its load generator aborts on
any answer but 200 (a 429 from a limit the benchmark's key should not meet, a 500), so a change
that breaks the measured path fails here rather than at ``make bench``. Nothing here is timed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.serial
def test_gateway_benchmark_completes_every_phase() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.gateway", "--seconds", "0.3", "--rounds", "1", "--no-peer"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = json.loads(result.stdout.splitlines()[-1])
    for mode in ("send", "stream"):
        for concurrency in ("c1", "c32"):
            assert line[mode][concurrency]["samples"] > 0, (mode, concurrency)
    assert line["saturation_rps"] > 0 and line["stream_saturation_rps"] > 0
    assert line["peer_error"] == "not requested (--no-peer)"
