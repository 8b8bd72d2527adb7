"""Run ``vantage`` as a real process on a free port, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_ready(base_url: str, process: subprocess.Popen[bytes], timeout: float) -> float:
    """Seconds until /health/ready answered 200; fails if the process dies or time runs out."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/health/ready", timeout=1).status_code == 200:
                return time.monotonic() - began
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{base_url} not ready after {timeout} s")


@contextmanager
def running_vantage(
    args: Sequence[str], env: dict[str, str], cwd: Path, log: Path, ready_timeout: float = 60
) -> Iterator[tuple[str, subprocess.Popen[bytes], float]]:
    """Start ``python -m vantage ARGS``; yields (base URL, process, seconds to ready)."""
    port = free_port()
    full_env = {**os.environ, **env}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "vantage", *args, "--host", "127.0.0.1", "--port", str(port)],
            env=full_env,
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            yield base_url, process, wait_until_ready(base_url, process, ready_timeout)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
