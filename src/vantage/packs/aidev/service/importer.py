"""``vantage import traces FILE``: JSON lines (LiteLLM payloads, SpendLogs rows, OTLP exports
one per line) or one JSON document, written one transaction per batch of lines.

A line that cannot be read is rejected with its line number and the rest goes in.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from vantage.packs.aidev.service.batches import BatchReport, TraceIngestor
from vantage.packs.aidev.traces.bodies import (
    Unit,
    UnreadableBody,
    read_json_body,
    read_json_lines,
)
from vantage.packs.aidev.traces.formats import TraceFormat

Progress = Callable[[int, int, BatchReport], None]
# A batch holds tens of thousands of objects across its statements; with the default
# threshold (700) the collector runs full passes over them many times a batch, a quarter of an
# import's time. Fewer, larger young-generation passes while importing.
IMPORT_GC_THRESHOLD = 50_000


@dataclass(frozen=True)
class ImportPlan:
    path: Path
    tenant_id: int
    batch_lines: int
    declared: TraceFormat | None = None


def _first_line(path: Path) -> str:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                return line
    return ""


def is_single_document(path: Path) -> bool:
    """True when the file is one JSON document rather than JSON lines."""
    first = _first_line(path)
    try:
        json.loads(first)
    except ValueError:
        return True
    return False


def _numbered_lines(path: Path) -> Iterator[tuple[int, str, int]]:
    """(line number, text, bytes read so far) of every line."""
    done = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            done += len(raw)
            yield number, raw.decode("utf-8", errors="replace"), done


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Raise the collector's young-generation threshold for the block, then restore it."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], IMPORT_GC_THRESHOLD), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


async def import_traces(
    ingestor: TraceIngestor, plan: ImportPlan, progress: Progress | None = None
) -> BatchReport:
    """Import the file; the report totals every batch."""
    with _fewer_collections():
        return await _import(ingestor, plan, progress)


async def _import(
    ingestor: TraceIngestor, plan: ImportPlan, progress: Progress | None
) -> BatchReport:
    total_bytes = plan.path.stat().st_size
    report = BatchReport()
    if is_single_document(plan.path):
        try:
            units = read_json_body(plan.path.read_bytes(), plan.declared)
        except UnreadableBody:
            units = None  # JSON lines whose first line is broken: read line by line
        if units is not None:
            report.add(await ingestor.write(plan.tenant_id, units))
            if progress:
                progress(total_bytes, total_bytes, report)
            return report
    batch: list[tuple[int, str]] = []
    done = 0
    for number, line, done in _numbered_lines(plan.path):
        batch.append((number, line))
        if len(batch) >= plan.batch_lines:
            report.add(await _write(ingestor, plan, batch))
            batch = []
            if progress:
                progress(done, total_bytes, report)
    if batch:
        report.add(await _write(ingestor, plan, batch))
    if progress:
        progress(total_bytes, total_bytes, report)
    return report


async def _write(
    ingestor: TraceIngestor, plan: ImportPlan, lines: list[tuple[int, str]]
) -> BatchReport:
    units: list[Unit] = list(read_json_lines(lines, plan.declared))
    return await ingestor.write(plan.tenant_id, units)
