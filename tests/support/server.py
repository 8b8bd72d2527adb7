"""A real ``uvicorn`` serving Vantage in child processes, for tests that need several workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import free_port

STARTUP_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 15.0


class _LogReader(threading.Thread):
    """Drains the server's stderr (so it never blocks) and counts workers that finished starting."""

    def __init__(self, stream: object) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.lines: list[str] = []
        self.started = 0
        self.changed = threading.Condition()

    def run(self) -> None:
        for line in self.stream:  # type: ignore[attr-defined]
            with self.changed:
                self.lines.append(line)
                if _event_of(line) == "started":
                    self.started += 1
                self.changed.notify_all()


def _event_of(line: str) -> str | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record.get("event") if isinstance(record, dict) else None


@dataclass
class RunningServer:
    url: str
    log_lines: list[str]

    def events(self, name: str) -> list[dict[str, object]]:
        """The JSON log records of one event name, from every worker."""
        records = (json.loads(line) for line in list(self.log_lines) if _event_of(line) == name)
        return list(records)


@contextmanager
def uvicorn_server(
    env: Mapping[str, str], workdir: Path, workers: int = 2
) -> Iterator[RunningServer]:
    """Serve ``create_app_from_env`` with ``workers`` processes, once all of them have started."""
    port = free_port()
    child_env = {key: value for key, value in os.environ.items() if not key.startswith("VANTAGE_")}
    child_env.update({"VANTAGE_LOG_FORMAT": "json", "VANTAGE_LOG_LEVEL": "INFO", **env})
    command = [
        sys.executable, "-m", "uvicorn", "vantage.app:create_app_from_env", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--no-proxy-headers", "--no-access-log",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=workdir, env=child_env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    reader = _LogReader(process.stderr)
    reader.start()
    try:
        _wait_for_workers(process, reader, workers)
        yield RunningServer(f"http://127.0.0.1:{port}", reader.lines)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_workers(process: subprocess.Popen[str], reader: _LogReader, workers: int) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    with reader.changed:
        while reader.started < workers:
            if process.poll() is not None or time.monotonic() > deadline:
                output = "".join(reader.lines[-40:])
                raise RuntimeError(f"uvicorn did not start {workers} workers:\n{output}")
            reader.changed.wait(0.2)
