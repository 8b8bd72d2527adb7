"""The benchmark report's arithmetic: ratios, and rows when the peer is there or is not."""

from __future__ import annotations

from typing import Any

from bench.compare import Samples, latency_summary, ratio
from bench.report_rows import gateway_rows, websocket_rows


def test_ratio_is_none_when_it_means_nothing() -> None:
    assert ratio(1.0, 4.0) == 0.25
    assert ratio(1.0, 0.0) is None
    assert ratio(float("nan"), 2.0) is None


def test_latency_summary_subtracts_the_upstream_alone() -> None:
    direct = Samples([0.020] * 100, seconds=1.0)
    gateway = Samples([0.023] * 100, cpu_seconds=0.2, seconds=1.0)
    summary = latency_summary(gateway, direct)
    assert summary["added_p50_ms"] == 3.0
    assert summary["rps"] == 100.0
    assert summary["cpu_ms_per_request"] == 2.0


def test_gateway_rows_say_why_the_peer_is_missing() -> None:
    rows = gateway_rows({"peer_error": "litellm is not installed"})
    assert len(rows) == 1
    assert "litellm is not installed" in rows[0]


def _phase(added: float) -> dict[str, Any]:
    return {"added_p50_ms": added, "added_p99_ms": added * 2}


def test_gateway_rows_compare_every_phase_with_litellm() -> None:
    phases = {"c1": _phase(1.0), "c32": _phase(2.0)}
    peer_phases = {"c1": _phase(10.0), "c32": _phase(40.0)}
    shares = {"added_p50": 0.1, "added_p99": 0.1}
    line = {
        "send": phases, "stream": phases, "saturation_rps": 600.0, "stream_saturation_rps": 500.0,
        "peer": {
            "send": peer_phases, "stream": peer_phases,
            "saturation": {"send": {"rps": 30.0}, "stream": {"rps": 25.0}},
            "ratios": {"vantage_over_litellm": {
                "send_c1": shares, "send_c32": shares, "stream_c1": shares, "stream_c32": shares,
                "rps_per_worker": {"send": 20.0, "stream": 20.0},
            }},
        },
    }  # fmt: skip
    rows = gateway_rows(line)
    assert len(rows) == 2 * 2 * 2 + 2
    assert all(row.endswith("| yes |") for row in rows)


def test_websocket_row_compares_1000_clients_with_100() -> None:
    line = {
        "100": {"p99_ms": 5.0},
        "1000": {"p99_ms": 12.0},
        "p99_1000_over_100": 2.4,
        "p99_1000_over_100_met": False,
    }
    (row,) = websocket_rows(line)
    assert "| 2.4 | ≤ 2 | no |" in row
