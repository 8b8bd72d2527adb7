"""Run ``vantage worker`` as a real process, for tests of jobs across processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def wait_for_line(log: Path, text: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Wait until ``text`` appears in the process's log; fails if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            raise RuntimeError(f"worker exited with {process.returncode}:\n{log.read_text()}")
        time.sleep(0.05)
    raise TimeoutError(f"{text!r} not logged after {timeout} s:\n{log.read_text()}")


@contextmanager
def running_workers(
    count: int, env: dict[str, str], site: Path, logs: Path, ready_timeout: float = 30
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Start ``count`` ``python -m vantage worker`` processes at once, with the test pack
    installed; yields them once all are ready and stops the ones still alive on exit."""
    python_path = os.pathsep.join([str(site), str(REPO_ROOT)])
    full_env = {**os.environ, **env, "PYTHONPATH": python_path}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for n in range(count):
            with (logs / f"worker-{n}.log").open("wb") as output:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "vantage", "worker"],
                        env=full_env,
                        cwd=REPO_ROOT,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                    )
                )
        for n, process in enumerate(processes):
            wait_for_line(logs / f"worker-{n}.log", "worker ready", process, ready_timeout)
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
