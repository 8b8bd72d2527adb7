"""A local file spool for usage rows the database could not take.

Rows are appended as JSON lines to this process's *active* segment (fsync'ed, so a power cut
after ``append`` returns loses nothing). The active segment is held under an exclusive
``flock``; sealing it releases the lock. Any process sharing the directory may then claim a
sealed segment, or the segment of a process that died (the kernel dropped its lock), replay it
and delete it. Replays may overlap after a crash; the database insert is idempotent by request
id, so an overlap can never double a row.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from vantage.packs.gateway.usage.record import UsageRecord

logger = structlog.get_logger("vantage.gateway.spool")
SEGMENT_SUFFIX = ".jsonl"


@dataclass
class ClaimedSegment:
    """A segment this process holds the lock of, ready to be replayed."""

    path: Path
    fd: int
    records: list[UsageRecord]
    damaged_lines: int

    def remove(self) -> None:
        """Delete the replayed segment, then release it."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self.release()

    def release(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def _parse(path: Path, data: bytes) -> tuple[list[UsageRecord], int]:
    records: list[UsageRecord] = []
    damaged = 0
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            records.append(UsageRecord.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            # Only a line torn by a crash mid-write can be damaged; keep going.
            damaged += 1
    if damaged:
        logger.error("damaged spool lines skipped", path=str(path), lines=damaged)
    return records, damaged


class UsageSpool:
    """The spool directory as seen by one process."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._active: Path | None = None
        self._active_fd: int | None = None
        self._active_rows = 0
        # Appends come from the event loop (queue overflow) and from worker threads.
        self._lock = threading.Lock()

    def _open_active(self) -> int:
        if self._active_fd is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"usage-{os.getpid()}-{secrets.token_hex(6)}{SEGMENT_SUFFIX}"
            path = self.directory / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._active, self._active_fd, self._active_rows = path, fd, 0
        return self._active_fd

    def append(self, records: Sequence[UsageRecord]) -> None:
        """Durably add rows to the active segment (blocking: a write and an fsync)."""
        if not records:
            return
        payload = b"".join(
            json.dumps(r.to_json(), separators=(",", ":")).encode() + b"\n" for r in records
        )
        with self._lock:
            fd = self._open_active()
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
            self._active_rows += len(records)

    @property
    def active_rows(self) -> int:
        return self._active_rows

    def seal(self) -> None:
        """Close the active segment so it can be claimed and replayed."""
        with self._lock:
            if self._active_fd is not None:
                os.close(self._active_fd)
            self._active, self._active_fd, self._active_rows = None, None, 0

    def _candidates(self) -> Iterator[Path]:
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob(f"*{SEGMENT_SUFFIX}")):
            if path != self._active:
                yield path

    def claim(self) -> ClaimedSegment | None:
        """Lock and read one segment nobody holds; None when there is none."""
        for path in self._candidates():
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                same_file = path.stat().st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same_file = False
            if not same_file:  # replayed and deleted by another process meanwhile
                os.close(fd)
                continue
            with os.fdopen(os.dup(fd), "rb") as handle:
                data = handle.read()
            records, damaged = _parse(path, data)
            return ClaimedSegment(path=path, fd=fd, records=records, damaged_lines=damaged)
        return None

    def pending_files(self) -> int:
        """Segments waiting in the directory (this process's active one included)."""
        if not self.directory.is_dir():
            return 0
        return sum(1 for _ in self.directory.glob(f"*{SEGMENT_SUFFIX}"))

    def close(self) -> None:
        self.seal()
