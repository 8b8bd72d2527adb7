"""Alternating measurements of two servers doing the same job, and the ratios between them.

The machine the benchmarks run on is shared and its speed drifts, so an absolute figure says
little and two figures taken minutes apart compare badly. Each phase here is cut into rounds;
in every round both subjects run back to back, in alternating order, and the samples of all
rounds are pooled. A drift then weighs on both alike, and their ratio is what is reported.
"""

from __future__ import annotations

import asyncio
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.loadgen import Target, closed_loop, percentile

MAX_STRETCH = 16


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux), to state cost per request apart from load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Subject:
    """A server under test: where to send, and which process does the work."""

    name: str
    target: Target
    pid: int


@dataclass
class Samples:
    latencies: list[float]
    cpu_seconds: float = 0.0
    seconds: float = 0.0

    def add(self, latencies: list[float], cpu: float, seconds: float) -> None:
        self.latencies += latencies
        self.cpu_seconds += cpu
        self.seconds += seconds


def ms(value: float) -> float:
    return round(value * 1000, 3)


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator`` rounded, or None when it means nothing."""
    if not denominator or math.isnan(numerator) or math.isnan(denominator):
        return None
    return round(numerator / denominator, 3)


async def _timed_loop(
    subject: Subject, body: dict[str, Any], concurrency: int, seconds: float, warmup: float
) -> tuple[list[float], float]:
    """One closed loop; returns its latencies and the CPU the subject spent after warmup."""

    async def cpu_after_warmup() -> float:
        await asyncio.sleep(warmup)
        return cpu_seconds(subject.pid)

    cpu_at_start = asyncio.create_task(cpu_after_warmup())
    latencies, _ = await closed_loop(subject.target, body, concurrency, seconds, warmup=warmup)
    return latencies, cpu_seconds(subject.pid) - await cpu_at_start


async def alternate(
    subjects: list[Subject],
    body: dict[str, Any],
    concurrency: int,
    seconds: float,
    rounds: int,
    warmup: float,
) -> dict[str, Samples]:
    """``rounds`` rounds of a closed loop on each subject, the order reversed every round."""
    pooled = {subject.name: Samples([]) for subject in subjects}
    share = seconds / rounds
    for number in range(rounds):
        ordered = subjects if number % 2 == 0 else list(reversed(subjects))
        for subject in ordered:
            pooled[subject.name].add(*await _round(subject, body, concurrency, share, warmup))
    return pooled


async def _round(
    subject: Subject, body: dict[str, Any], concurrency: int, seconds: float, warmup: float
) -> tuple[list[float], float, float]:
    """One round long enough for every client to have a request measured.

    A client only counts requests it begins after the warmup, so a subject slower than the
    round would report nothing (or only its fastest answers): the round is then run again,
    twice as long, up to ``MAX_STRETCH`` times the planned length.
    """
    length = seconds
    while True:
        latencies, cpu = await _timed_loop(subject, body, concurrency, length, warmup)
        if len(latencies) >= concurrency or length >= MAX_STRETCH * seconds:
            return latencies, cpu, length
        length *= 2


def latency_summary(samples: Samples, direct: Samples) -> dict[str, float]:
    """Percentiles of a subject, what it adds over the upstream alone, and its cost."""
    p50 = percentile(samples.latencies, 0.5)
    p99 = percentile(samples.latencies, 0.99)
    count = max(len(samples.latencies), 1)
    return {
        "p50_ms": ms(p50),
        "p99_ms": ms(p99),
        "added_p50_ms": ms(p50 - percentile(direct.latencies, 0.5)),
        "added_p99_ms": ms(p99 - percentile(direct.latencies, 0.99)),
        "rps": round(len(samples.latencies) / samples.seconds, 1) if samples.seconds else 0.0,
        "cpu_ms_per_request": round(samples.cpu_seconds * 1000 / count, 3),
        "samples": len(samples.latencies),
    }
