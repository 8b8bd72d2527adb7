"""The gateway benchmark's comparison with LiteLLM: saturation measured alternately, and the
ratios Vantage / LiteLLM with their targets.

Both gateways run one worker in front of the same fake upstream. Added latency is a gateway's
percentile minus the upstream's own, pooled over the same rounds; requests/s per worker is the
throughput of 64 clients back to back (the same loop for both, so the ratio compares like with
like, whatever Vantage's steady-rate figure says).
"""

from __future__ import annotations

from typing import Any

from bench.compare import Subject, alternate, ratio

SATURATION_CLIENTS = 64
SATURATION_WARMUP_SECONDS = 0.3
# Vantage / LiteLLM: the added latency at most this share of LiteLLM's, requests/s at least this
# multiple of it.
RATIO_TARGETS = {"added_p50": 0.15, "added_p99": 0.15, "rps_per_worker": 3.0}


async def saturation_pair(
    gateway: Subject, peer: Subject | None, body: dict[str, Any], seconds: float, rounds: int
) -> dict[str, dict[str, float]]:
    """Requests/s and CPU per request of each gateway with 64 clients back to back."""
    subjects = [gateway] + ([peer] if peer else [])
    pooled = await alternate(
        subjects, body, SATURATION_CLIENTS, seconds, rounds, SATURATION_WARMUP_SECONDS
    )
    found = {}
    for name, samples in pooled.items():
        count = max(len(samples.latencies), 1)
        found[name] = {
            "rps": round(len(samples.latencies) / samples.seconds, 1),
            "cpu_ms_per_request": round(samples.cpu_seconds * 1000 / count, 3),
        }
    return found


def _latency_ratios(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for mode in ("send", "stream"):
        for phase, mine in ours[mode].items():
            peer = theirs[mode][phase]
            found[f"{mode}_{phase}"] = {
                "added_p50": ratio(mine["added_p50_ms"], peer["added_p50_ms"]),
                "added_p99": ratio(mine["added_p99_ms"], peer["added_p99_ms"]),
            }
    return found


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    """Vantage / LiteLLM for every phase, and whether each meets its target."""
    theirs = results["peer"]
    found = _latency_ratios(results, theirs)
    rps = {
        mode: ratio(results[key], theirs["saturation"][mode]["rps"])
        for mode, key in (("send", "saturation_rps"), ("stream", "stream_saturation_rps"))
    }
    found["rps_per_worker"] = rps
    met = {
        "added_p50_le_0.15x": _all_at_most(found, "added_p50", RATIO_TARGETS["added_p50"]),
        "added_p99_le_0.15x": _all_at_most(found, "added_p99", RATIO_TARGETS["added_p99"]),
        "rps_per_worker_ge_3x": all(
            value is not None and value >= RATIO_TARGETS["rps_per_worker"] for value in rps.values()
        ),
    }
    return {"vantage_over_litellm": found, "targets": RATIO_TARGETS, "met": met}


def _all_at_most(found: dict[str, Any], key: str, bound: float) -> bool:
    values = [phase[key] for name, phase in found.items() if name != "rps_per_worker"]
    return all(value is not None and value <= bound for value in values)


def peer_section(results: dict[str, Any], name: str, version: str) -> dict[str, Any]:
    """The ``peer`` object of the JSON line: LiteLLM's figures and the ratios."""
    return {"name": name, "version": version, **results["peer"], "ratios": ratios(results)}
